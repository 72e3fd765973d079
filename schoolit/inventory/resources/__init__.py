"""The descriptions of the inventory's resources (`schoolit.describe.resource`), one module each."""

from __future__ import annotations

from schoolit.describe.csvformat import Kind
from schoolit.describe.resource import Resource
from schoolit.inventory.resources.access_point import ACCESS_POINT
from schoolit.inventory.resources.device import DEVICE
from schoolit.inventory.resources.loan import LOAN
from schoolit.inventory.resources.room import BUILDING_RESOURCE, ROOM
from schoolit.inventory.resources.school import SCHOOL
from schoolit.inventory.resources.snmp_profile import SNMP_PROFILE
from schoolit.inventory.resources.uplink import UPLINK
from schoolit.inventory.resources.wlan_controller import WLAN_CONTROLLER

RESOURCES: tuple[Resource, ...] = (SCHOOL, BUILDING_RESOURCE, ROOM, UPLINK, ACCESS_POINT, DEVICE, LOAN,
                                   WLAN_CONTROLLER, SNMP_PROFILE)
# How rows are written (casts, which empty values store NULL), also of resources without CSV import.
BY_TABLE: dict[str, Resource] = {r.table: r for r in RESOURCES}
# The import and export kinds, in the order a county's inventory is imported.
KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    SCHOOL.csv_kind, ROOM.csv_kind, ACCESS_POINT.csv_kind, UPLINK.csv_kind, DEVICE.csv_kind,
    WLAN_CONTROLLER.csv_kind)}
