"""Pupil devices, and the lookup of a typed or scanned serial, asset tag or MAC."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from schoolit import lists
from schoolit.accounts.scope import Scope
from schoolit.describe import identifiers
from schoolit.describe.inputs import Input
from schoolit.errors import Conflict, FieldError, NotFound, ValidationFailed
from schoolit.inventory.choices import DeviceStatus
from schoolit.inventory.resources.access_point import ACCESS_POINTS
from schoolit.inventory.resources.device import (
    BULK_LENT,
    DEVICE,
    DEVICES,
    DISPOSED,
    LENT,
    STAYS_DISPOSED,
    STAYS_LENT,
    move_problem,
)
from schoolit.inventory.services.store import (
    blocking,
    bulk_ids,
    change_row,
    create_row,
    one,
    page,
    record,
    school_for_write,
    unless_disposed,
    writing,
)
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, gettext
from schoolit.sql import fetch, fragment

DEVICE_NOT_FOUND = N_("device not found")


async def list_devices(scope: Scope, *, q: str | None = None, sort: str | None = None, limit: int = 50,
                       offset: int = 0, filters: Mapping[str, Any] | None = None,
                       **by: Any) -> tuple[list[dict[str, Any]], int]:
    """Devices; `filters` (a query string's) and `by` by the description's names (`DEVICES.filters`)."""
    scope.require(Permission.INVENTORY_READ)
    parsed = DEVICES.parse({**(filters or {}), **by})
    return await page(DEVICES, scope, filters=parsed, q=q, sort=sort, limit=limit, offset=offset,
                      extra=unless_disposed(parsed, "d.status"))


async def get_device(scope: Scope, device_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return await one(DEVICES, scope, device_id, DEVICE_NOT_FOUND)


def _device_input(data: Mapping[str, Any], current: Mapping[str, Any] | None) -> Input:
    f: Input = DEVICE.check(data, current, skip=("school_id",))
    stored = {} if current is None else {"on_loan": current["open_loan_id"] is not None, "status": current["status"]}
    assert DEVICE.validate is not None
    DEVICE.validate(f, stored)
    return f


async def create_device(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f = _device_input(data, None)
    school = await school_for_write(scope, f)
    f.raise_if_invalid()
    assert school is not None
    return await create_row(scope, "device", {**f.values, "county_id": school["county_id"],
                                           "school_id": school["id"]}, get_device)


async def update_device(scope: Scope, device_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Also moves a device to another school in the caller's scope (not while it is lent); a disposed device
    is not changed any more."""
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_device(scope, device_id)
    if before["status"] == DISPOSED:
        raise Conflict(gettext(STAYS_DISPOSED))
    f = _device_input(data, before)
    school = await school_for_write(scope, f, current=before)
    f.raise_if_invalid()
    assert school is not None
    values = dict(f.values)
    moving = school["id"] != before["school_id"]
    if moving:
        has_loans = (await fetch("SELECT count(*) AS n FROM loan WHERE device_id = {}", device_id))[0]["n"] > 0
        problem = move_problem({"on_loan": before["open_loan_id"] is not None, "has_loans": has_loans,
                                "county_id": before["county_id"]}, school["county_id"])
        if problem:
            raise Conflict(problem)
        values.update(school_id=school["id"], county_id=school["county_id"])
    return await change_row(scope, "device", before, values, get_device, action="move" if moving else "update")


async def retire_device(scope: Scope, device_id: int) -> dict[str, Any]:
    """Devices are retired, not deleted (funding proof, loan history); a lent one is returned first."""
    scope.require(Permission.INVENTORY_WRITE)
    if (await get_device(scope, device_id))["open_loan_id"] is not None:
        raise Conflict(N_("the device is lent: return it first"))
    return await update_device(scope, device_id, {"status": DeviceStatus.RETIRED.value})


# --- bulk status ---------------------------------------------------------------------------------

BLOCKED = N_("Nothing was changed. These devices block it: %(devices)s")


async def write_device_status(device_ids: Sequence[int], status: str) -> None:
    """Set the status of devices (inside the caller's transaction; scope and audit are the caller's)."""
    await fetch("UPDATE device SET status = {}, updated_at = now() WHERE id = ANY({})", status, list(device_ids))


async def set_device_status(scope: Scope, device_ids: Sequence[int], status: Any) -> list[dict[str, Any]]:
    """Set the status of many devices at once (stock, repair, lost or retired): all or nothing. The
    device's `validate` rules apply to each, and a lent device keeps its status until it is returned;
    the message names every device that blocks the change. A device outside the caller's scope is a
    404 like a single one. One audit entry per changed device (`device.status`, marked as bulk)."""
    scope.require(Permission.INVENTORY_WRITE)
    f = Input({"status": status}, partial=False)
    f.choice("status", DeviceStatus, required=True)
    ids = bulk_ids(f, device_ids, DEVICE_NOT_FOUND, N_("choose at least one device"))
    if f.value("status") == LENT:
        f.error("status", BULK_LENT)
    f.raise_if_invalid()
    status = f.value("status")
    before, _total = await page(DEVICES, scope, limit=len(ids) + 1, sort="serial",
                                extra=[fragment("d.id = ANY({})", ids)])
    if len(before) != len(ids):
        raise NotFound(DEVICE_NOT_FOUND)
    blocked: list[tuple[str, str]] = []
    for device in before:
        check = _device_input({"status": status}, device)
        if device["status"] == LENT and not check.has_error("status"):
            check.error("status", STAYS_LENT)
        if check.errors:
            blocked.append((device["serial"], check.errors[0].message))
    if blocked:
        raise ValidationFailed([FieldError("ids", gettext(BLOCKED, devices=blocking(blocked)))])
    changing = {d["id"]: d for d in before if d["status"] != status}
    if not changing:
        return before
    async with writing():
        await write_device_status(list(changing), status)
        after, _total = await page(DEVICES, scope, limit=len(ids) + 1, sort="serial",
                                   extra=[fragment("d.id = ANY({})", ids)])
        for device in after:
            if device["id"] in changing:
                await record(scope, "device.status", "device", device, before=changing[device["id"]],
                             after={**device, "bulk": True})
    return after


# --- lookup (typed or scanned) -------------------------------------------------------------------


async def lookup(scope: Scope, text: str) -> list[dict[str, Any]]:
    """Devices and access points whose serial, asset tag or MAC is exactly what was typed or scanned; a text
    longer than a list's search takes (`lists.SEARCH_LENGTH`) is refused at `q`."""
    scope.require(Permission.INVENTORY_READ)
    if errors := lists.search_errors(text):
        raise ValidationFailed(errors)
    text = text.strip()
    if not text:
        return []
    serial = text.upper()
    mac = None
    with contextlib.suppress(ValueError):
        mac = identifiers.mac_address(text)
    devices, _ = await page(DEVICES, scope, limit=20, extra=[fragment(
        "(d.serial = {} OR upper(d.asset_tag) = {} OR d.mac = {}::macaddr)", serial, serial, mac)])
    access_points, _ = await page(ACCESS_POINTS, scope, limit=20, extra=[fragment(
        "(a.serial = {} OR a.mac = {}::macaddr)", serial, mac)])
    found = [{"kind": "device", "id": d["id"], "school_id": d["school_id"], "school_name": d["school_name"],
              "label": " ".join(p for p in (d["vendor"], d["model"]) if p) or d["kind"], "serial": d["serial"],
              "asset_tag": d["asset_tag"], "mac": d["mac"], "status": d["status"]} for d in devices]
    found += [{"kind": "access_point", "id": a["id"], "school_id": a["school_id"], "school_name": a["school_name"],
               "label": a["name"] or " ".join(p for p in (a["vendor"], a["model"]) if p), "serial": a["serial"],
               "asset_tag": None, "mac": a["mac"], "status": a["status"]} for a in access_points]
    return found
