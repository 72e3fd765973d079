"""WLAN access points and the rooms they cover. A disposed one (the end of its disposal,
`schoolit.inventory.disposals`) leaves the lists and is not changed any more."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from schoolit.accounts.scope import Scope
from schoolit.describe.inputs import Input
from schoolit.errors import Conflict
from schoolit.inventory.choices import AccessPointStatus
from schoolit.inventory.resources.access_point import ACCESS_POINT, ACCESS_POINTS, STAYS_DISPOSED
from schoolit.inventory.services.store import (
    insert_row,
    one,
    page,
    record,
    same_county_profile,
    same_school,
    school_for_write,
    unless_disposed,
    update_row,
    writing,
)
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, gettext
from schoolit.sql import fetch


async def list_access_points(scope: Scope, *, q: str | None = None, sort: str | None = None, limit: int = 50,
                             offset: int = 0, filters: Mapping[str, Any] | None = None,
                             **by: Any) -> tuple[list[dict[str, Any]], int]:
    """Access points; `filters` (a query string's) and `by` by the description's names."""
    scope.require(Permission.INVENTORY_READ)
    parsed = ACCESS_POINTS.parse({**(filters or {}), **by})
    return await page(ACCESS_POINTS, scope, filters=parsed, q=q, sort=sort, limit=limit, offset=offset,
                      extra=unless_disposed(parsed, "a.status"))


async def get_access_point(scope: Scope, access_point_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return await one(ACCESS_POINTS, scope, access_point_id, N_("access point not found"))


async def _access_point_input(f: Input, school: Mapping[str, Any] | None, current: Mapping[str, Any] | None) -> None:
    """What the description cannot see: the rooms and the profile must be the (new) school's and county's."""
    if school is None:
        return
    moving = current is not None and school["id"] != current["school_id"]
    if moving and "room_id" not in f.values:
        f.values["room_id"] = None  # the old school's room does not come along
    await same_school(f, "room_id", "room", school["id"], None if moving else current)
    rooms = f.values.get("covered_room_ids")
    if rooms:
        found = await fetch("SELECT count(*) AS n FROM room WHERE id = ANY({}) AND school_id = {}", rooms, school["id"])
        if found[0]["n"] != len(rooms):
            f.error("covered_room_ids", N_("rooms must be at this school"))
    assert ACCESS_POINT.validate is not None
    ACCESS_POINT.validate(f, {"prefix": school["management_prefix"],  # the (new) school's network
                              "status": current["status"] if current is not None else None})
    await same_county_profile(f, school["county_id"], None if moving else current)


async def _set_coverage(access_point_id: int, county_id: int, room_ids: Sequence[int]) -> None:
    await fetch("DELETE FROM access_point_room WHERE access_point_id = {}", access_point_id)
    if room_ids:
        await fetch("INSERT INTO access_point_room (county_id, access_point_id, room_id) "
                    "SELECT {}, {}, unnest({}::int[])", county_id, access_point_id, list(room_ids))


async def create_access_point(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f = ACCESS_POINT.check(data, None, skip=("school_id",))
    school = await school_for_write(scope, f)
    await _access_point_input(f, school, None)
    f.raise_if_invalid()
    assert school is not None
    values = dict(f.values)
    rooms = values.pop("covered_room_ids", None) or []
    async with writing():
        ap_id = await insert_row("access_point", {**values, "county_id": school["county_id"],
                                                  "school_id": school["id"]})
        await _set_coverage(ap_id, school["county_id"], rooms)
        ap = await get_access_point(scope, ap_id)
        await record(scope, "access_point.create", "access_point", ap, after=ap)
    return ap


async def update_access_point(scope: Scope, access_point_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Also moves an access point to another school in the caller's scope (its coverage is then
    the rooms given, or none: the old school's rooms do not come along); a disposed one is not changed any
    more."""
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_access_point(scope, access_point_id)
    if before["status"] == AccessPointStatus.DISPOSED.value:
        raise Conflict(gettext(STAYS_DISPOSED))
    f = ACCESS_POINT.check(data, before, skip=("school_id",))
    school = await school_for_write(scope, f, current=before)
    await _access_point_input(f, school, before)
    f.raise_if_invalid()
    assert school is not None
    values = dict(f.values)
    rooms = values.pop("covered_room_ids", None)
    moving = school["id"] != before["school_id"]
    async with writing():
        if moving:
            await _set_coverage(access_point_id, before["county_id"], [])
            values.update(school_id=school["id"], county_id=school["county_id"])
            if "snmp_profile_id" not in values and school["county_id"] != before["county_id"]:
                values["snmp_profile_id"] = None  # profiles belong to a county
        await update_row("access_point", access_point_id, values)
        if rooms is not None or moving:
            await _set_coverage(access_point_id, school["county_id"], rooms or [])
        after = await get_access_point(scope, access_point_id)
        await record(scope, "access_point.move" if moving else "access_point.update", "access_point", after,
                      before=before, after=after)
    return after


async def retire_access_point(scope: Scope, access_point_id: int) -> dict[str, Any]:
    """Access points are retired, not deleted: the funding proof and the history still need them."""
    return await update_access_point(scope, access_point_id, {"status": AccessPointStatus.RETIRED.value})


async def access_point_rooms(scope: Scope, access_point_id: int) -> list[dict[str, Any]]:
    """The rooms an access point covers, with their buildings."""
    ap = await get_access_point(scope, access_point_id)
    return await fetch("SELECT r.id, r.name, r.is_teaching, b.name AS building_name FROM room r LEFT JOIN building b "
                       "ON b.id = r.building_id WHERE r.id = ANY({}) ORDER BY b.name NULLS FIRST, r.name",
                       ap["covered_room_ids"])
