"""Samples know their batch, so state and rollups can be derived from stored batches later."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T16:08:12:479607"
VERSION = "1.38.0"
DESCRIPTION = "probe samples carry their batch; pending batches indexed"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "ALTER TABLE probe_sample ADD COLUMN batch_id bigint",
            # Batches are written in id order, so a BRIN index finds a batch's rows for a fraction of
            # what a b-tree would cost every COPY.
            "CREATE INDEX probe_sample_batch ON probe_sample USING brin (batch_id)",
            # Batches stored before this change were derived when they arrived.
            "UPDATE probe_ingest_batch SET derived_at = received_at WHERE derived_at IS NULL",
            "CREATE INDEX probe_ingest_batch_pending ON probe_ingest_batch (id) WHERE derived_at IS NULL",
        )
    )
    return manager
