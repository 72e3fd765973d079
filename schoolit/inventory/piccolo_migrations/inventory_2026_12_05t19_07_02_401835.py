"""A sign-in mapping that names a school references it (accounts keeps a plain id, as for users and
probes, because migrations flow accounts <- inventory)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T19:07:02:401835"
VERSION = "1.38.0"
DESCRIPTION = "sign-in mapping school foreign key"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "ALTER TABLE sign_in_mapping ADD CONSTRAINT sign_in_mapping_school_id_fkey "
            "FOREIGN KEY (school_id) REFERENCES school (id) ON DELETE RESTRICT",
        )
    )
    return manager
