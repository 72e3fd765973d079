"""A pupil device's fixed-asset number (Anlagennummer) from the county's fixed-asset accounting
(Anlagenbuchhaltung): free text, optional, not unique (several devices may be booked as one asset)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-06T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "device.inventory_number (Anlagennummer)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(sql("ALTER TABLE device ADD COLUMN inventory_number varchar(40) NOT NULL DEFAULT ''"))
    return manager
