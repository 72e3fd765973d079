"""The accessories handed out with a loan (`loan.accessories_out`), recorded at the handover: the printed
agreement lists what was recorded for this loan, not what the device's inventory entry lists."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-07T09:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "loan.accessories_out (Zubehör bei Ausgabe)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(sql("ALTER TABLE loan ADD COLUMN accessories_out text NOT NULL DEFAULT ''"))
    return manager
