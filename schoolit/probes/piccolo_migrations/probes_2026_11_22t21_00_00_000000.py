"""A b-tree on the samples' batch, so a derivation pass reads its batches' rows and nothing else."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "b-tree instead of BRIN on the samples' batch"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(
        sql(
            # The BRIN index skips only page ranges that vacuum has summarised; the newest pages, where
            # a pass's batches lie, never are, and the planner scanned the whole partition instead:
            # each pass read every sample of the day so far (500,000 rows late in the ingest
            # benchmark, millions in a county's afternoon) to find its own. Batch ids only grow, so the
            # b-tree takes each row at its rightmost page.
            "CREATE INDEX probe_sample_batch_id ON probe_sample (batch_id)",
            "DROP INDEX probe_sample_batch",
        )
    )
    return manager
