"""Schools: list, read, create, change, delete; coverage; seeding by school number."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from schoolit import rules
from schoolit.accounts import directory, tenants
from schoolit.accounts.scope import Scope
from schoolit.describe.inputs import Input
from schoolit.errors import Conflict, FieldError, ValidationFailed
from schoolit.inventory.definitions import (
    PLANNED_COVERED,
    gigabit_symmetric,
)
from schoolit.inventory.resources.school import SCHOOL, SCHOOLS
from schoolit.inventory.services.store import change_row, county_for_write, create_row, delete_row, one, page
from schoolit.inventory.tables import School
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import fetch


def _with_school_figures(row: dict[str, Any]) -> dict[str, Any]:
    teaching, covered = row["teaching_rooms"], row["covered_teaching_rooms"]
    row["planned_coverage"] = round(covered / teaching, 4) if teaching else None
    down, up = row["uplink_down_mbps"], row["uplink_up_mbps"]
    row["uplink_gigabit_symmetric"] = gigabit_symmetric(down, up)
    return row


async def list_schools(scope: Scope, *, q: str | None = None, sort: str | None = None, limit: int = 50,
                       offset: int = 0, filters: Mapping[str, Any] | None = None,
                       **by: Any) -> tuple[list[dict[str, Any]], int]:
    """Schools; `filters` (a query string's) and `by` by the description's names (`SCHOOLS.filters`)."""
    scope.require(Permission.INVENTORY_READ)
    rows, total = await page(SCHOOLS, scope, filters=SCHOOLS.parse({**(filters or {}), **by}), q=q, sort=sort,
                              limit=limit, offset=offset)
    return [_with_school_figures(r) for r in rows], total


async def get_school(scope: Scope, school_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return _with_school_figures(await one(SCHOOLS, scope, school_id, rules.SCHOOL_NOT_FOUND))


async def school_totals(county_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Number of schools and of pupils per county: aggregates only (an arrangement's cost split weighs
    its members by them, over the whole arrangement whoever asks)."""
    rows = await fetch("SELECT county_id, count(*)::int AS schools, coalesce(sum(pupils), 0)::int AS pupils "
                       "FROM school WHERE county_id = ANY({}) GROUP BY county_id", list(county_ids))
    return {r["county_id"]: {"schools": r["schools"], "pupils": r["pupils"]} for r in rows}


async def _school_input(data: Mapping[str, Any], current: Mapping[str, Any] | None) -> Input:
    f: Input = SCHOOL.check(data, current, skip=("county_id",))
    f.reference("county_id")
    ips = [] if current is None else [row["ip"] for row in await fetch(
        "SELECT host(management_ip) AS ip FROM access_point WHERE school_id = {} AND management_ip IS NOT NULL",
        current["id"])]
    assert SCHOOL.validate is not None
    SCHOOL.validate(f, {"access_point_ips": ips})
    return f


async def create_school(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f = await _school_input(data, None)
    county_id = county_for_write(scope, f)
    if county_id is not None and await tenants.retired_counties([county_id]):
        f.error("county_id", tenants.COUNTY_RETIRED)
    f.raise_if_invalid()
    return await create_row(scope, "school", {**f.values, "county_id": county_id}, get_school)


async def update_school(scope: Scope, school_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_school(scope, school_id)
    f = await _school_input(data, before)
    if f.value("county_id") != before["county_id"]:
        # Users, probes and loan records of the school belong to its county: schools do not move.
        f.error("county_id", N_("a school cannot move to another county"))
    f.raise_if_invalid()
    values = {k: v for k, v in f.values.items() if k != "county_id"}
    return await change_row(scope, "school", before, values, get_school)


async def delete_school(scope: Scope, school_id: int) -> None:
    """Only an empty school goes: access points, devices, loans, users and probes keep it."""
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_school(scope, school_id)
    held = await fetch(
        "SELECT EXISTS (SELECT 1 FROM access_point WHERE school_id = {}) OR EXISTS (SELECT 1 FROM device WHERE "
        "school_id = {}) AS held", school_id, school_id)
    if held[0]["held"] or await directory.school_has_accounts(school_id):
        raise Conflict(N_("the school still has access points, devices, users or probes"))
    await delete_row(scope, "school", before)


async def school_coverage(scope: Scope, school_id: int) -> dict[str, Any]:
    """Planned WLAN coverage: teaching rooms with a covering access point / all teaching rooms."""
    school = await get_school(scope, school_id)
    uncovered = await fetch(
        "SELECT r.id, r.name, b.name AS building_name FROM room r LEFT JOIN building b ON b.id = r.building_id "  # noqa: S608
        f"WHERE r.school_id = {{}} AND r.is_teaching AND NOT {PLANNED_COVERED} ORDER BY b.name NULLS FIRST, r.name",
        school_id)
    return {"school_id": school_id, "teaching_rooms": school["teaching_rooms"],
            "covered_teaching_rooms": school["covered_teaching_rooms"],
            "planned_coverage": school["planned_coverage"], "uncovered_rooms": uncovered}


# --- seeding -------------------------------------------------------------------------------------


async def upsert_school(*, county_id: int, school_number: str, name: str, school_type: str, city: str,
                        pupils: int) -> int:
    """Create or update a school by its school number; returns its id. A retired county takes no new
    school (one already there is still brought up to date)."""
    exists = await School.exists().where((School.school_number == school_number) & (School.county_id == county_id))
    if not exists and await tenants.retired_counties([county_id]):
        raise ValidationFailed([FieldError("county", tenants.COUNTY_RETIRED)])
    rows = await School.insert(
        School(county_id=county_id, school_number=school_number, name=name, school_type=school_type, city=city,
               pupils=pupils)
    ).on_conflict(
        target=School.school_number,
        action="DO UPDATE",
        values=[School.county_id, School.name, School.school_type, School.city, School.pupils],
    ).returning(School.id)
    return int(rows[0]["id"])
