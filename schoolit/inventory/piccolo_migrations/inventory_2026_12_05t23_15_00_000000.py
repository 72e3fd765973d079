"""device.invoice_number: the supplier's invoice a device was bought on (Rechnungsnummer), which the
DigitalPakt funding proof asks for."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T23:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "device.invoice_number"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(sql("ALTER TABLE device ADD COLUMN invoice_number varchar(60) NOT NULL DEFAULT ''"))
    return manager
