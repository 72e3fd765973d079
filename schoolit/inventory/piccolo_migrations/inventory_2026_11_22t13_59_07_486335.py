"""Database-enforced rules of the inventory tables."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T13:59:07:486335"
VERSION = "1.38.0"
DESCRIPTION = "check constraints"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    # Piccolo runs raw steps before table changes, so rules on new tables need a migration of their own.
    manager.add_raw(
        sql(
            "ALTER TABLE school ADD CONSTRAINT school_number_format CHECK (school_number ~ '^[0-9]{5}$')",
            'ALTER TABLE school ADD CONSTRAINT school_pupils_not_negative CHECK (pupils >= 0)',
        )
    )
    return manager
