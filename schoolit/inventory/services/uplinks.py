"""Internet uplinks of schools."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schoolit.accounts.scope import Scope
from schoolit.describe.inputs import Input
from schoolit.inventory.resources.uplink import UPLINK, UPLINKS
from schoolit.inventory.services.store import (
    change_row,
    create_row,
    delete_row,
    one,
    page,
    same_county_profile,
    school_for_write,
    stays_at_school,
)
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_


async def list_uplinks(scope: Scope, *, q: str | None = None, sort: str | None = None, limit: int = 50,
                       offset: int = 0, filters: Mapping[str, Any] | None = None,
                       **by: Any) -> tuple[list[dict[str, Any]], int]:
    """Uplinks; `filters` (a query string's) and `by` by the description's names."""
    scope.require(Permission.INVENTORY_READ)
    return await page(UPLINKS, scope, filters=UPLINKS.parse({**(filters or {}), **by}), q=q, sort=sort,
                       limit=limit, offset=offset)


async def get_uplink(scope: Scope, uplink_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return await one(UPLINKS, scope, uplink_id, N_("uplink not found"))


async def _uplink_input(f: Input, county_id: int | None, current: Mapping[str, Any] | None) -> None:
    assert UPLINK.validate is not None
    UPLINK.validate(f, current or {})
    await same_county_profile(f, county_id, current)


async def create_uplink(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f = UPLINK.check(data, None, skip=("school_id",))
    school = await school_for_write(scope, f)
    await _uplink_input(f, school["county_id"] if school else None, None)
    f.raise_if_invalid()
    assert school is not None
    return await create_row(scope, "uplink", {**f.values, "county_id": school["county_id"],
                                           "school_id": school["id"]}, get_uplink)


async def update_uplink(scope: Scope, uplink_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_uplink(scope, uplink_id)
    f = UPLINK.check(data, before, skip=("school_id",))
    stays_at_school(f, before)
    await _uplink_input(f, before["county_id"], before)
    f.raise_if_invalid()
    f.values.pop("school_id", None)
    return await change_row(scope, "uplink", before, f.values, get_uplink)


async def delete_uplink(scope: Scope, uplink_id: int) -> None:
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_uplink(scope, uplink_id)
    await delete_row(scope, "uplink", before)
