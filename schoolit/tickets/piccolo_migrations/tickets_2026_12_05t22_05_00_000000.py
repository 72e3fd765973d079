"""Text modules: canned answers for ticket comments, per arrangement (or county), or for everyone."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T22:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tickets: text modules (canned answers) with placeholders"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(sql(
        """CREATE TABLE text_module (
            id serial PRIMARY KEY,
            arrangement_id integer,
            county_id integer,
            title varchar(80) NOT NULL,
            body text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK (arrangement_id IS NULL OR county_id IS NULL)
        )""",
        "CREATE INDEX text_module_arrangement ON text_module (arrangement_id)",
        "CREATE INDEX text_module_county ON text_module (county_id)",
    ))
    return manager
