"""Foreign keys from accounts rows to schools (accounts migrates first, so inventory adds them)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T14:05:39:000000"
VERSION = "1.38.0"
DESCRIPTION = "school foreign keys of users and probes"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "ALTER TABLE app_user ADD CONSTRAINT app_user_school_id_fkey "
            "FOREIGN KEY (school_id) REFERENCES school (id) ON DELETE RESTRICT",
            "ALTER TABLE probe ADD CONSTRAINT probe_school_id_fkey "
            "FOREIGN KEY (school_id) REFERENCES school (id) ON DELETE RESTRICT",
        )
    )
    return manager
