"""Buildings and rooms of a school."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schoolit.accounts.scope import Scope
from schoolit.inventory.resources.room import BUILDING_RESOURCE, BUILDINGS, ROOM, ROOMS
from schoolit.inventory.services.store import (
    change_row,
    create_row,
    delete_row,
    one,
    page,
    same_school,
    school_for_write,
    stays_at_school,
)
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_


async def list_buildings(scope: Scope, *, q: str | None = None, sort: str | None = None, limit: int = 50,
                         offset: int = 0, filters: Mapping[str, Any] | None = None,
                         **by: Any) -> tuple[list[dict[str, Any]], int]:
    """Buildings; `filters` (a query string's) and `by` by the description's names."""
    scope.require(Permission.INVENTORY_READ)
    return await page(BUILDINGS, scope, filters=BUILDINGS.parse({**(filters or {}), **by}), q=q, sort=sort,
                       limit=limit, offset=offset)


async def get_building(scope: Scope, building_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return await one(BUILDINGS, scope, building_id, N_("building not found"))


async def create_building(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f = BUILDING_RESOURCE.check(data, None, skip=("school_id",))
    school = await school_for_write(scope, f)
    f.raise_if_invalid()
    assert school is not None
    return await create_row(scope, "building", {"county_id": school["county_id"], "school_id": school["id"],
                                             "name": f.values["name"]}, get_building)


async def update_building(scope: Scope, building_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_building(scope, building_id)
    f = BUILDING_RESOURCE.check(data, before, skip=("school_id",))
    stays_at_school(f, before)
    f.raise_if_invalid()
    f.values.pop("school_id", None)
    return await change_row(scope, "building", before, f.values, get_building, touch=False)


async def delete_building(scope: Scope, building_id: int) -> None:
    """Its rooms stay, without a building."""
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_building(scope, building_id)
    await delete_row(scope, "building", before)


async def list_rooms(scope: Scope, *, q: str | None = None, sort: str | None = None, limit: int = 50,
                     offset: int = 0, filters: Mapping[str, Any] | None = None,
                     **by: Any) -> tuple[list[dict[str, Any]], int]:
    """Rooms; `filters` (a query string's) and `by` by the description's names."""
    scope.require(Permission.INVENTORY_READ)
    return await page(ROOMS, scope, filters=ROOMS.parse({**(filters or {}), **by}), q=q, sort=sort, limit=limit,
                       offset=offset)


async def room_choices(scope: Scope, school_id: int) -> list[tuple[str, str]]:
    """A school's rooms as (id, "building · room") for a select (none outside the scope)."""
    rows, _ = await list_rooms(scope, school_id=school_id, limit=500)
    return [(str(r["id"]), " · ".join(p for p in (r["building_name"], r["name"]) if p)) for r in rows]


async def get_room(scope: Scope, room_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return await one(ROOMS, scope, room_id, N_("room not found"))


async def create_room(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f = ROOM.check(data, None, skip=("school_id",))
    school = await school_for_write(scope, f)
    if "is_teaching" not in data:
        f.values["is_teaching"] = True  # most rooms of a school are classrooms
    await same_school(f, "building_id", "building", school["id"] if school else None)
    f.raise_if_invalid()
    assert school is not None
    return await create_row(scope, "room", {**f.values, "county_id": school["county_id"], "school_id": school["id"]},
                         get_room)


async def update_room(scope: Scope, room_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_room(scope, room_id)
    f = ROOM.check(data, before, skip=("school_id",))
    stays_at_school(f, before)
    await same_school(f, "building_id", "building", before["school_id"])
    f.raise_if_invalid()
    f.values.pop("school_id", None)
    return await change_row(scope, "room", before, f.values, get_room, touch=False)


async def delete_room(scope: Scope, room_id: int) -> None:
    """Its coverage goes with it; access points hanging there keep hanging, without a room."""
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_room(scope, room_id)
    await delete_row(scope, "room", before)
