"""Services of the inventory domain: queries, transactions and rules (never a Request).

Every function that reads or writes tenant data takes the caller's Scope first: lists are filtered by it,
single rows outside it answer NotFound (404, so existence does not leak), and actions the role may not
take raise Forbidden. Writes run inside `atomic()` and append an audit row in the same transaction.
Input is checked field by field (`schoolit.inventory.inputs.Input`): every bad field is reported at once
and nothing is written. Database uniqueness rules become field errors; the one-open-loan rule a 409.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from schoolit.accounts import audit, directory, schools, tenants
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from schoolit.inventory import secrets, validation
from schoolit.inventory.choices import (
    AccessPointStatus,
    DeviceStatus,
    SnmpAuthProtocol,
    SnmpPrivProtocol,
    SnmpVersion,
)
from schoolit.inventory.definitions import (
    AP_COVERS_AS_PLANNED,
    DEVICES_IN_SERVICE,
    LOAN_OPEN,
    LOAN_OVERDUE,
    PLANNED_COVERED,
    gigabit_symmetric,
    gigabit_symmetric_sql,
    retention_cutoff,
    school_year_end,
    today,
)
from schoolit.inventory.description import Listing
from schoolit.inventory.inputs import REQUIRED, Input
from schoolit.inventory.resources import BY_TABLE
from schoolit.inventory.resources.access_point import ACCESS_POINT, ACCESS_POINTS
from schoolit.inventory.resources.device import DEVICE, DEVICES, move_problem
from schoolit.inventory.resources.loan import IN_THE_FUTURE, LOAN, LOANS
from schoolit.inventory.resources.room import BUILDING_RESOURCE, BUILDINGS, ROOM, ROOMS
from schoolit.inventory.resources.school import SCHOOL, SCHOOLS
from schoolit.inventory.resources.uplink import UPLINK, UPLINKS
from schoolit.inventory.tables import School
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import fetch

MAX_BULK_ROWS = 200
UNKNOWN_SCHOOL = N_("unknown school")
ALREADY_IN_USE = N_("already in use")
OPEN_LOAN = N_("the device already has an open loan: return it first")

# --- for other domains ----------------------------------------------------------------------------


async def school_ref_by_number(school_number: str) -> schools.SchoolRef | None:
    """Id and county of the school with this number, unscoped: accounts resolves a school user's or a
    probe's school with it (registered below); the caller checks the scope."""
    row = await School.select(School.id, School.county_id).where(School.school_number == school_number).first()
    return None if row is None else schools.SchoolRef(int(row["id"]), int(row["county_id"]))


async def school_choices(ids: Sequence[int] | None = None) -> list[schools.SchoolChoice]:
    """Every school (or these), by county and name, unscoped: accounts lists them for an admin who
    picks a school contact's school (registered below)."""
    wanted = None if ids is None else list(ids)
    rows = await fetch("SELECT s.id, s.school_number, s.name, s.city, c.name AS county FROM school s "
                       "JOIN county_directory c ON c.id = s.county_id WHERE {}::int[] IS NULL OR s.id = ANY({}) "
                       "ORDER BY c.name, s.name", wanted, wanted)
    return [schools.SchoolChoice(**row) for row in rows]


schools.register_lookup(school_ref_by_number)
schools.register_listing(school_choices)


# The shared definitions (`schoolit.inventory.definitions`) that other domains read through this module.
__all__ = ["AP_COVERS_AS_PLANNED", "DEVICES_IN_SERVICE", "LOAN_OPEN", "LOAN_OVERDUE", "PLANNED_COVERED",
           "gigabit_symmetric", "gigabit_symmetric_sql", "retention_cutoff", "school_year_end", "today"]

_ASSET_TABLES = {"access_point": "access_point", "device": "device", "uplink": "uplink", "room": "room"}


async def asset_at_school(kind: str, asset_id: int, school_id: int) -> bool:
    """Whether the access point, device, uplink or room `asset_id` belongs to the school (a ticket's asset)."""
    table = _ASSET_TABLES[kind]
    return bool(await fetch(f"SELECT 1 FROM {table} WHERE id = {{}} AND school_id = {{}}",  # noqa: S608 (fixed map)
                            asset_id, school_id))


# How a ticket names its asset (the label of its link).
_ASSET_LABELS = {"access_point": "coalesce(nullif(name, ''), serial)", "device": "serial",
                 "uplink": "provider || coalesce(' ' || nullif(line_id, ''), '')", "room": "name"}


async def asset_label(kind: str, asset_id: int, school_id: int) -> str | None:
    """The label of a ticket's asset at its school (None when it is gone), for other domains' links."""
    table, label = _ASSET_TABLES[kind], _ASSET_LABELS[kind]
    rows = await fetch(f"SELECT {label} AS label FROM {table} WHERE id = {{}} AND school_id = {{}}",  # noqa: S608
                       asset_id, school_id)
    return rows[0]["label"] if rows else None


async def school_names(school_ids: Iterable[int]) -> dict[int, str]:
    """The name of each school id given (labels of rows the caller was allowed to read)."""
    rows = await fetch("SELECT id, name FROM school WHERE id = ANY({})", sorted(set(school_ids)))
    return {row["id"]: row["name"] for row in rows}


async def school_summary(*, school_id: int | None = None, school_number: str | None = None) -> dict[str, Any] | None:
    """`id, county_id, name, school_number` of one school by id or by number, unscoped: for other domains
    (a ticket's school, the public fault form), which check the caller's scope on the county and id."""
    column, value = ("id", school_id) if school_id is not None else ("school_number", school_number)
    rows = await fetch(f"SELECT id, county_id, name, school_number FROM school WHERE {column} = {{}}",  # noqa: S608
                       value)
    return rows[0] if rows else None


# --- SQL plumbing --------------------------------------------------------------------------------
# Table and column names in the SQL built here come from this module's constants, never from input;
# every value is a bound parameter (`{}`), which is why the S608 warnings below are silenced.

# Columns whose text input is cast to a network type in SQL (netaddr has normalised it already).
_CASTS = {"management_prefix": "cidr", "public_prefix": "cidr", "router_ip": "inet", "management_ip": "inet",
          "mac": "macaddr"}
# Columns that take NULL; an empty value of any other column means "leave as it is / the default".
_NULLABLE = {"management_prefix", "building_id", "live_since", "contract_end", "router_ip", "router_if_index",
             "public_prefix", "snmp_profile_id", "room_id", "mac", "management_ip", "installed_on", "warranty_end",
             "purchase_date", "price_cents", "asset_tag", "returned_on", "community_encrypted",
             "auth_key_encrypted", "priv_key_encrypted"}
# Unique indexes and constraints -> the input field they are about.
_UNIQUE_FIELDS = {
    "school_school_number_key": "school_number",
    "device_serial_key": "serial",
    "access_point_serial_key": "serial",
    "device_mac_key": "mac",
    "access_point_mac_key": "mac",
    "device_asset_tag_per_county": "asset_tag",
    "building_name_per_school": "name",
    "room_name_per_building": "name",
    "snmp_profile_name_per_county": "name",
    "uplink_line_per_school": "line_id",
}
OPEN_LOAN_INDEX = "loan_one_open_per_device"


@contextlib.asynccontextmanager
async def _writing() -> AsyncIterator[None]:
    """A transaction (or savepoint) whose uniqueness violations become clear errors."""
    try:
        async with atomic():
            yield
    except asyncpg.UniqueViolationError as exc:
        name = exc.constraint_name or ""
        if name == OPEN_LOAN_INDEX:
            raise Conflict(OPEN_LOAN) from None
        raise ValidationFailed([FieldError(_UNIQUE_FIELDS.get(name, "id"), ALREADY_IN_USE)]) from None


def _placeholder(table: str, column: str) -> str:
    if table in BY_TABLE:
        return BY_TABLE[table].placeholder(column)
    return "{}::" + _CASTS[column] if column in _CASTS else "{}"


def _storable(table: str, values: Mapping[str, Any]) -> dict[str, Any]:
    if table in BY_TABLE:
        return BY_TABLE[table].storable(values)
    return {k: v for k, v in values.items() if v is not None or k in _NULLABLE}


async def _insert(table: str, values: Mapping[str, Any]) -> int:
    values = _storable(table, values)
    columns = ", ".join(values)
    placeholders = ", ".join(_placeholder(table, c) for c in values)
    rows = await fetch(f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING id", *values.values())  # noqa: S608
    return int(rows[0]["id"])


async def _update(table: str, row_id: int, values: Mapping[str, Any], *, touch: bool = True) -> None:
    values = _storable(table, values)
    sets = [f"{column} = " + _placeholder(table, column) for column in values]
    if touch:
        sets.append("updated_at = now()")
    if sets:
        await fetch(f"UPDATE {table} SET {', '.join(sets)} WHERE id = {{}}", *values.values(), row_id)  # noqa: S608


async def _page(listing: Listing, scope: Scope, *, filters: Mapping[str, Any] | None = None, q: str | None = None,
                sort: str | None = None, limit: int = 50, offset: int = 0,
                extra: Sequence[tuple[str, Sequence[Any]]] = ()) -> tuple[list[dict[str, Any]], int]:
    where, values = listing.where(scope, filters or {}, q, extra)
    order = listing.order(sort)
    total = await fetch(f"SELECT count(*) AS n FROM {listing.source} WHERE {where}", *values)  # noqa: S608
    rows = await fetch(f"SELECT {listing.columns} FROM {listing.source} WHERE {where} ORDER BY {order} "  # noqa: S608
                       "LIMIT {} OFFSET {}", *values, limit, offset)
    return [dict(row) for row in rows], int(total[0]["n"])


async def _one(listing: Listing, scope: Scope, row_id: int, what: str) -> dict[str, Any]:
    """One row by id, inside the scope, or NotFound."""
    where, values = listing.where(scope, {}, None, [(f"{listing.id_column} = {{}}", [row_id])])
    rows = await fetch(f"SELECT {listing.columns} FROM {listing.source} WHERE {where}", *values)  # noqa: S608
    if not rows:
        raise NotFound(f"{what} not found")
    return dict(rows[0])


def only_county(scope: Scope) -> int | None:
    """The caller's county when there is exactly one (a sensible default for new rows)."""
    if scope.county_ids is not None and len(scope.county_ids) == 1:
        return next(iter(scope.county_ids))
    return None


async def _school_for_write(scope: Scope, f: Input, field_name: str = "school_id",
                            current: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The school a row is (or is moved) to, when the caller may see it; else a field error."""
    f.reference(field_name, required=True)
    school_id = f.value(field_name, current)
    if school_id is None:
        return None
    rows = await fetch("SELECT id, county_id, management_prefix::text AS management_prefix FROM school "
                       "WHERE id = {}", school_id)
    if not rows or not scope.sees(rows[0]["county_id"], rows[0]["id"]):
        f.error(field_name, UNKNOWN_SCHOOL)
        return None
    return rows[0]


async def _same_school(f: Input, field_name: str, table: str, school_id: int | None,
                       current: Mapping[str, Any] | None = None) -> None:
    """A referenced building or room must belong to the row's school."""
    ref = f.value(field_name, current)
    if ref is None or school_id is None or f.has_error(field_name):
        return
    rows = await fetch(f"SELECT school_id FROM {table} WHERE id = {{}}", ref)  # noqa: S608
    if not rows or rows[0]["school_id"] != school_id:
        f.error(field_name, N_("not at this school"))


async def _same_county_profile(f: Input, county_id: int | None, current: Mapping[str, Any] | None = None) -> None:
    profile_id = f.value("snmp_profile_id", current)
    if profile_id is None or county_id is None or f.has_error("snmp_profile_id"):
        return
    rows = await fetch("SELECT county_id FROM snmp_profile WHERE id = {}", profile_id)
    if not rows or rows[0]["county_id"] != county_id:
        f.error("snmp_profile_id", N_("unknown SNMP profile of this county"))


def _stays_at_school(f: Input, current: Mapping[str, Any]) -> None:
    """Buildings, rooms and uplinks belong to their school; only access points and devices move."""
    f.reference("school_id")
    if f.value("school_id", current) != current["school_id"] and not f.has_error("school_id"):
        f.error("school_id", N_("cannot move to another school"))


def _audit_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a row: never a pupil reference (the log is append-only, and the
    retention job must be able to erase every reference), never a secret."""
    return {k: v for k, v in row.items() if k != "pupil_ref" and not k.endswith("_encrypted")}


async def _record(scope: Scope, action: str, kind: str, row: Mapping[str, Any],
                  before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None) -> None:
    await audit.record(scope, action, object_type=kind, object_id=row["id"], county_id=row["county_id"],
                       before=_audit_view(before) if before is not None else None,
                       after=_audit_view(after) if after is not None else None)


Getter = Callable[[Scope, int], Awaitable[dict[str, Any]]]


async def _create(scope: Scope, table: str, values: Mapping[str, Any], get: Getter) -> dict[str, Any]:
    """Insert a row, read it back through the scope, and audit it — all or nothing."""
    async with _writing():
        row = await get(scope, await _insert(table, values))
        await _record(scope, f"{table}.create", table, row, after=row)
    return row


async def _change(scope: Scope, table: str, before: Mapping[str, Any], values: Mapping[str, Any], get: Getter,
                  *, touch: bool = True, action: str = "update") -> dict[str, Any]:
    async with _writing():
        await _update(table, before["id"], values, touch=touch)
        after = await get(scope, before["id"])
        await _record(scope, f"{table}.{action}", table, after, before=before, after=after)
    return after


async def _delete(scope: Scope, table: str, before: Mapping[str, Any]) -> None:
    async with _writing():
        await fetch(f"DELETE FROM {table} WHERE id = {{}}", before["id"])  # noqa: S608
        await _record(scope, f"{table}.delete", table, before, before=before)


# --- schools -------------------------------------------------------------------------------------

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
    rows, total = await _page(SCHOOLS, scope, filters=SCHOOLS.parse({**(filters or {}), **by}), q=q, sort=sort,
                              limit=limit, offset=offset)
    return [_with_school_figures(r) for r in rows], total


async def get_school(scope: Scope, school_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return _with_school_figures(await _one(SCHOOLS, scope, school_id, "school"))


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
    county_id = f.value("county_id") or only_county(scope)
    if county_id is None:
        f.error("county_id", REQUIRED)
    elif not scope.sees_county(county_id):
        f.error("county_id", N_("unknown county"))
    elif await tenants.retired_counties([county_id]):
        f.error("county_id", tenants.COUNTY_RETIRED)
    f.raise_if_invalid()
    return await _create(scope, "school", {**f.values, "county_id": county_id}, get_school)


async def update_school(scope: Scope, school_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_school(scope, school_id)
    f = await _school_input(data, before)
    if f.value("county_id") != before["county_id"]:
        # Users, probes and loan records of the school belong to its county: schools do not move.
        f.error("county_id", N_("a school cannot move to another county"))
    f.raise_if_invalid()
    values = {k: v for k, v in f.values.items() if k != "county_id"}
    return await _change(scope, "school", before, values, get_school)


async def delete_school(scope: Scope, school_id: int) -> None:
    """Only an empty school goes: access points, devices, loans, users and probes keep it."""
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_school(scope, school_id)
    held = await fetch(
        "SELECT EXISTS (SELECT 1 FROM access_point WHERE school_id = {}) OR EXISTS (SELECT 1 FROM device WHERE "
        "school_id = {}) AS held", school_id, school_id)
    if held[0]["held"] or await directory.school_has_accounts(school_id):
        raise Conflict(N_("the school still has access points, devices, users or probes"))
    await _delete(scope, "school", before)


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


# --- buildings and rooms -------------------------------------------------------------------------

async def list_buildings(scope: Scope, *, q: str | None = None, sort: str | None = None, limit: int = 50,
                         offset: int = 0, filters: Mapping[str, Any] | None = None,
                         **by: Any) -> tuple[list[dict[str, Any]], int]:
    """Buildings; `filters` (a query string's) and `by` by the description's names."""
    scope.require(Permission.INVENTORY_READ)
    return await _page(BUILDINGS, scope, filters=BUILDINGS.parse({**(filters or {}), **by}), q=q, sort=sort,
                       limit=limit, offset=offset)


async def get_building(scope: Scope, building_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return await _one(BUILDINGS, scope, building_id, "building")


async def create_building(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f = BUILDING_RESOURCE.check(data, None, skip=("school_id",))
    school = await _school_for_write(scope, f)
    f.raise_if_invalid()
    assert school is not None
    return await _create(scope, "building", {"county_id": school["county_id"], "school_id": school["id"],
                                             "name": f.values["name"]}, get_building)


async def update_building(scope: Scope, building_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_building(scope, building_id)
    f = BUILDING_RESOURCE.check(data, before, skip=("school_id",))
    _stays_at_school(f, before)
    f.raise_if_invalid()
    f.values.pop("school_id", None)
    return await _change(scope, "building", before, f.values, get_building, touch=False)


async def delete_building(scope: Scope, building_id: int) -> None:
    """Its rooms stay, without a building."""
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_building(scope, building_id)
    await _delete(scope, "building", before)


async def list_rooms(scope: Scope, *, q: str | None = None, sort: str | None = None, limit: int = 50,
                     offset: int = 0, filters: Mapping[str, Any] | None = None,
                     **by: Any) -> tuple[list[dict[str, Any]], int]:
    """Rooms; `filters` (a query string's) and `by` by the description's names."""
    scope.require(Permission.INVENTORY_READ)
    return await _page(ROOMS, scope, filters=ROOMS.parse({**(filters or {}), **by}), q=q, sort=sort, limit=limit,
                       offset=offset)


async def get_room(scope: Scope, room_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return await _one(ROOMS, scope, room_id, "room")


async def create_room(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f = ROOM.check(data, None, skip=("school_id",))
    school = await _school_for_write(scope, f)
    if "is_teaching" not in data:
        f.values["is_teaching"] = True  # most rooms of a school are classrooms
    await _same_school(f, "building_id", "building", school["id"] if school else None)
    f.raise_if_invalid()
    assert school is not None
    return await _create(scope, "room", {**f.values, "county_id": school["county_id"], "school_id": school["id"]},
                         get_room)


async def update_room(scope: Scope, room_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_room(scope, room_id)
    f = ROOM.check(data, before, skip=("school_id",))
    _stays_at_school(f, before)
    await _same_school(f, "building_id", "building", before["school_id"])
    f.raise_if_invalid()
    f.values.pop("school_id", None)
    return await _change(scope, "room", before, f.values, get_room, touch=False)


async def delete_room(scope: Scope, room_id: int) -> None:
    """Its coverage goes with it; access points hanging there keep hanging, without a room."""
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_room(scope, room_id)
    await _delete(scope, "room", before)


# --- SNMP profiles -------------------------------------------------------------------------------

SNMP_PROFILES = Listing(
    columns="p.id, p.county_id, c.name AS county_name, p.name, p.version, "
            "(p.community_encrypted IS NOT NULL) AS has_community, p.v3_user, p.auth_protocol, p.priv_protocol, "
            "p.created_at, p.updated_at",
    source="snmp_profile p JOIN county_directory c ON c.id = p.county_id",
    county="p.county_id",
    school=None,
    filters={"county_id": "p.county_id = {}", "version": "p.version = {}"},
    search=("p.name", "p.v3_user"),
    sorts={"name": "p.name", "county": "c.name", "version": "p.version"},
    default_sort="name",
    id_column="p.id",
)
MIN_SNMP_SECRET = 8  # RFC 3414: v3 passphrases have at least 8 characters; communities should too


def _snmp_read(scope: Scope) -> None:
    # Profiles are the network team's working material: only those who maintain the inventory see
    # even their names (authorities and school contacts see which profile an access point uses).
    scope.require(Permission.INVENTORY_WRITE)


async def list_snmp_profiles(scope: Scope, *, county_id: int | None = None, version: str | None = None,
                             q: str | None = None, sort: str | None = None, limit: int = 50,
                             offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    _snmp_read(scope)
    return await _page(SNMP_PROFILES, scope, filters={"county_id": county_id, "version": version}, q=q, sort=sort,
                       limit=limit, offset=offset)


async def get_snmp_profile(scope: Scope, profile_id: int) -> dict[str, Any]:
    _snmp_read(scope)
    return await _one(SNMP_PROFILES, scope, profile_id, "SNMP profile")


def _secret(f: Input, field_name: str, needed: bool, stored: bool) -> str | None:
    """A write-only secret: empty keeps the stored one; a new one is checked and encrypted."""
    f.text(field_name, max_length=200)
    plain = f.values.pop(field_name, None)
    if plain:
        if len(plain) < MIN_SNMP_SECRET:
            f.error(field_name, N_("at least 8 characters"))
        return secrets.encrypt(plain)
    if needed and not stored:
        f.error(field_name, REQUIRED)
    return None


def _snmp_values(f: Input, current: Mapping[str, Any] | None) -> dict[str, Any]:
    f.text("name", max_length=120, required=True)
    f.choice("version", SnmpVersion, required=True)
    f.text("v3_user", max_length=64)
    f.choice("auth_protocol", SnmpAuthProtocol, empty="")
    f.choice("priv_protocol", SnmpPrivProtocol, empty="")
    version = f.value("version", current) or SnmpVersion.V3.value
    stored = dict(current or {})
    if current is not None and version != current["version"]:
        stored = {}  # switching versions: the other version's secrets go
    values = dict(f.values)
    if version == SnmpVersion.V2C.value:
        community = _secret(f, "community", True, bool(stored.get("has_community")))
        if community:
            values["community_encrypted"] = community
        values.update(v3_user="", auth_protocol="", priv_protocol="", auth_key_encrypted=None,
                      priv_key_encrypted=None)
        return values
    # SNMPv3: authentication is required (BSI NET.2.1); privacy is recommended and needs authentication.
    if not f.value("v3_user", current):
        f.error("v3_user", REQUIRED)
    if not f.value("auth_protocol", stored or None):
        f.error("auth_protocol", REQUIRED)
    auth_key = _secret(f, "auth_key", True, bool(stored.get("has_auth_key")))
    priv_protocol = f.value("priv_protocol", stored or None)
    priv_key = _secret(f, "priv_key", bool(priv_protocol), bool(stored.get("has_priv_key")))
    if auth_key:
        values["auth_key_encrypted"] = auth_key
    if priv_key:
        values["priv_key_encrypted"] = priv_key
    if not priv_protocol:
        values["priv_key_encrypted"] = None
    values["community_encrypted"] = None
    return values


async def _snmp_stored(profile_id: int) -> dict[str, Any]:
    rows = await fetch("SELECT version, v3_user, auth_protocol, priv_protocol, community_encrypted IS NOT NULL AS "
                       "has_community, auth_key_encrypted IS NOT NULL AS has_auth_key, priv_key_encrypted IS NOT "
                       "NULL AS has_priv_key FROM snmp_profile WHERE id = {}", profile_id)
    return rows[0]


async def create_snmp_profile(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f = Input(data, partial=False)
    f.reference("county_id")
    values = _snmp_values(f, None)
    county_id = f.value("county_id") or only_county(scope)
    if county_id is None:
        f.error("county_id", REQUIRED)
    elif not scope.sees_county(county_id):
        f.error("county_id", N_("unknown county"))
    f.raise_if_invalid()
    values["county_id"] = county_id
    return await _create(scope, "snmp_profile", values, get_snmp_profile)


async def update_snmp_profile(scope: Scope, profile_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_snmp_profile(scope, profile_id)
    f = Input(data, partial=True)
    values = _snmp_values(f, await _snmp_stored(profile_id))
    if "county_id" in data and data["county_id"] not in (None, "", before["county_id"], str(before["county_id"])):
        f.error("county_id", N_("a profile stays in its county"))
    f.raise_if_invalid()
    values.pop("county_id", None)
    return await _change(scope, "snmp_profile", before, values, get_snmp_profile)


async def delete_snmp_profile(scope: Scope, profile_id: int) -> None:
    """Access points and uplinks that used it are left without a profile."""
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_snmp_profile(scope, profile_id)
    await _delete(scope, "snmp_profile", before)


@dataclass(frozen=True)
class SnmpCredentials:
    """Decrypted SNMP credentials, for the probes domain only (never an API answer or a page)."""

    profile_id: int
    version: str
    community: str | None = None
    v3_user: str = ""
    auth_protocol: str = ""
    auth_key: str | None = None
    priv_protocol: str = ""
    priv_key: str | None = None

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        return f"SnmpCredentials(profile_id={self.profile_id}, version={self.version!r}, v3_user={self.v3_user!r})"


_CREDENTIAL_COLUMNS = ("version, community_encrypted, v3_user, auth_protocol, auth_key_encrypted, priv_protocol, "
                       "priv_key_encrypted")


def _decrypted(profile_id: int, row: Mapping[str, Any]) -> SnmpCredentials:
    """The one place SNMP secrets are decrypted."""
    return SnmpCredentials(
        profile_id=profile_id, version=row["version"], community=secrets.decrypt(row["community_encrypted"]),
        v3_user=row["v3_user"], auth_protocol=row["auth_protocol"], auth_key=secrets.decrypt(row["auth_key_encrypted"]),
        priv_protocol=row["priv_protocol"], priv_key=secrets.decrypt(row["priv_key_encrypted"]))


async def snmp_credentials(scope: Scope, profile_id: int) -> SnmpCredentials:
    """The decrypted credentials of a profile in the caller's scope: for probes (and the people who
    maintain the inventory, e.g. to test a profile)."""
    if not (scope.can(Permission.PROBE_INGEST) or scope.can(Permission.INVENTORY_WRITE)):
        raise Forbidden("your role may not do this")
    rows = await fetch(f"SELECT id, county_id, {_CREDENTIAL_COLUMNS} FROM snmp_profile WHERE id = {{}}",  # noqa: S608
                       profile_id)
    if not rows:
        raise NotFound("SNMP profile not found")
    row = rows[0]
    scope.check(row["county_id"], what="SNMP profile")
    return _decrypted(row["id"], row)


@dataclass(frozen=True)
class MonitoredAsset:
    """An access point or uplink router a probe polls, with its profile's credentials decrypted."""

    kind: str  # "access_point" or "uplink" (the probes domain's asset kinds)
    id: int
    host: str
    port: int
    credentials: SnmpCredentials
    vendor: str = ""  # access points
    mac: str | None = None  # access points
    if_index: int | None = None  # uplinks: the router's interface of the line
    if_name: str = ""  # uplinks: or that interface's ifName/ifAlias (when no if_index is given)


_MONITORED_ACCESS_POINTS = f"""
SELECT ap.id, host(ap.management_ip) AS host, ap.snmp_port AS port, ap.vendor, ap.mac::text AS mac,
       p.id AS profile_id, {_CREDENTIAL_COLUMNS}
  FROM access_point ap JOIN snmp_profile p ON p.id = ap.snmp_profile_id
 WHERE ap.status = 'active' AND ap.management_ip IS NOT NULL AND {{where}}
 ORDER BY ap.id
"""  # noqa: S608 (constants)
_MONITORED_UPLINKS = f"""
SELECT u.id, host(u.router_ip) AS host, u.snmp_port AS port, u.router_if_index AS if_index,
       u.router_interface AS if_name,
       p.id AS profile_id, {_CREDENTIAL_COLUMNS}
  FROM uplink u JOIN snmp_profile p ON p.id = u.snmp_profile_id
 WHERE u.status = 'live' AND u.router_ip IS NOT NULL
   AND (u.router_if_index IS NOT NULL OR u.router_interface <> '') AND {{where}}
 ORDER BY u.id
"""  # noqa: S608 (constants)


async def monitored_assets(scope: Scope) -> list[MonitoredAsset]:
    """What a probe polls: the active access points and live uplink routers in its scope that have an
    SNMP profile and an address, access points first, each kind in id order. SNMP secrets leave the
    inventory only through this function and `snmp_credentials`."""
    scope.require(Permission.PROBE_INGEST)
    assets: list[MonitoredAsset] = []
    where, values = scope.sql("ap.county_id", school_expr="ap.school_id")
    for row in await fetch(_MONITORED_ACCESS_POINTS.format(where=where), *values):
        assets.append(MonitoredAsset("access_point", row["id"], row["host"], row["port"],
                                     _decrypted(row["profile_id"], row), vendor=row["vendor"], mac=row["mac"]))
    where, values = scope.sql("u.county_id", school_expr="u.school_id")
    for row in await fetch(_MONITORED_UPLINKS.format(where=where), *values):
        assets.append(MonitoredAsset("uplink", row["id"], row["host"], row["port"],
                                     _decrypted(row["profile_id"], row), if_index=row["if_index"],
                                     if_name=row["if_name"]))
    return assets


# --- uplinks -------------------------------------------------------------------------------------

async def list_uplinks(scope: Scope, *, q: str | None = None, sort: str | None = None, limit: int = 50,
                       offset: int = 0, filters: Mapping[str, Any] | None = None,
                       **by: Any) -> tuple[list[dict[str, Any]], int]:
    """Uplinks; `filters` (a query string's) and `by` by the description's names."""
    scope.require(Permission.INVENTORY_READ)
    return await _page(UPLINKS, scope, filters=UPLINKS.parse({**(filters or {}), **by}), q=q, sort=sort,
                       limit=limit, offset=offset)


async def get_uplink(scope: Scope, uplink_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return await _one(UPLINKS, scope, uplink_id, "uplink")


async def _uplink_input(f: Input, county_id: int | None, current: Mapping[str, Any] | None) -> None:
    assert UPLINK.validate is not None
    UPLINK.validate(f, current or {})
    await _same_county_profile(f, county_id, current)


async def create_uplink(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f = UPLINK.check(data, None, skip=("school_id",))
    school = await _school_for_write(scope, f)
    await _uplink_input(f, school["county_id"] if school else None, None)
    f.raise_if_invalid()
    assert school is not None
    return await _create(scope, "uplink", {**f.values, "county_id": school["county_id"],
                                           "school_id": school["id"]}, get_uplink)


async def update_uplink(scope: Scope, uplink_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_uplink(scope, uplink_id)
    f = UPLINK.check(data, before, skip=("school_id",))
    _stays_at_school(f, before)
    await _uplink_input(f, before["county_id"], before)
    f.raise_if_invalid()
    f.values.pop("school_id", None)
    return await _change(scope, "uplink", before, f.values, get_uplink)


async def delete_uplink(scope: Scope, uplink_id: int) -> None:
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_uplink(scope, uplink_id)
    await _delete(scope, "uplink", before)


# --- access points -------------------------------------------------------------------------------

async def list_access_points(scope: Scope, *, q: str | None = None, sort: str | None = None, limit: int = 50,
                             offset: int = 0, filters: Mapping[str, Any] | None = None,
                             **by: Any) -> tuple[list[dict[str, Any]], int]:
    """Access points; `filters` (a query string's) and `by` by the description's names."""
    scope.require(Permission.INVENTORY_READ)
    return await _page(ACCESS_POINTS, scope, filters=ACCESS_POINTS.parse({**(filters or {}), **by}), q=q,
                       sort=sort, limit=limit, offset=offset)


async def get_access_point(scope: Scope, access_point_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return await _one(ACCESS_POINTS, scope, access_point_id, "access point")


async def _access_point_input(f: Input, school: Mapping[str, Any] | None, current: Mapping[str, Any] | None) -> None:
    """What the description cannot see: the rooms and the profile must be the (new) school's and county's."""
    if school is None:
        return
    moving = current is not None and school["id"] != current["school_id"]
    if moving and "room_id" not in f.values:
        f.values["room_id"] = None  # the old school's room does not come along
    await _same_school(f, "room_id", "room", school["id"], None if moving else current)
    rooms = f.values.get("covered_room_ids")
    if rooms:
        found = await fetch("SELECT count(*) AS n FROM room WHERE id = ANY({}) AND school_id = {}", rooms, school["id"])
        if found[0]["n"] != len(rooms):
            f.error("covered_room_ids", N_("rooms must be at this school"))
    assert ACCESS_POINT.validate is not None
    ACCESS_POINT.validate(f, {"prefix": school["management_prefix"]})  # the (new) school's network
    await _same_county_profile(f, school["county_id"], None if moving else current)


async def _set_coverage(access_point_id: int, county_id: int, room_ids: Sequence[int]) -> None:
    await fetch("DELETE FROM access_point_room WHERE access_point_id = {}", access_point_id)
    if room_ids:
        await fetch("INSERT INTO access_point_room (county_id, access_point_id, room_id) "
                    "SELECT {}, {}, unnest({}::int[])", county_id, access_point_id, list(room_ids))


async def create_access_point(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f = ACCESS_POINT.check(data, None, skip=("school_id",))
    school = await _school_for_write(scope, f)
    await _access_point_input(f, school, None)
    f.raise_if_invalid()
    assert school is not None
    values = dict(f.values)
    rooms = values.pop("covered_room_ids", None) or []
    async with _writing():
        ap_id = await _insert("access_point", {**values, "county_id": school["county_id"], "school_id": school["id"]})
        await _set_coverage(ap_id, school["county_id"], rooms)
        ap = await get_access_point(scope, ap_id)
        await _record(scope, "access_point.create", "access_point", ap, after=ap)
    return ap


async def update_access_point(scope: Scope, access_point_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Also moves an access point to another school in the caller's scope (its coverage is then
    the rooms given, or none: the old school's rooms do not come along)."""
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_access_point(scope, access_point_id)
    f = ACCESS_POINT.check(data, before, skip=("school_id",))
    school = await _school_for_write(scope, f, current=before)
    await _access_point_input(f, school, before)
    f.raise_if_invalid()
    assert school is not None
    values = dict(f.values)
    rooms = values.pop("covered_room_ids", None)
    moving = school["id"] != before["school_id"]
    async with _writing():
        if moving:
            await _set_coverage(access_point_id, before["county_id"], [])
            values.update(school_id=school["id"], county_id=school["county_id"])
            if "snmp_profile_id" not in values and school["county_id"] != before["county_id"]:
                values["snmp_profile_id"] = None  # profiles belong to a county
        await _update("access_point", access_point_id, values)
        if rooms is not None or moving:
            await _set_coverage(access_point_id, school["county_id"], rooms or [])
        after = await get_access_point(scope, access_point_id)
        await _record(scope, "access_point.move" if moving else "access_point.update", "access_point", after,
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


# --- devices -------------------------------------------------------------------------------------

async def list_devices(scope: Scope, *, q: str | None = None, sort: str | None = None, limit: int = 50,
                       offset: int = 0, filters: Mapping[str, Any] | None = None,
                       **by: Any) -> tuple[list[dict[str, Any]], int]:
    """Devices; `filters` (a query string's) and `by` by the description's names (`DEVICES.filters`)."""
    scope.require(Permission.INVENTORY_READ)
    return await _page(DEVICES, scope, filters=DEVICES.parse({**(filters or {}), **by}), q=q, sort=sort, limit=limit,
                       offset=offset)


async def get_device(scope: Scope, device_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return await _one(DEVICES, scope, device_id, "device")


def _device_input(data: Mapping[str, Any], current: Mapping[str, Any] | None) -> Input:
    f: Input = DEVICE.check(data, current, skip=("school_id",))
    stored = {} if current is None else {"on_loan": current["open_loan_id"] is not None, "status": current["status"]}
    assert DEVICE.validate is not None
    DEVICE.validate(f, stored)
    return f


async def create_device(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f = _device_input(data, None)
    school = await _school_for_write(scope, f)
    f.raise_if_invalid()
    assert school is not None
    return await _create(scope, "device", {**f.values, "county_id": school["county_id"],
                                           "school_id": school["id"]}, get_device)


async def update_device(scope: Scope, device_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Also moves a device to another school in the caller's scope (not while it is lent)."""
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_device(scope, device_id)
    f = _device_input(data, before)
    school = await _school_for_write(scope, f, current=before)
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
    return await _change(scope, "device", before, values, get_device, action="move" if moving else "update")


async def retire_device(scope: Scope, device_id: int) -> dict[str, Any]:
    """Devices are retired, not deleted (funding proof, loan history); a lent one is returned first."""
    scope.require(Permission.INVENTORY_WRITE)
    if (await get_device(scope, device_id))["open_loan_id"] is not None:
        raise Conflict(N_("the device is lent: return it first"))
    return await update_device(scope, device_id, {"status": DeviceStatus.RETIRED.value})


# --- loans ---------------------------------------------------------------------------------------

LOAN_STATES = ("open", "returned", "overdue", "due")


def _loan_figures(row: dict[str, Any], on: dt.date | None = None) -> dict[str, Any]:
    row["overdue"] = row["returned_on"] is None and row["due_on"] < (on or today())  # as LOAN_OVERDUE
    return row


async def list_loans(scope: Scope, *, state: str | None = None, due_before: dt.date | None = None,
                     q: str | None = None, sort: str | None = None, limit: int = 50, offset: int = 0,
                     on: dt.date | None = None, filters: Mapping[str, Any] | None = None,
                     **by: Any) -> tuple[list[dict[str, Any]], int]:
    """Loans; `state`: open, returned, overdue (open and past due) or due (open and due by the end of
    the current school year — the list to work through before the summer)."""
    scope.require(Permission.INVENTORY_READ)
    day = on or today()
    extra: list[tuple[str, Sequence[Any]]] = []
    if state == "open":
        extra.append((LOAN_OPEN, []))
    elif state == "returned":
        extra.append(("l.returned_on IS NOT NULL", []))
    elif state == "overdue":
        extra.append((LOAN_OVERDUE, [day]))
    elif state == "due":
        extra.append(("l.returned_on IS NULL AND l.due_on <= {}", [school_year_end(day)]))
    elif state:
        raise ValidationFailed([FieldError("state", N_("not one of the allowed values"))])
    if due_before is not None:
        extra.append(("l.due_on < {}", [due_before]))
    rows, total = await _page(LOANS, scope, filters=LOANS.parse({**(filters or {}), **by}), q=q, sort=sort, limit=limit,
                              offset=offset, extra=extra)
    return [_loan_figures(r, day) for r in rows], total


async def get_loan(scope: Scope, loan_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return _loan_figures(await _one(LOANS, scope, loan_id, "loan"))


def _loan_input(data: Mapping[str, Any], current: Mapping[str, Any] | None, *,
                skip: Sequence[str] = ("device_id",)) -> Input:
    """A loan's terms checked by the description and its rules; a new loan runs from today (unless
    given) to the end of that school year."""
    f: Input = LOAN.check(data, current, skip=skip)
    if current is None:
        lent_on = f.values.get("lent_on") or today()
        f.values["lent_on"] = lent_on
        if f.values.get("due_on") is None and not f.has_error("due_on"):
            f.values["due_on"] = school_year_end(lent_on)  # loans run to the end of the school year
    assert LOAN.validate is not None
    LOAN.validate(f, {"erased": current is not None and current["pupil_ref_erased_at"] is not None})
    return f


def _lendable_device(f: Input, field_name: str, device: Mapping[str, Any] | None,
                     school_id: int | None = None) -> None:
    """A device can be lent when it is in stock at a school the caller sees (and at `school_id`)."""
    if device is None or (school_id is not None and device["school_id"] != school_id):
        f.error(field_name, N_("unknown device"))
    elif device["open_loan_id"] is not None:
        f.error(field_name, N_("already lent"))
    elif device["status"] != DeviceStatus.STOCK.value:
        f.error(field_name, N_("not in stock (in repair, lost or retired)"))


async def lend_device(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    """Lend one device to a pupil (by the school's pseudonymous reference) until the due date."""
    scope.require(Permission.LOANS_WRITE)
    f = _loan_input(data, None)
    f.reference("device_id", required=True)
    device = None
    if f.value("device_id") is not None:
        with contextlib.suppress(NotFound):
            device = await get_device(scope, f.value("device_id"))
        if device is not None and device["open_loan_id"] is not None:
            raise Conflict(OPEN_LOAN)
        _lendable_device(f, "device_id", device)
    f.raise_if_invalid()
    assert device is not None
    async with _writing():
        loan_id = await _insert("loan", {**f.values, "county_id": device["county_id"],
                                         "school_id": device["school_id"]})
        await _update("device", device["id"], {"status": DeviceStatus.LENT.value})
        loan = await get_loan(scope, loan_id)
        await _record(scope, "loan.lend", "loan", loan, after=loan)
    return loan


async def update_loan(scope: Scope, loan_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Correct an open loan's terms (class, due date, condition, signed agreement, reference)."""
    scope.require(Permission.LOANS_WRITE)
    before = await get_loan(scope, loan_id)
    f = _loan_input(data, before)
    f.raise_if_invalid()
    async with _writing():
        await _update("loan", loan_id, f.values)
        after = await get_loan(scope, loan_id)
        await _record(scope, "loan.update", "loan", after, before=before, after=after)
    return after


RETURN_STATUSES = (DeviceStatus.STOCK, DeviceStatus.REPAIR, DeviceStatus.LOST)


async def return_loan(scope: Scope, loan_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """The device comes back (or is reported lost): condition notes, and where the device goes next."""
    scope.require(Permission.LOANS_WRITE)
    before = await get_loan(scope, loan_id)
    if before["returned_on"] is not None:
        raise Conflict(N_("the loan has been returned already"))
    f = Input(data, partial=False)
    f.date("returned_on")
    f.text("condition_in", max_length=2000)
    f.choice("device_status", DeviceStatus)
    returned_on = f.values.get("returned_on") or today()
    if returned_on < before["lent_on"]:
        f.error("returned_on", N_("returned before it was lent"))
    elif returned_on > today():
        f.error("returned_on", IN_THE_FUTURE)
    device_status = f.values.get("device_status") or DeviceStatus.STOCK.value
    if device_status not in {s.value for s in RETURN_STATUSES}:
        f.error("device_status", N_("in stock, in repair or lost"))
    f.raise_if_invalid()
    async with _writing():
        await _update("loan", loan_id, {"returned_on": returned_on, "condition_in": f.values.get("condition_in") or ""})
        await _update("device", before["device_id"], {"status": device_status})
        after = await get_loan(scope, loan_id)
        await _record(scope, "loan.return", "loan", after, before=before,
                      after={**after, "device_status": device_status})
    return after


@dataclass(frozen=True)
class BulkRow:
    serial: str
    pupil_ref: str


async def bulk_lend(scope: Scope, school_id: int, rows: Sequence[BulkRow],
                    data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Lend many devices at once (a class): all or nothing. Errors name the row: `rows.3.serial`."""
    scope.require(Permission.LOANS_WRITE)
    school = await get_school(scope, school_id)
    f = _loan_input(data, None, skip=("device_id", "pupil_ref"))  # the devices and references come per row
    filled = [(i, r) for i, r in enumerate(rows) if r.serial.strip() or r.pupil_ref.strip()]
    if not filled:
        f.error("rows", N_("scan at least one device"))
    if len(filled) > MAX_BULK_ROWS:
        f.error("rows", N_("too many rows"))
    serials: dict[str, int] = {}
    refs: dict[str, int] = {}
    found: dict[str, dict[str, Any]] = {}
    normalised: list[tuple[int, str, str]] = []
    for index, row in filled:
        serial_field, ref_field = f"rows.{index}.serial", f"rows.{index}.pupil_ref"
        serial = ref = ""
        try:
            serial = validation.serial_number(row.serial)
        except ValueError as exc:
            f.error(serial_field, REQUIRED if not row.serial.strip() else str(exc))
        try:
            ref = validation.pupil_reference(row.pupil_ref)
        except ValueError as exc:
            f.error(ref_field, REQUIRED if not row.pupil_ref.strip() else str(exc))
        if serial and serial in serials:
            f.error(serial_field, N_("scanned twice"))
        if ref and ref in refs:
            f.error(ref_field, N_("the same pupil twice"))
        serials.setdefault(serial, index)
        refs.setdefault(ref, index)
        normalised.append((index, serial, ref))
    wanted = [s for _, s, _ in normalised if s]
    if wanted:
        listed, _total = await _page(DEVICES, scope, filters={"school_id": school["id"]}, limit=len(wanted) + 1,
                                     extra=[("d.serial = ANY({})", [wanted])])
        found = {d["serial"]: d for d in listed}
    for index, serial, _ref in normalised:
        if serial and not f.has_error(f"rows.{index}.serial"):
            _lendable_device(f, f"rows.{index}.serial", found.get(serial), school["id"])
    f.raise_if_invalid()
    loans = []
    async with _writing():
        for _index, serial, ref in normalised:
            device = found[serial]
            loan_id = await _insert("loan", {**f.values, "pupil_ref": ref, "county_id": device["county_id"],
                                             "school_id": device["school_id"], "device_id": device["id"]})
            loans.append(loan_id)
        await fetch("UPDATE device SET status = {}, updated_at = now() WHERE id = ANY({})", DeviceStatus.LENT.value,
                    [found[s]["id"] for _, s, _ in normalised])
        result, _total = await _page(LOANS, scope, limit=len(loans), extra=[("l.id = ANY({})", [loans])],
                                     sort="serial")
        for loan in result:
            await _record(scope, "loan.lend", "loan", loan, after={**loan, "bulk": True})
    return [_loan_figures(r) for r in result]


async def loan_agreement(scope: Scope, loan_id: int) -> dict[str, Any]:
    """What the printed Leihvertrag shows: device, accessories, pupil reference, dates — no names."""
    loan = await get_loan(scope, loan_id)
    school = await get_school(scope, loan["school_id"])
    return {"loan": loan, "school": school}


# --- lookup (typed or scanned) -------------------------------------------------------------------


async def lookup(scope: Scope, text: str) -> list[dict[str, Any]]:
    """Devices and access points whose serial, asset tag or MAC is exactly what was typed or scanned."""
    scope.require(Permission.INVENTORY_READ)
    text = text.strip()
    if not text:
        return []
    serial = text.upper()
    mac = None
    with contextlib.suppress(ValueError):
        mac = validation.mac_address(text)
    devices, _ = await _page(DEVICES, scope, limit=20, extra=[(
        "(d.serial = {} OR upper(d.asset_tag) = {} OR d.mac = {}::macaddr)", [serial, serial, mac])])
    access_points, _ = await _page(ACCESS_POINTS, scope, limit=20, extra=[(
        "(a.serial = {} OR a.mac = {}::macaddr)", [serial, mac])])
    found = [{"kind": "device", "id": d["id"], "school_id": d["school_id"], "school_name": d["school_name"],
              "label": " ".join(p for p in (d["vendor"], d["model"]) if p) or d["kind"], "serial": d["serial"],
              "asset_tag": d["asset_tag"], "mac": d["mac"], "status": d["status"]} for d in devices]
    found += [{"kind": "access_point", "id": a["id"], "school_id": a["school_id"], "school_name": a["school_name"],
               "label": a["name"] or " ".join(p for p in (a["vendor"], a["model"]) if p), "serial": a["serial"],
               "asset_tag": None, "mac": a["mac"], "status": a["status"]} for a in access_points]
    return found


# --- retention -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionReport:
    cutoff: dt.date
    erased: int
    by_county: dict[int, int]


async def erase_pupil_references(scope: Scope, on: dt.date | None = None) -> RetentionReport:
    """Erase the pupil reference of every loan that ended in a school year which closed at least a
    year ago. Idempotent: erased references are NULL and are not counted again."""
    if not scope.everything:
        raise Forbidden("only the system runs the retention job")
    cutoff = retention_cutoff(on or today())
    by_county: dict[int, list[int]] = {}
    async with atomic():
        rows = await fetch("UPDATE loan SET pupil_ref = NULL, pupil_ref_erased_at = now(), updated_at = now() "
                           "WHERE returned_on <= {} AND pupil_ref IS NOT NULL RETURNING id, county_id", cutoff)
        for row in rows:
            by_county.setdefault(row["county_id"], []).append(row["id"])
        for county_id, loan_ids in sorted(by_county.items()):
            await audit.record(scope, "loan.retention", object_type="loan", county_id=county_id,
                               after={"erased": len(loan_ids), "cutoff": cutoff.isoformat(),
                                      "loan_ids": sorted(loan_ids)})
    return RetentionReport(cutoff=cutoff, erased=len(rows),
                           by_county={k: len(v) for k, v in sorted(by_county.items())})


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
