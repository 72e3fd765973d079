"""Each stored batch counts its uplinks' samples.

Derivation derives the access points in the app (`schoolit.probes.access_point_pass`) and the uplinks
in SQL (`schoolit.probes.derivation.PASS`): a pass whose batches hold no uplink sample (a probe that polls
only access points, or a WLAN controller's probe) skips that statement, and the access points' read
takes only their rows. Batches stored before this column have no count (NULL): their passes run it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-07T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "probe_ingest_batch.uplink_samples"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(sql("ALTER TABLE probe_ingest_batch ADD COLUMN uplink_samples integer"))
    return manager
