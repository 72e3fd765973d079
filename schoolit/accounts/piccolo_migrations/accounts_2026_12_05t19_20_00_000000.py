"""Views the accounts domain publishes for other domains' SQL: counties and users by id with their labels.

Lists of other domains show, search and sort by a county's or a user's name inside one statement (the
ticket queue, the inventory's lists); they join these views, never the tables, so the tables can change
behind them. `PUBLISHED_VIEWS` in schoolit/accounts/tables.py names them for the domain-wall test.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T19:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "published views county_directory and user_directory"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_raw(sql(
        "CREATE VIEW county_directory AS SELECT id, slug, name FROM county",
        "CREATE VIEW user_directory AS SELECT id, display_name FROM app_user",
    ))
    return manager
