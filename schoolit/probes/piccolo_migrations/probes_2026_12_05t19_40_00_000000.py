"""probe_sample.icmp_reachable: whether a device that did not answer SNMP answered an ICMP echo."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T19:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "probe_sample.icmp_reachable (ping fallback of the agent)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    # On the partitioned table: every partition, present and future, gets the column (no rewrite: NULL).
    manager.add_raw(sql("ALTER TABLE probe_sample ADD COLUMN icmp_reachable boolean"))
    return manager
