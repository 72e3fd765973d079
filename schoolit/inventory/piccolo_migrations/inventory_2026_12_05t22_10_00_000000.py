"""uplink.router_interface: the uplink's router interface by name (ifName or ifAlias), for routers whose
ifIndex of the WAN interface changes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T22:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "uplink.router_interface"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(sql("ALTER TABLE uplink ADD COLUMN router_interface varchar(64) NOT NULL DEFAULT ''"))
    return manager
