"""WLAN controllers: entered once, for a county or a school, with their own address and SNMP profile.

A controller (or virtual controller / cluster master) answers for many access points. It manages the
active access points of its vendor (`CONTROLLER_VENDORS`): a school's controller those of its school; a
county's controller those of the county's schools that have no controller of that vendor of their own.
The probe polls those access points through it, not one by one (`monitored_controllers`, read by
`schoolit.probes.targets`).

Address rules: a school's controller lies in the school's management network when the school has one
(as its access points do); a county's controller serves many schools from the county's own network, so
its address is checked only for being a single unicast host — and no two controllers of a county share
an address and port.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schoolit.accounts.scope import Scope
from schoolit.csvwriter import write_csv
from schoolit.describe import identifiers
from schoolit.describe.inputs import Input
from schoolit.inventory.choices import CONTROLLER_VENDORS, ControllerProfile
from schoolit.inventory.resources.common import OUTSIDE_SCHOOL_NETWORK
from schoolit.inventory.resources.wlan_controller import (
    STAYS,
    WLAN_CONTROLLER,
    WLAN_CONTROLLERS,
)
from schoolit.inventory.services.snmp import _CREDENTIAL_COLUMNS, SnmpCredentials, _decrypted
from schoolit.inventory.services.store import (
    change_row,
    county_for_write,
    create_row,
    delete_row,
    one,
    page,
    same_county_profile,
    school_for_write,
)
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import fetch


async def list_wlan_controllers(scope: Scope, *, county_id: int | None = None, school_id: int | None = None,
                                profile: str | None = None, q: str | None = None, sort: str | None = None,
                                limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    scope.require(Permission.INVENTORY_READ)
    filters = WLAN_CONTROLLERS.parse({"county_id": county_id, "school_id": school_id, "profile": profile})
    return await page(WLAN_CONTROLLERS, scope, filters=filters, q=q, sort=sort, limit=limit, offset=offset)


async def get_wlan_controller(scope: Scope, controller_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return await one(WLAN_CONTROLLERS, scope, controller_id, N_("WLAN controller not found"))


async def wlan_controllers_csv(scope: Scope, lang: str = "de") -> bytes:
    """Every controller in the caller's scope as CSV (county, school number, SNMP profile, the described
    columns), in the import format (`schoolit.inventory.importing`, kind `wlan-controllers`)."""
    scope.require(Permission.EXPORT)
    rows = await fetch(WLAN_CONTROLLER.export_sql(), scope.where(WLAN_CONTROLLER.county, school=WLAN_CONTROLLER.school))
    columns = WLAN_CONTROLLER.csv_columns()
    return write_csv([c.header(lang) for c in columns], ([c.fmt(row[c.field], lang) for c in columns] for row in rows),
                     lang=lang)


async def _where(scope: Scope, f: Input, data: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """The county and school of a new controller (a school's, or the county's when no school is given)."""
    if data.get("school_id") not in (None, ""):
        school = await school_for_write(scope, f)
        return (school["county_id"], school["id"]) if school else (None, None)
    f.reference("county_id")
    return county_for_write(scope, f), None


async def _address_rules(f: Input, county_id: int | None, school_id: int | None,
                         current: Mapping[str, Any] | None) -> None:
    address, port = f.value("management_ip", current), f.value("snmp_port", current) or 161
    if address is None or county_id is None or f.has_error("management_ip"):
        return
    if school_id is not None:
        rows = await fetch("SELECT management_prefix::text AS prefix FROM school WHERE id = {}", school_id)
        prefix = rows[0]["prefix"] if rows else None
        if not identifiers.in_network(address, prefix):
            f.error("management_ip", OUTSIDE_SCHOOL_NETWORK)
            return
    taken = await fetch("SELECT id FROM wlan_controller WHERE county_id = {} AND management_ip = {}::inet "
                        "AND snmp_port = {} AND id <> {}", county_id, address, port,
                        current["id"] if current else 0)
    if taken:
        f.error("management_ip", N_("another controller of this county has this address and port"))


async def create_wlan_controller(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f: Input = WLAN_CONTROLLER.check(data, None, skip=("school_id",))
    county_id, school_id = await _where(scope, f, data)
    await same_county_profile(f, county_id)
    await _address_rules(f, county_id, school_id, None)
    f.raise_if_invalid()
    values = {**f.values, "county_id": county_id, "school_id": school_id}
    return await create_row(scope, "wlan_controller", values, get_wlan_controller)


async def update_wlan_controller(scope: Scope, controller_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """A controller stays where it was entered (its county, its school or none)."""
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_wlan_controller(scope, controller_id)
    f: Input = WLAN_CONTROLLER.check(data, before, skip=("school_id",))
    for moved in ("county_id", "school_id"):
        if moved in data and data[moved] not in (None, "", before[moved], str(before[moved])):
            f.error(moved, STAYS)
    await same_county_profile(f, before["county_id"], before)
    await _address_rules(f, before["county_id"], before["school_id"], before)
    f.raise_if_invalid()
    values = {k: v for k, v in f.values.items() if k not in ("county_id", "school_id")}
    return await change_row(scope, "wlan_controller", before, values, get_wlan_controller)


async def delete_wlan_controller(scope: Scope, controller_id: int) -> None:
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_wlan_controller(scope, controller_id)
    await delete_row(scope, "wlan_controller", before)


# --- what the probes poll ------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagedAccessPoint:
    id: int
    mac: str | None
    serial: str


@dataclass(frozen=True)
class MonitoredController:
    """A controller a probe polls, with its credentials decrypted and the access points it manages."""

    id: int
    county_id: int
    school_id: int | None
    profile: str
    host: str
    port: int
    credentials: SnmpCredentials
    access_points: list[ManagedAccessPoint] = field(default_factory=list)


_MONITORED = f"""
SELECT c.id, c.county_id, c.school_id, c.profile, host(c.management_ip) AS host, c.snmp_port AS port,
       p.id AS profile_id, {_CREDENTIAL_COLUMNS}
  FROM wlan_controller c JOIN snmp_profile p ON p.id = c.snmp_profile_id
 WHERE {{}}
 ORDER BY c.id
"""  # noqa: S608 (constants)
# The active access points of a vendor that each controller manages: a school controller those of its
# school, a county controller those at the county's schools without a controller of that vendor.
_MANAGED_FROM = """
  FROM wlan_controller c
  JOIN access_point a ON a.county_id = c.county_id AND a.vendor = {} AND a.status = 'active'
   AND (a.school_id = c.school_id OR (c.school_id IS NULL AND NOT EXISTS (
        SELECT 1 FROM wlan_controller o WHERE o.school_id = a.school_id AND o.profile = ANY({}))))
 WHERE c.profile = ANY({}) AND c.id = ANY({})
"""
_MANAGED = "SELECT c.id AS controller_id, a.id, a.mac::text AS mac, a.serial" + _MANAGED_FROM + "ORDER BY a.id"
# The school where most of each controller's access points are (the lowest id on a tie).
_MANAGED_SCHOOLS = ("SELECT DISTINCT ON (c.id) c.id AS controller_id, a.school_id" + _MANAGED_FROM
                    + "GROUP BY c.id, a.school_id ORDER BY c.id, count(*) DESC, a.school_id")


async def monitored_controllers(scope: Scope) -> list[MonitoredController]:
    """The controllers in a probe's scope that have an SNMP profile, each with the access points it
    manages. SNMP secrets leave the inventory only through this function, `monitored_assets` and
    `snmp_credentials`."""
    scope.require(Permission.PROBE_INGEST)
    rows = await fetch(_MONITORED, scope.where("c.county_id", school="c.school_id"))
    controllers = {row["id"]: MonitoredController(row["id"], row["county_id"], row["school_id"], row["profile"],
                                                  row["host"], row["port"], _decrypted(row["profile_id"], row))
                   for row in rows}
    for vendor in sorted({CONTROLLER_VENDORS[ControllerProfile(c.profile)] for c in controllers.values()}):
        profiles = [p.value for p, v in CONTROLLER_VENDORS.items() if v == vendor]
        for row in await fetch(_MANAGED, vendor, profiles, profiles, list(controllers)):
            controllers[row["controller_id"]].access_points.append(ManagedAccessPoint(row["id"], row["mac"],
                                                                                      row["serial"]))
    return list(controllers.values())


async def controller_places(controller_ids: list[int]) -> dict[int, tuple[int, int | None]]:
    """County and school of each of these controllers that exists (callers check their scope)."""
    if not controller_ids:
        return {}
    rows = await fetch("SELECT id, county_id, school_id FROM wlan_controller WHERE id = ANY({})", controller_ids)
    return {row["id"]: (row["county_id"], row["school_id"]) for row in rows}


async def controller_ticket_places(controller_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per controller that exists: its county, name, and the school a ticket about it is filed at — its
    own school, or for a county's controller the school with most of the access points it manages
    (None when it manages none; callers check their scope)."""
    if not controller_ids:
        return {}
    rows = await fetch("SELECT id, county_id, school_id, name, profile FROM wlan_controller WHERE id = ANY({})",
                       controller_ids)
    places = {row["id"]: {"county_id": row["county_id"], "school_id": row["school_id"], "name": row["name"]}
              for row in rows}
    county_wide = [row for row in rows if row["school_id"] is None]
    for vendor in sorted({CONTROLLER_VENDORS[ControllerProfile(row["profile"])] for row in county_wide}):
        profiles = [p.value for p, v in CONTROLLER_VENDORS.items() if v == vendor]
        ids = [row["id"] for row in county_wide if CONTROLLER_VENDORS[ControllerProfile(row["profile"])] == vendor]
        for managed in await fetch(_MANAGED_SCHOOLS, vendor, profiles, profiles, ids):
            places[managed["controller_id"]]["school_id"] = managed["school_id"]
    return places


async def known_access_point_macs(macs: list[str]) -> set[str]:
    """Which of these MACs (aa:bb:…) an inventory access point has, in any county: such an access point
    is no longer one to adopt (a MAC belongs to one device)."""
    if not macs:
        return set()
    rows = await fetch("SELECT mac::text AS mac FROM access_point WHERE mac = ANY({}::macaddr[])", macs)
    return {row["mac"] for row in rows}
