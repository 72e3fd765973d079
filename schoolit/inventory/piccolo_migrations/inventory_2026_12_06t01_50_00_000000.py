"""device.mdm_last_seen, os_version, mdm_source: what the MDM sync (#22 item 5) reads from an MDM's export —
the last check-in, the operating system's version and which MDM said so."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-06T01:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "device.mdm_last_seen, os_version, mdm_source"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(sql("ALTER TABLE device ADD COLUMN mdm_last_seen timestamptz, "
                        "ADD COLUMN os_version varchar(40) NOT NULL DEFAULT '', "
                        "ADD COLUMN mdm_source varchar(20) NOT NULL DEFAULT ''"))
    manager.add_raw(sql("CREATE INDEX device_mdm_last_seen ON device (mdm_last_seen) WHERE mdm_last_seen IS NOT NULL"))
    return manager
