"""The view the inventory publishes for other domains' SQL: schools by id with their number and name.

The ticket queue shows, searches and sorts by a ticket's school inside one statement; it joins this
view, never the table, so the table can change behind it. `PUBLISHED_VIEWS` in
schoolit/inventory/tables.py names it for the domain-wall test.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T19:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "published view school_directory"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(sql("CREATE VIEW school_directory AS SELECT id, county_id, school_number, name FROM school"))
    return manager
