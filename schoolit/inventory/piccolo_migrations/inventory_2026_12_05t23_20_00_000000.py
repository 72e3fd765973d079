"""Procurement data of devices and access points: supplier, order number, invoice number and date (#22)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T23:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "device and access_point: supplier, order_number, invoice_number, invoice_date"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    for table in ("device", "access_point"):
        manager.add_raw(sql(
            f"ALTER TABLE {table} ADD COLUMN supplier varchar(120) NOT NULL DEFAULT '', "
            "ADD COLUMN order_number varchar(60) NOT NULL DEFAULT '', "
            "ADD COLUMN invoice_number varchar(60) NOT NULL DEFAULT '', ADD COLUMN invoice_date date"))
    return manager
