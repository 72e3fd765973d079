"""school.website: the school's web site, for the school page and exports."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T23:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "school.website"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(sql("ALTER TABLE school ADD COLUMN website varchar(200) NOT NULL DEFAULT ''"))
    return manager
