"""The inventory's JSON API under /api/v1 (thin: parse, call a service with the caller's Scope, shape
the answer with the Structs derived from the resource descriptions). Each resource's list, create, get,
update, delete and retire are made by `schoolit.inventory.crud` from a few declarative lines; its
special actions (a device's status, lending a class, returns, a school's coverage, lookup) are written
out below them."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from schoolit.accounts.auth import Caller
from schoolit.inventory import disposal_api, services
from schoolit.inventory.crud import acted, created, deleted, fetched, listed, resource_api, updated
from schoolit.inventory.http import LOANS, READ, WRITE, Day, Filters, LoanState, Text, list_filters, page_of
from schoolit.inventory.resources.access_point import ACCESS_POINTS
from schoolit.inventory.resources.device import DEVICES
from schoolit.inventory.resources.loan import LOANS as LOAN_LIST
from schoolit.inventory.resources.room import BUILDINGS, ROOMS
from schoolit.inventory.resources.school import SCHOOLS
from schoolit.inventory.resources.snmp_profile import SNMP_PROFILES
from schoolit.inventory.resources.uplink import UPLINKS
from schoolit.inventory.schemas import (
    AccessPointIn,
    AccessPointOut,
    BuildingIn,
    BuildingOut,
    BulkLendIn,
    BulkReturnIn,
    CoverageOut,
    DeviceIn,
    DeviceOut,
    DeviceStatusIn,
    LoanIn,
    LoanOut,
    LoanPatch,
    LookupHit,
    ReturnIn,
    RoomIn,
    RoomOut,
    SchoolIn,
    SchoolOut,
    SnmpProfileIn,
    SnmpProfileOut,
    UplinkIn,
    UplinkOut,
)
from schoolit.schemas import Limit, Offset, Page, given

# --- the resources: the same-shape handlers made by `schoolit.inventory.crud`, then the special ones ---

SCHOOLS_API = resource_api(
    "/schools",
    # `q` searches name, school number and city; `sort` is one of name, school_number, city, pupils,
    # county, school_type, created_at (prefix `-` for descending).
    listed("list_schools", services.list_schools, SCHOOLS, SchoolOut, opt=READ, summary="List schools"),
    created("create_school", services.create_school, SchoolIn, SchoolOut, opt=WRITE, summary="Create a school"),
    fetched("get_school", "school_id", services.get_school, SchoolOut, opt=READ, summary="One school"),
    updated("update_school", "school_id", services.update_school, SchoolIn, SchoolOut, opt=WRITE,
            summary="Change a school"),
    deleted("delete_school", "school_id", services.delete_school, opt=WRITE, summary="Delete an empty school"),
    fetched("coverage", "school_id", services.school_coverage, CoverageOut, opt=READ,
            summary="Planned WLAN coverage of a school", part="coverage"),
)

BUILDINGS_API = resource_api(
    "/buildings",
    listed("list_buildings", services.list_buildings, BUILDINGS, BuildingOut, opt=READ, summary="List buildings"),
    created("create_building", services.create_building, BuildingIn, BuildingOut, opt=WRITE,
            summary="Create a building"),
    fetched("get_building", "building_id", services.get_building, BuildingOut, opt=READ, summary="One building"),
    updated("update_building", "building_id", services.update_building, BuildingIn, BuildingOut, opt=WRITE,
            summary="Rename a building"),
    deleted("delete_building", "building_id", services.delete_building, opt=WRITE, summary="Delete a building"),
)

ROOMS_API = resource_api(
    "/rooms",
    listed("list_rooms", services.list_rooms, ROOMS, RoomOut, opt=READ, summary="List rooms"),
    created("create_room", services.create_room, RoomIn, RoomOut, opt=WRITE, summary="Create a room"),
    fetched("get_room", "room_id", services.get_room, RoomOut, opt=READ, summary="One room"),
    updated("update_room", "room_id", services.update_room, RoomIn, RoomOut, opt=WRITE, summary="Change a room"),
    deleted("delete_room", "room_id", services.delete_room, opt=WRITE, summary="Delete a room"),
)

# Profiles are the network team's working material: reading them needs WRITE too.
SNMP_PROFILES_API = resource_api(
    "/snmp-profiles",
    listed("list_profiles", services.list_snmp_profiles, SNMP_PROFILES, SnmpProfileOut, opt=WRITE,
           summary="List SNMP profiles (secrets are never returned)"),
    created("create_profile", services.create_snmp_profile, SnmpProfileIn, SnmpProfileOut, opt=WRITE,
            summary="Create an SNMP profile"),
    fetched("get_profile", "snmp_profile_id", services.get_snmp_profile, SnmpProfileOut, opt=WRITE,
            summary="One SNMP profile (without its secrets)"),
    updated("update_profile", "snmp_profile_id", services.update_snmp_profile, SnmpProfileIn, SnmpProfileOut,
            opt=WRITE, summary="Change an SNMP profile (empty secrets keep the stored)"),
    deleted("delete_profile", "snmp_profile_id", services.delete_snmp_profile, opt=WRITE,
            summary="Delete an SNMP profile"),
)

UPLINKS_API = resource_api(
    "/uplinks",
    listed("list_uplinks", services.list_uplinks, UPLINKS, UplinkOut, opt=READ, summary="List uplinks"),
    created("create_uplink", services.create_uplink, UplinkIn, UplinkOut, opt=WRITE, summary="Create an uplink"),
    fetched("get_uplink", "uplink_id", services.get_uplink, UplinkOut, opt=READ, summary="One uplink"),
    updated("update_uplink", "uplink_id", services.update_uplink, UplinkIn, UplinkOut, opt=WRITE,
            summary="Change an uplink"),
    deleted("delete_uplink", "uplink_id", services.delete_uplink, opt=WRITE, summary="Delete an uplink"),
)

ACCESS_POINTS_API = resource_api(
    "/access-points",
    # `q` searches name, serial, model, MAC (any notation) and management IP.
    listed("list_access_points", services.list_access_points, ACCESS_POINTS, AccessPointOut, opt=READ,
           summary="List access points"),
    created("create_access_point", services.create_access_point, AccessPointIn, AccessPointOut, opt=WRITE,
            summary="Create an access point"),
    fetched("get_access_point", "access_point_id", services.get_access_point, AccessPointOut, opt=READ,
            summary="One access point"),
    updated("update_access_point", "access_point_id", services.update_access_point, AccessPointIn, AccessPointOut,
            opt=WRITE, summary="Change or move an access point"),
    acted("retire_access_point", "access_point_id", "retire", services.retire_access_point, AccessPointOut,
          opt=WRITE, summary="Retire an access point"),
)


@post("/status", opt=WRITE, status_code=200, summary="Set the status of several devices (all or nothing)")
async def set_status(caller: Caller, data: JSONBody[DeviceStatusIn]) -> list[DeviceOut]:
    """422 naming every device whose rules block the change (a lent one stays lent until it is
    returned); 404 when one is not in your scope. Nothing is changed then."""
    return msgspec.convert(await services.set_device_status(caller, data.ids, data.status), list[DeviceOut])


DEVICES_API = resource_api(
    "/devices",
    # `q` searches serial, asset tag, model, MDM id and MAC (any notation).
    listed("list_devices", services.list_devices, DEVICES, DeviceOut, opt=READ, summary="List pupil devices"),
    created("create_device", services.create_device, DeviceIn, DeviceOut, opt=WRITE, summary="Create a device"),
    set_status,
    fetched("get_device", "device_id", services.get_device, DeviceOut, opt=READ, summary="One device"),
    updated("update_device", "device_id", services.update_device, DeviceIn, DeviceOut, opt=WRITE,
            summary="Change or move a device"),
    acted("retire_device", "device_id", "retire", services.retire_device, DeviceOut, opt=WRITE,
          summary="Retire a device"),
)


@get("/", opt=READ, summary="List loans", dependencies={"filters": list_filters(LOAN_LIST)})
async def list_loans(caller: Caller, filters: Filters, loan_state: LoanState = None, due_before: Day = None,
                     q: Text = None, sort: Text = None, limit: Limit = 50, offset: Offset = 0) -> Page[LoanOut]:
    """`state`: open, returned, overdue (open, past due) or due (open, not overdue, due by the end of
    this school year). `q` searches pupil reference, class, serial and asset tag."""
    rows, total = await services.list_loans(caller, state=loan_state, due_before=due_before, q=q, sort=sort,
                                            limit=limit, offset=offset, filters=filters)
    return page_of(rows, total, LoanOut)


@post("/bulk", opt=LOANS, status_code=HTTP_201_CREATED, summary="Lend devices to a class (all or nothing)")
async def bulk(caller: Caller, data: JSONBody[BulkLendIn]) -> list[LoanOut]:
    rows = [services.BulkRow(serial=r.serial, pupil_ref=r.pupil_ref) for r in data.rows]
    terms = {k: v for k, v in given(data).items() if k not in ("school_id", "rows")}
    return msgspec.convert(await services.bulk_lend(caller, data.school_id, rows, terms), list[LoanOut])


@post("/return", opt=LOANS, status_code=200, summary="Return several loans, e.g. a class's (all or nothing)")
async def return_loans(caller: Caller, data: JSONBody[BulkReturnIn]) -> list[LoanOut]:
    """422 naming every loan that blocks it (returned already, lent after the day); 404 when one is
    not in your scope. Nothing is returned then."""
    terms = {k: v for k, v in given(data).items() if k != "ids"}
    return msgspec.convert(await services.return_loans(caller, data.ids, terms), list[LoanOut])


@post("/{loan_id:int}/return", opt=LOANS, status_code=200, summary="Return a loan")
async def return_loan(caller: Caller, loan_id: FromPath[int], data: JSONBody[ReturnIn]) -> LoanOut:
    return msgspec.convert(await services.return_loan(caller, loan_id, given(data)), LoanOut)


LOANS_API = resource_api(
    "/loans",
    list_loans,
    created("lend", services.lend_device, LoanIn, LoanOut, opt=LOANS,
            summary="Lend a device (409 when it is lent already)"),
    bulk,
    return_loans,
    fetched("get_loan", "loan_id", services.get_loan, LoanOut, opt=READ, summary="One loan"),
    updated("update_loan", "loan_id", services.update_loan, LoanPatch, LoanOut, opt=LOANS,
            summary="Correct a loan's terms"),
    return_loan,
)


@get("/lookup", opt=READ, tags=["inventory"], summary="Find a device or access point by serial, asset tag or MAC")
async def lookup_api(caller: Caller, q: Text = None) -> list[LookupHit]:
    return msgspec.convert(await services.lookup(caller, q or ""), list[LookupHit])


API_HANDLERS: list[Any] = [SCHOOLS_API, BUILDINGS_API, ROOMS_API, SNMP_PROFILES_API, UPLINKS_API, ACCESS_POINTS_API,
                           DEVICES_API, LOANS_API, lookup_api, *disposal_api.HANDLERS]
