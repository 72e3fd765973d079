"""access_point.mounting_location: where in its room an access point hangs (Montageort)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-06T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "access_point.mounting_location"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(sql("ALTER TABLE access_point ADD COLUMN mounting_location varchar(120) NOT NULL DEFAULT ''"))
    return manager
