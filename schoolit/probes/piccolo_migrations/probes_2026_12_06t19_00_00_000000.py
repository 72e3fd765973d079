"""Each stored batch counts its access points with one sample in it.

Derivation's simple statement (`schoolit.probes.derivation.SIMPLE`) takes an access point with one sample
in the pass; such an access point has one sample in its batch. A pass whose batches have none (a probe's
spool replayed after an outage, several poll rounds per batch) skips that statement, which would read all
the pass's samples and find nothing. Batches stored before this column have no count (NULL): their
passes run the statement as before.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-06T19:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "probe_ingest_batch.single_sample_aps"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(sql("ALTER TABLE probe_ingest_batch ADD COLUMN single_sample_aps integer"))
    return manager
