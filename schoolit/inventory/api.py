"""The inventory's JSON API under /api/v1 (thin: parse, call a service with the caller's Scope, shape
the answer with the Structs derived from the resource descriptions)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from schoolit.accounts.auth import Caller
from schoolit.inventory import disposal_api, services
from schoolit.inventory.http import LOANS, READ, WRITE, Day, Filters, LoanState, Text, list_filters, page_of
from schoolit.inventory.resources.access_point import ACCESS_POINTS
from schoolit.inventory.resources.device import DEVICES
from schoolit.inventory.resources.loan import LOANS as LOAN_LIST
from schoolit.inventory.resources.room import BUILDINGS, ROOMS
from schoolit.inventory.resources.school import SCHOOLS
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
    given,
)
from schoolit.schemas import IdFilter, Limit, Offset, Page

# --- API -----------------------------------------------------------------------------------------




class SchoolsApi(Controller):
    path = "/schools"
    tags = ["inventory"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/", opt=READ, summary="List schools", dependencies={"filters": list_filters(SCHOOLS)})
    async def list_schools(self, caller: Caller, filters: Filters, q: Text = None, sort: Text = None,
                           limit: Limit = 50, offset: Offset = 0) -> Page[SchoolOut]:
        """`q` searches name, school number and city; `sort` is one of name, school_number, city, pupils,
        county, school_type, created_at (prefix `-` for descending)."""
        rows, total = await services.list_schools(caller, q=q, sort=sort, limit=limit, offset=offset, filters=filters)
        return page_of(rows, total, SchoolOut)

    @post("/", opt=WRITE, status_code=HTTP_201_CREATED, summary="Create a school")
    async def create_school(self, caller: Caller, data: JSONBody[SchoolIn]) -> SchoolOut:
        return msgspec.convert(await services.create_school(caller, given(data)), SchoolOut)

    @get("/{school_id:int}", opt=READ, summary="One school")
    async def get_school(self, caller: Caller, school_id: FromPath[int]) -> SchoolOut:
        return msgspec.convert(await services.get_school(caller, school_id), SchoolOut)

    @patch("/{school_id:int}", opt=WRITE, summary="Change a school")
    async def update_school(self, caller: Caller, school_id: FromPath[int], data: JSONBody[SchoolIn]) -> SchoolOut:
        return msgspec.convert(await services.update_school(caller, school_id, given(data)), SchoolOut)

    @delete("/{school_id:int}", opt=WRITE, status_code=HTTP_204_NO_CONTENT, summary="Delete an empty school")
    async def delete_school(self, caller: Caller, school_id: FromPath[int]) -> None:
        await services.delete_school(caller, school_id)

    @get("/{school_id:int}/coverage", opt=READ, summary="Planned WLAN coverage of a school")
    async def coverage(self, caller: Caller, school_id: FromPath[int]) -> CoverageOut:
        return msgspec.convert(await services.school_coverage(caller, school_id), CoverageOut)


class BuildingsApi(Controller):
    path = "/buildings"
    tags = ["inventory"]  # noqa: RUF012

    @get("/", opt=READ, summary="List buildings", dependencies={"filters": list_filters(BUILDINGS)})
    async def list_buildings(self, caller: Caller, filters: Filters, q: Text = None, sort: Text = None,
                             limit: Limit = 50, offset: Offset = 0) -> Page[BuildingOut]:
        rows, total = await services.list_buildings(caller, q=q, sort=sort, limit=limit, offset=offset,
                                                    filters=filters)
        return page_of(rows, total, BuildingOut)

    @post("/", opt=WRITE, status_code=HTTP_201_CREATED, summary="Create a building")
    async def create_building(self, caller: Caller, data: JSONBody[BuildingIn]) -> BuildingOut:
        return msgspec.convert(await services.create_building(caller, given(data)), BuildingOut)

    @get("/{building_id:int}", opt=READ, summary="One building")
    async def get_building(self, caller: Caller, building_id: FromPath[int]) -> BuildingOut:
        return msgspec.convert(await services.get_building(caller, building_id), BuildingOut)

    @patch("/{building_id:int}", opt=WRITE, summary="Rename a building")
    async def update_building(self, caller: Caller, building_id: FromPath[int],
                              data: JSONBody[BuildingIn]) -> BuildingOut:
        return msgspec.convert(await services.update_building(caller, building_id, given(data)), BuildingOut)

    @delete("/{building_id:int}", opt=WRITE, status_code=HTTP_204_NO_CONTENT, summary="Delete a building")
    async def delete_building(self, caller: Caller, building_id: FromPath[int]) -> None:
        await services.delete_building(caller, building_id)


class RoomsApi(Controller):
    path = "/rooms"
    tags = ["inventory"]  # noqa: RUF012

    @get("/", opt=READ, summary="List rooms", dependencies={"filters": list_filters(ROOMS)})
    async def list_rooms(self, caller: Caller, filters: Filters, q: Text = None, sort: Text = None,
                         limit: Limit = 50, offset: Offset = 0) -> Page[RoomOut]:
        rows, total = await services.list_rooms(caller, q=q, sort=sort, limit=limit, offset=offset, filters=filters)
        return page_of(rows, total, RoomOut)

    @post("/", opt=WRITE, status_code=HTTP_201_CREATED, summary="Create a room")
    async def create_room(self, caller: Caller, data: JSONBody[RoomIn]) -> RoomOut:
        return msgspec.convert(await services.create_room(caller, given(data)), RoomOut)

    @get("/{room_id:int}", opt=READ, summary="One room")
    async def get_room(self, caller: Caller, room_id: FromPath[int]) -> RoomOut:
        return msgspec.convert(await services.get_room(caller, room_id), RoomOut)

    @patch("/{room_id:int}", opt=WRITE, summary="Change a room")
    async def update_room(self, caller: Caller, room_id: FromPath[int], data: JSONBody[RoomIn]) -> RoomOut:
        return msgspec.convert(await services.update_room(caller, room_id, given(data)), RoomOut)

    @delete("/{room_id:int}", opt=WRITE, status_code=HTTP_204_NO_CONTENT, summary="Delete a room")
    async def delete_room(self, caller: Caller, room_id: FromPath[int]) -> None:
        await services.delete_room(caller, room_id)


class SnmpProfilesApi(Controller):
    path = "/snmp-profiles"
    tags = ["inventory"]  # noqa: RUF012

    @get("/", opt=WRITE, summary="List SNMP profiles (secrets are never returned)")
    async def list_profiles(self, caller: Caller, county_id: IdFilter = None, version: Text = None, q: Text = None,
                            sort: Text = None, limit: Limit = 50, offset: Offset = 0) -> Page[SnmpProfileOut]:
        rows, total = await services.list_snmp_profiles(caller, county_id=county_id, version=version, q=q,
                                                        sort=sort, limit=limit, offset=offset)
        return page_of(rows, total, SnmpProfileOut)

    @post("/", opt=WRITE, status_code=HTTP_201_CREATED, summary="Create an SNMP profile")
    async def create_profile(self, caller: Caller, data: JSONBody[SnmpProfileIn]) -> SnmpProfileOut:
        return msgspec.convert(await services.create_snmp_profile(caller, given(data)), SnmpProfileOut)

    @get("/{snmp_profile_id:int}", opt=WRITE, summary="One SNMP profile (without its secrets)")
    async def get_profile(self, caller: Caller, snmp_profile_id: FromPath[int]) -> SnmpProfileOut:
        return msgspec.convert(await services.get_snmp_profile(caller, snmp_profile_id), SnmpProfileOut)

    @patch("/{snmp_profile_id:int}", opt=WRITE, summary="Change an SNMP profile (empty secrets keep the stored)")
    async def update_profile(self, caller: Caller, snmp_profile_id: FromPath[int],
                             data: JSONBody[SnmpProfileIn]) -> SnmpProfileOut:
        return msgspec.convert(await services.update_snmp_profile(caller, snmp_profile_id, given(data)),
                               SnmpProfileOut)

    @delete("/{snmp_profile_id:int}", opt=WRITE, status_code=HTTP_204_NO_CONTENT, summary="Delete an SNMP profile")
    async def delete_profile(self, caller: Caller, snmp_profile_id: FromPath[int]) -> None:
        await services.delete_snmp_profile(caller, snmp_profile_id)


class UplinksApi(Controller):
    path = "/uplinks"
    tags = ["inventory"]  # noqa: RUF012

    @get("/", opt=READ, summary="List uplinks", dependencies={"filters": list_filters(UPLINKS)})
    async def list_uplinks(self, caller: Caller, filters: Filters, q: Text = None, sort: Text = None,
                           limit: Limit = 50, offset: Offset = 0) -> Page[UplinkOut]:
        rows, total = await services.list_uplinks(caller, q=q, sort=sort, limit=limit, offset=offset, filters=filters)
        return page_of(rows, total, UplinkOut)

    @post("/", opt=WRITE, status_code=HTTP_201_CREATED, summary="Create an uplink")
    async def create_uplink(self, caller: Caller, data: JSONBody[UplinkIn]) -> UplinkOut:
        return msgspec.convert(await services.create_uplink(caller, given(data)), UplinkOut)

    @get("/{uplink_id:int}", opt=READ, summary="One uplink")
    async def get_uplink(self, caller: Caller, uplink_id: FromPath[int]) -> UplinkOut:
        return msgspec.convert(await services.get_uplink(caller, uplink_id), UplinkOut)

    @patch("/{uplink_id:int}", opt=WRITE, summary="Change an uplink")
    async def update_uplink(self, caller: Caller, uplink_id: FromPath[int], data: JSONBody[UplinkIn]) -> UplinkOut:
        return msgspec.convert(await services.update_uplink(caller, uplink_id, given(data)), UplinkOut)

    @delete("/{uplink_id:int}", opt=WRITE, status_code=HTTP_204_NO_CONTENT, summary="Delete an uplink")
    async def delete_uplink(self, caller: Caller, uplink_id: FromPath[int]) -> None:
        await services.delete_uplink(caller, uplink_id)


class AccessPointsApi(Controller):
    path = "/access-points"
    tags = ["inventory"]  # noqa: RUF012

    @get("/", opt=READ, summary="List access points", dependencies={"filters": list_filters(ACCESS_POINTS)})
    async def list_access_points(self, caller: Caller, filters: Filters, q: Text = None, sort: Text = None,
                                 limit: Limit = 50, offset: Offset = 0) -> Page[AccessPointOut]:
        """`q` searches name, serial, model, MAC (any notation) and management IP."""
        rows, total = await services.list_access_points(caller, q=q, sort=sort, limit=limit, offset=offset,
                                                        filters=filters)
        return page_of(rows, total, AccessPointOut)

    @post("/", opt=WRITE, status_code=HTTP_201_CREATED, summary="Create an access point")
    async def create_access_point(self, caller: Caller, data: JSONBody[AccessPointIn]) -> AccessPointOut:
        return msgspec.convert(await services.create_access_point(caller, given(data)), AccessPointOut)

    @get("/{access_point_id:int}", opt=READ, summary="One access point")
    async def get_access_point(self, caller: Caller, access_point_id: FromPath[int]) -> AccessPointOut:
        return msgspec.convert(await services.get_access_point(caller, access_point_id), AccessPointOut)

    @patch("/{access_point_id:int}", opt=WRITE, summary="Change or move an access point")
    async def update_access_point(self, caller: Caller, access_point_id: FromPath[int],
                                  data: JSONBody[AccessPointIn]) -> AccessPointOut:
        return msgspec.convert(await services.update_access_point(caller, access_point_id, given(data)),
                               AccessPointOut)

    @post("/{access_point_id:int}/retire", opt=WRITE, status_code=200, summary="Retire an access point")
    async def retire_access_point(self, caller: Caller, access_point_id: FromPath[int]) -> AccessPointOut:
        return msgspec.convert(await services.retire_access_point(caller, access_point_id), AccessPointOut)


class DevicesApi(Controller):
    path = "/devices"
    tags = ["inventory"]  # noqa: RUF012

    @get("/", opt=READ, summary="List pupil devices", dependencies={"filters": list_filters(DEVICES)})
    async def list_devices(self, caller: Caller, filters: Filters, q: Text = None, sort: Text = None,
                           limit: Limit = 50, offset: Offset = 0) -> Page[DeviceOut]:
        """`q` searches serial, asset tag, model, MDM id and MAC (any notation)."""
        rows, total = await services.list_devices(caller, q=q, sort=sort, limit=limit, offset=offset, filters=filters)
        return page_of(rows, total, DeviceOut)

    @post("/", opt=WRITE, status_code=HTTP_201_CREATED, summary="Create a device")
    async def create_device(self, caller: Caller, data: JSONBody[DeviceIn]) -> DeviceOut:
        return msgspec.convert(await services.create_device(caller, given(data)), DeviceOut)

    @post("/status", opt=WRITE, status_code=200, summary="Set the status of several devices (all or nothing)")
    async def set_status(self, caller: Caller, data: JSONBody[DeviceStatusIn]) -> list[DeviceOut]:
        """422 naming every device whose rules block the change (a lent one stays lent until it is
        returned); 404 when one is not in your scope. Nothing is changed then."""
        return msgspec.convert(await services.set_device_status(caller, data.ids, data.status), list[DeviceOut])

    @get("/{device_id:int}", opt=READ, summary="One device")
    async def get_device(self, caller: Caller, device_id: FromPath[int]) -> DeviceOut:
        return msgspec.convert(await services.get_device(caller, device_id), DeviceOut)

    @patch("/{device_id:int}", opt=WRITE, summary="Change or move a device")
    async def update_device(self, caller: Caller, device_id: FromPath[int], data: JSONBody[DeviceIn]) -> DeviceOut:
        return msgspec.convert(await services.update_device(caller, device_id, given(data)), DeviceOut)

    @post("/{device_id:int}/retire", opt=WRITE, status_code=200, summary="Retire a device")
    async def retire_device(self, caller: Caller, device_id: FromPath[int]) -> DeviceOut:
        return msgspec.convert(await services.retire_device(caller, device_id), DeviceOut)


class LoansApi(Controller):
    path = "/loans"
    tags = ["inventory"]  # noqa: RUF012

    @get("/", opt=READ, summary="List loans", dependencies={"filters": list_filters(LOAN_LIST)})
    async def list_loans(self, caller: Caller, filters: Filters, loan_state: LoanState = None,
                         due_before: Day = None, q: Text = None, sort: Text = None, limit: Limit = 50,
                         offset: Offset = 0) -> Page[LoanOut]:
        """`state`: open, returned, overdue (open, past due) or due (open, due by the end of this school
        year). `q` searches pupil reference, class, serial and asset tag."""
        rows, total = await services.list_loans(caller, state=loan_state, due_before=due_before, q=q, sort=sort,
                                                limit=limit, offset=offset, filters=filters)
        return page_of(rows, total, LoanOut)

    @post("/", opt=LOANS, status_code=HTTP_201_CREATED, summary="Lend a device (409 when it is lent already)")
    async def lend(self, caller: Caller, data: JSONBody[LoanIn]) -> LoanOut:
        return msgspec.convert(await services.lend_device(caller, given(data)), LoanOut)

    @post("/bulk", opt=LOANS, status_code=HTTP_201_CREATED, summary="Lend devices to a class (all or nothing)")
    async def bulk(self, caller: Caller, data: JSONBody[BulkLendIn]) -> list[LoanOut]:
        rows = [services.BulkRow(serial=r.serial, pupil_ref=r.pupil_ref) for r in data.rows]
        terms = {k: v for k, v in given(data).items() if k not in ("school_id", "rows")}
        return msgspec.convert(await services.bulk_lend(caller, data.school_id, rows, terms), list[LoanOut])

    @post("/return", opt=LOANS, status_code=200, summary="Return several loans, e.g. a class's (all or nothing)")
    async def return_loans(self, caller: Caller, data: JSONBody[BulkReturnIn]) -> list[LoanOut]:
        """422 naming every loan that blocks it (returned already, lent after the day); 404 when one is
        not in your scope. Nothing is returned then."""
        terms = {k: v for k, v in given(data).items() if k != "ids"}
        return msgspec.convert(await services.return_loans(caller, data.ids, terms), list[LoanOut])

    @get("/{loan_id:int}", opt=READ, summary="One loan")
    async def get_loan(self, caller: Caller, loan_id: FromPath[int]) -> LoanOut:
        return msgspec.convert(await services.get_loan(caller, loan_id), LoanOut)

    @patch("/{loan_id:int}", opt=LOANS, summary="Correct a loan's terms")
    async def update_loan(self, caller: Caller, loan_id: FromPath[int], data: JSONBody[LoanPatch]) -> LoanOut:
        return msgspec.convert(await services.update_loan(caller, loan_id, given(data)), LoanOut)

    @post("/{loan_id:int}/return", opt=LOANS, status_code=200, summary="Return a loan")
    async def return_loan(self, caller: Caller, loan_id: FromPath[int], data: JSONBody[ReturnIn]) -> LoanOut:
        return msgspec.convert(await services.return_loan(caller, loan_id, given(data)), LoanOut)


@get("/lookup", opt=READ, tags=["inventory"], summary="Find a device or access point by serial, asset tag or MAC")
async def lookup_api(caller: Caller, q: Text = None) -> list[LookupHit]:
    return msgspec.convert(await services.lookup(caller, q or ""), list[LookupHit])


API_HANDLERS: list[Any] = [SchoolsApi, BuildingsApi, RoomsApi, SnmpProfilesApi, UplinksApi, AccessPointsApi,
                           DevicesApi, LoansApi, lookup_api, *disposal_api.HANDLERS]
