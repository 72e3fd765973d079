"""Piccolo app of the inventory domain."""

import os

from piccolo.conf.apps import AppConfig

from schoolit.inventory.tables import (
    AccessPoint,
    AccessPointRoom,
    Building,
    Device,
    Disposal,
    Loan,
    Room,
    School,
    SnmpProfile,
    Uplink,
    WlanController,
)

APP_CONFIG = AppConfig(
    app_name="inventory",
    migrations_folder_path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"),
    table_classes=[School, Building, Room, SnmpProfile, Uplink, AccessPoint, AccessPointRoom, Device,
                   Disposal, Loan, WlanController],
    migration_dependencies=["schoolit.accounts.piccolo_app"],
    commands=[],
)
