"""The inventory services' shared plumbing: writing rows (casts and NULLs from the descriptions, uniqueness
rules as field errors), listing pages through the scope, auditing, and the checks every school-bound
resource makes (the school is in scope, a referenced row is at the same school)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import asyncpg

from schoolit import limits, rules
from schoolit.accounts import audit, tenants
from schoolit.accounts.scope import Scope
from schoolit.db import MAX_INT, atomic
from schoolit.describe.inputs import Input
from schoolit.describe.resource import Listing
from schoolit.errors import Conflict, FieldError, NotFound, ValidationFailed
from schoolit.inventory.resources import BY_TABLE
from schoolit.inventory.resources.common import DISPOSED
from schoolit.kernel.i18n import N_, gettext
from schoolit.sql import Fragment, concurrently, fetch, fragment

MAX_BULK_ROWS = 200
UNKNOWN_SCHOOL = N_("unknown school")
ALREADY_IN_USE = rules.TAKEN
OPEN_LOAN = N_("the device already has an open loan: return it first")

# --- SQL plumbing --------------------------------------------------------------------------------
# Table and column names in the SQL built here come from this module's constants, never from input;
# every value is a bound parameter (`{}`), which is why the S608 warnings below are silenced.

# Columns whose text input is cast to a network type in SQL (netaddr has normalised it already).
_CASTS = {"management_prefix": "cidr", "public_prefix": "cidr", "router_ip": "inet", "management_ip": "inet",
          "mac": "macaddr"}
# Columns that take NULL; an empty value of any other column means "leave as it is / the default".
_NULLABLE = {"management_prefix", "building_id", "live_since", "contract_end", "router_ip", "router_if_index",
             "public_prefix", "snmp_profile_id", "room_id", "mac", "management_ip", "installed_on", "warranty_end",
             "purchase_date", "price_cents", "asset_tag", "returned_on"}
# Unique indexes and constraints -> the table and the input field they are about.
_UNIQUE_FIELDS = {
    "school_school_number_key": ("school", "school_number"),
    "device_serial_key": ("device", "serial"),
    "access_point_serial_key": ("access_point", "serial"),
    "device_mac_key": ("device", "mac"),
    "access_point_mac_key": ("access_point", "mac"),
    "device_asset_tag_per_county": ("device", "asset_tag"),
    "building_name_per_school": ("building", "name"),
    "room_name_per_building": ("room", "name"),
    "snmp_profile_name_per_county": ("snmp_profile", "name"),
    "uplink_line_per_school": ("uplink", "line_id"),
}
OPEN_LOAN_INDEX = "loan_one_open_per_device"


@contextlib.asynccontextmanager
async def writing() -> AsyncIterator[None]:
    """A transaction (or savepoint) whose uniqueness violations become clear errors."""
    try:
        async with atomic():
            yield
    except asyncpg.UniqueViolationError as exc:
        name = exc.constraint_name or ""
        if name == OPEN_LOAN_INDEX:
            raise Conflict(OPEN_LOAN) from None
        table, field = _UNIQUE_FIELDS.get(name, ("", "id"))
        described = BY_TABLE.get(table)
        raise ValidationFailed([FieldError(field, ALREADY_IN_USE)],
                               labels=described.labels if described else None) from None


def _placeholder(table: str, column: str) -> str:
    if table in BY_TABLE:
        return BY_TABLE[table].placeholder(column)
    return "{}::" + _CASTS[column] if column in _CASTS else "{}"


def _storable(table: str, values: Mapping[str, Any]) -> dict[str, Any]:
    if table in BY_TABLE:
        return BY_TABLE[table].storable(values)
    return {k: v for k, v in values.items() if v is not None or k in _NULLABLE}


async def insert_row(table: str, values: Mapping[str, Any]) -> int:
    values = _storable(table, values)
    columns = ", ".join(values)
    placeholders = ", ".join(_placeholder(table, c) for c in values)
    rows = await fetch(f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING id", *values.values())  # noqa: S608
    return int(rows[0]["id"])


async def insert_rows(table: str, rows: Sequence[Mapping[str, Any]], *, conflict: str = "ON CONFLICT DO NOTHING",
                      returning: str = "") -> list[dict[str, Any]]:
    """Many rows in one statement, each column one array (`unnest`): the columns the rows name (every
    row the same), typed from the Piccolo table and cast as the description says; the table's other
    columns take their defaults. `returning`: the RETURNING list (its rows are returned)."""
    if not rows:
        return []
    names = list(rows[0])
    table_class = limits.table_by_name(table)
    assert table_class is not None, table
    types = {c._meta.db_column_name: c.column_type.lower() for c in table_class._meta.columns}
    arrays, selects = [], []
    for index, name in enumerate(names):
        cast = _placeholder(table, name).removeprefix("{}")
        arrays.append(f"{{}}::{'text' if cast else types[name]}[]")
        selects.append(f"c{index}{cast}")
    aliases = ", ".join(f"c{index}" for index in range(len(names)))
    text = (f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(selects)} "  # noqa: S608
            f"FROM unnest({', '.join(arrays)}) AS r({aliases}) {conflict}"
            + (f" RETURNING {returning}" if returning else ""))
    return await fetch(text, *([row[name] for row in rows] for name in names))


async def update_row(table: str, row_id: int, values: Mapping[str, Any], *, touch: bool = True) -> None:
    values = _storable(table, values)
    sets = [f"{column} = " + _placeholder(table, column) for column in values]
    if touch:
        sets.append("updated_at = now()")
    if sets:
        await fetch(f"UPDATE {table} SET {', '.join(sets)} WHERE id = {{}}", *values.values(), row_id)  # noqa: S608


async def page(listing: Listing, scope: Scope, *, filters: Mapping[str, Any] | None = None, q: str | None = None,
                sort: str | None = None, limit: int = 50, offset: int = 0,
                extra: Sequence[Fragment] = ()) -> tuple[list[dict[str, Any]], int]:
    """A page of a list and the list's total, read at once; `limit=0` reads the total alone."""
    where = listing.where(scope, filters or {}, q, extra)
    order = listing.order(sort)
    count = fetch(f"SELECT count(*) AS n FROM {listing.source} WHERE {{}}", where)  # noqa: S608
    if limit == 0:
        return [], int((await count)[0]["n"])
    total, rows = await concurrently(count, fetch(
        f"SELECT {listing.columns} FROM {listing.source} WHERE {{}} ORDER BY {order} "  # noqa: S608
        "LIMIT {} OFFSET {}", where, limit, offset))
    return [dict(row) for row in rows], int(total[0]["n"])


def unless_disposed(filters: Mapping[str, Any], status: str) -> list[Fragment]:
    """A disposed device or access point leaves the active lists; asked for by its status ("disposed"), it is
    listed (its history stays). `status`: the listed table's status column."""
    return [] if filters.get("status") == DISPOSED else [fragment(f"{status} <> {{}}", DISPOSED)]


async def one(listing: Listing, scope: Scope, row_id: int, missing: str) -> dict[str, Any]:
    """One row by id, inside the scope, or NotFound with the message `missing` (a message id: "device not found")."""
    where = listing.where(scope, {}, None, [fragment(f"{listing.id_column} = {{}}", row_id)])
    rows = await fetch(f"SELECT {listing.columns} FROM {listing.source} WHERE {{}}", where)  # noqa: S608
    if not rows:
        raise NotFound(missing)
    return dict(rows[0])


def only_county(scope: Scope) -> int | None:
    """The caller's county when there is exactly one (a sensible default for new rows)."""
    if scope.county_ids is not None and len(scope.county_ids) == 1:
        return next(iter(scope.county_ids))
    return None


def county_for_write(scope: Scope, f: Input) -> int | None:
    """The county a new county-level row (a school, an SNMP profile, a county's controller) goes to: the
    `county_id` given, else the caller's only county. None with "required" when there is neither, and
    with "unknown county" when the caller does not see it or is bound to a school."""
    county_id = f.value("county_id") or only_county(scope)
    if county_id is None:
        f.error("county_id", rules.REQUIRED)
    elif not scope.sees_county(county_id) or scope.school_id is not None:
        f.error("county_id", tenants.UNKNOWN_COUNTY)
        return None
    return county_id


def bulk_ids(f: Input, ids: Sequence[int], missing: str, none_chosen: str) -> list[int]:
    """The distinct ids a bulk action names, in order. An id no row can have is `NotFound`, as for one row
    (`missing`: "device not found"); none chosen (`none_chosen`) and too many are errors of the field `ids`."""
    chosen = sorted({int(i) for i in ids})
    if any(not 0 < i <= MAX_INT for i in chosen):  # no row has such an id
        raise NotFound(missing)
    if not chosen:
        f.error("ids", none_chosen)
    bulk_size(f, "ids", len(chosen))
    return chosen


def bulk_size(f: Input, field: str, count: int) -> None:
    """One bulk action takes MAX_BULK_ROWS rows at the most; "too many rows" is an error of `field`."""
    if count > MAX_BULK_ROWS:
        f.error(field, rules.TOO_MANY_ROWS)


async def school_for_write(scope: Scope, f: Input, field_name: str = "school_id",
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


async def same_school(f: Input, field_name: str, table: str, school_id: int | None,
                       current: Mapping[str, Any] | None = None) -> None:
    """A referenced building or room must belong to the row's school."""
    ref = f.value(field_name, current)
    if ref is None or school_id is None or f.has_error(field_name):
        return
    rows = await fetch(f"SELECT school_id FROM {table} WHERE id = {{}}", ref)  # noqa: S608
    if not rows or rows[0]["school_id"] != school_id:
        f.error(field_name, N_("not at this school"))


async def same_county_profile(f: Input, county_id: int | None, current: Mapping[str, Any] | None = None) -> None:
    profile_id = f.value("snmp_profile_id", current)
    if profile_id is None or county_id is None or f.has_error("snmp_profile_id"):
        return
    rows = await fetch("SELECT county_id FROM snmp_profile WHERE id = {}", profile_id)
    if not rows or rows[0]["county_id"] != county_id:
        f.error("snmp_profile_id", N_("unknown SNMP profile of this county"))


def stays_at_school(f: Input, current: Mapping[str, Any]) -> None:
    """Buildings, rooms and uplinks belong to their school; only access points and devices move."""
    f.reference("school_id")
    if f.value("school_id", current) != current["school_id"] and not f.has_error("school_id"):
        f.error("school_id", N_("cannot move to another school"))


BLOCKING = N_("%(reason)s: %(serials)s")


def blocking(problems: Sequence[tuple[str, str]]) -> str:
    """What blocks a bulk change, in the caller's language: (serial, reason message id) pairs grouped by
    reason, each reason once with the serials it blocks ("… bei der Rückgabe: SN1, SN2")."""
    by_reason: dict[str, list[str]] = {}
    for serial, reason in problems:
        by_reason.setdefault(reason, []).append(serial)
    return "; ".join(gettext(BLOCKING, reason=gettext(reason), serials=", ".join(serials))
                     for reason, serials in by_reason.items())


def _audit_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a row: never a pupil reference (the log is append-only, and the
    retention job must be able to erase every reference), never a secret."""
    return {k: v for k, v in row.items() if k != "pupil_ref" and not k.endswith("_encrypted")}


async def record(scope: Scope, action: str, kind: str, row: Mapping[str, Any],
                  before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None) -> None:
    await audit.record(scope, action, object_type=kind, object_id=row["id"], county_id=row["county_id"],
                       before=_audit_view(before) if before is not None else None,
                       after=_audit_view(after) if after is not None else None)


Getter = Callable[[Scope, int], Awaitable[dict[str, Any]]]


async def create_row(scope: Scope, table: str, values: Mapping[str, Any], get: Getter) -> dict[str, Any]:
    """Insert a row, read it back through the scope, and audit it — all or nothing."""
    async with writing():
        row = await get(scope, await insert_row(table, values))
        await record(scope, f"{table}.create", table, row, after=row)
    return row


async def change_row(scope: Scope, table: str, before: Mapping[str, Any], values: Mapping[str, Any], get: Getter,
                  *, touch: bool = True, action: str = "update") -> dict[str, Any]:
    async with writing():
        await update_row(table, before["id"], values, touch=touch)
        after = await get(scope, before["id"])
        await record(scope, f"{table}.{action}", table, after, before=before, after=after)
    return after


async def delete_row(scope: Scope, table: str, before: Mapping[str, Any]) -> None:
    async with writing():
        await fetch(f"DELETE FROM {table} WHERE id = {{}}", before["id"])  # noqa: S608
        await record(scope, f"{table}.delete", table, before, before=before)
