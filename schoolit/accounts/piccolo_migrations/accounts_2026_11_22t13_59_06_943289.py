"""Database-enforced rules of the accounts tables."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T13:59:06:943289"
VERSION = "1.38.0"
DESCRIPTION = "check constraints"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    # Piccolo runs raw steps before table changes, so rules on new tables need a migration of their own.
    manager.add_raw(
        sql(
            "ALTER TABLE county ADD CONSTRAINT county_ags_format CHECK (ags ~ '^[0-9]{5}$')",
        )
    )
    return manager
