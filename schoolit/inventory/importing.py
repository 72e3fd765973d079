"""CSV import of schools, rooms, access points, uplinks, devices and WLAN controllers: check every row,
then write all rows in one transaction — or, when any row is wrong, nothing.

The work is set-based so that 100,000 devices import in seconds: the file is read and checked in
Python in one pass (with the few lookups it needs fetched up front, one query each), the checked
rows are copied (`COPY`) into a temporary staging table, and one `UPDATE … FROM` (which writes the
audit rows of the objects it changes in the same statement) and one `INSERT … SELECT` write them.

Rows are matched by natural key (docs/import.md): school number; (school, building, room); serial
number, or MAC address for access points without one; (school, line id or provider) for uplinks;
(county, management address and port) for WLAN controllers.
Existing objects are updated by id rather than with `ON CONFLICT`: a key that belongs to an object
outside the caller's scope is a row error found while checking, never an overwrite.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import asyncpg
import msgspec
import netaddr

from schoolit import sql
from schoolit.accounts import audit, directory, tenants
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.describe import identifiers
from schoolit.describe.csvformat import (
    VALUE_REQUIRED,
    Kind,
    ParsedFile,
    Progress,
    RowError,
    normalise,
    read,
)
from schoolit.describe.resource import Resource
from schoolit.errors import Conflict, NotFound
from schoolit.inventory.resources import KINDS
from schoolit.inventory.resources.access_point import ACCESS_POINT
from schoolit.inventory.resources.common import OUTSIDE_SCHOOL_NETWORK
from schoolit.inventory.resources.device import DEVICE, move_problem
from schoolit.inventory.resources.room import ROOM
from schoolit.inventory.resources.school import SCHOOL, UNKNOWN_SCHOOL_NUMBER
from schoolit.inventory.resources.uplink import UPLINK
from schoolit.inventory.resources.wlan_controller import STAYS, WLAN_CONTROLLER
from schoolit.inventory.services.store import ALREADY_IN_USE
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.kernel.i18n import gettext as _

NEEDED_TO_CREATE = N_("needed to create a new %(what)s")
USED_BY_DEVICE = N_("already used by device %(serial)s")
SAME_MAC = N_("the same MAC address appears more than once in this file (rows %(rows)s)")


class ImportReport(msgspec.Struct):
    """What an import did, or in a dry run would do. `updated` counts rows that match an existing
    object; `changed` those of them whose stored values differ (None when errors stopped the import)."""

    kind: str
    dry_run: bool
    ok: bool
    rows: int
    created: int
    updated: int
    changed: int | None
    errors: list[RowError]
    ignored_columns: list[str]
    encoding: str
    delimiter: str


def kind_named(name: str) -> Kind:
    kind = KINDS.get(name.removesuffix(".csv"))
    if kind is None:
        raise NotFound(_("unknown kind %(kind)s; one of: %(kinds)s", kind=name, kinds=", ".join(KINDS)))
    return kind


async def query(text: str, *args: Any) -> list[dict[str, Any]]:
    """Raw SQL with `{}` placeholders (schoolit.sql), in the import's transaction."""
    return await sql.fetch(text, *args)


@dataclass(frozen=True)
class SchoolRef:
    id: int
    county_id: int
    prefix: netaddr.IPNetwork | None


@dataclass
class Plan:
    """The checked rows, ready for the staging table: `(row, id or None, *values of columns)`."""

    columns: list[str]
    records: list[tuple[Any, ...]] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)  # staged helper columns: (name, SQL type)
    coverage: dict[int, set[int]] = field(default_factory=dict)  # row -> covered room ids (access points)


class RowCheck:
    """One row as a resource's `validate` sees it (`resource.Check`): a value is the file's when it has
    the column, and a problem goes to the row's cell, translated."""

    def __init__(self, planner: Planner, row: int, values: Sequence[Any], creating: bool) -> None:
        self.planner, self.row, self.values, self.creating = planner, row, values, creating

    def value(self, name: str) -> Any:
        return self.planner.value(self.values, name)

    def given(self, name: str) -> bool:
        return self.planner.has(name) and self.planner.parsed.readable(self.row, name)

    def error(self, name: str, message: str) -> None:
        self.planner.error(self.row, name, _(message))

    def has_error(self, name: str) -> bool:
        return not self.planner.parsed.readable(self.row, name)


class Planner:
    """Checks one file of one kind; subclasses add the kind's lookups and rules (`resolve`). A described
    kind's rows are checked by its resource's `validate`, as the API and the forms check theirs."""

    kind: Kind
    resource: Resource | None = None
    fixed: tuple[str, ...] = ("county_id", "school_id")  # staged columns the planner resolves itself
    key_name: str = ""  # the field whose column a duplicate key is reported on

    def __init__(self, parsed: ParsedFile, scope: Scope) -> None:
        self.parsed = parsed
        self.scope = scope
        self.schools: dict[str, SchoolRef] = {}
        self.at = parsed.positions
        self.direct = [(j, c.field) for j, c in enumerate(parsed.columns) if c.direct and c.field not in self.fixed]
        # Values needed to create an object: columns the file lacks, and columns whose cells must not be empty.
        self.lacking = [c.field for c in self.kind.columns if c.to_create and c.field not in self.at]
        self.needed = [(j, c.field) for j, c in enumerate(parsed.columns) if c.to_create]
        school_index = parsed.index("school_number")
        # A required column: without it no row is read (a WLAN controller's school is optional).
        assert school_index is not None or not parsed.rows or not self.kind.column("school_number").required
        self.school_index = school_index or 0
        self.keys: dict[Hashable, list[int]] = defaultdict(list)
        self.targets: dict[int, list[int]] = defaultdict(list)

    def values_of(self, name: str) -> set[Any]:
        j = self.at.get(name)
        if j is None:
            return set()
        return {values[j] for _row, values in self.parsed.rows if values[j] not in (None, "")}

    def value(self, values: Sequence[Any], name: str, default: Any = None) -> Any:
        j = self.at.get(name)
        return default if j is None else values[j]

    def has(self, name: str) -> bool:
        return name in self.at

    def error(self, row: int, name: str, message: str) -> None:
        self.parsed.error(row, name, message)

    async def lookup(self) -> None:
        numbers = sorted(self.values_of("school_number"))
        rows = await query("SELECT id, county_id, school_number, management_prefix FROM school "
                           "WHERE school_number = ANY({}) AND {}", numbers, self.scope.where("county_id", school="id"))
        self.schools = {r["school_number"]: SchoolRef(r["id"], r["county_id"], _network(r["management_prefix"]))
                        for r in rows}

    def school(self, row: int, values: Sequence[Any]) -> SchoolRef | None:
        number = values[self.school_index]
        school = self.schools.get(number)
        if school is None and self.parsed.readable(row, "school_number"):
            # Foreign schools read exactly like unknown ones: the answer must not tell them apart.
            self.error(row, "school_number", _(UNKNOWN_SCHOOL_NUMBER))
        return school

    def resolve(self, row: int, values: Sequence[Any], school: SchoolRef | None) -> tuple[int | None, tuple[Any, ...]]:
        """(id of the matched object or None, values of the `fixed` columns); record errors as found."""
        raise NotImplementedError

    def plan(self, progress: Progress | None = None) -> Plan:
        plan = Plan(columns=[*self.fixed, *(name for _j, name in self.direct)], extra=self.extra())
        total = len(self.parsed.rows)
        direct = _picker([j for j, _name in self.direct])
        for done, (row, values) in enumerate(self.parsed.rows, start=1):
            school = None if self.kind is SCHOOL.csv_kind else self.school(row, values)
            existing_id, fixed = self.resolve(row, values, school)
            if existing_id is not None:
                self.targets[existing_id].append(row)
            else:
                self.check_create(row)
            self.check_required(row, values)
            plan.records.append((row, existing_id, *fixed, *direct(values)))
            if progress is not None and done % 5000 == 0:
                progress("check", done, total)
        self.report_duplicates()
        return plan

    def extra(self) -> list[tuple[str, str]]:
        return []

    def key(self, row: int, key: Hashable | None) -> None:
        """Note the row's natural key (None: the cell that makes it could not be read, already an error)."""
        if key is not None:
            self.keys[key].append(row)

    def check_create(self, row: int) -> None:
        for name in self.lacking:
            self.error(row, name, _(NEEDED_TO_CREATE, what=_(self.kind.label)))

    def check_required(self, row: int, values: Sequence[Any]) -> None:
        """A value needed to create an object cannot be emptied later either."""
        for j, name in self.needed:
            if values[j] in (None, "") and self.parsed.readable(row, name):
                self.error(row, name, _(VALUE_REQUIRED))

    def report_duplicates(self) -> None:
        repeated = self.report_repeats(self.keys, self.key_name, N_("the same key appears more than once in this "
                                                                    "file (rows %(rows)s)"))
        # Different keys that match one object (a room without building, an access point by its MAC).
        for rows in self.targets.values():
            if len(rows) > 1 and not repeated.issuperset(rows):
                for row in rows:
                    self.error(row, self.key_name, _("rows %(rows)s match the same existing %(what)s",
                                                     rows=", ".join(map(str, rows)), what=_(self.kind.label)))

    def report_repeats(self, groups: dict[Any, list[int]], name: str, message: str) -> set[int]:
        """An error on every row of a value that must be unique in the file; returns those rows."""
        repeated: set[int] = set()
        for rows in groups.values():
            if len(rows) > 1:
                repeated.update(rows)
                for row in rows:
                    self.error(row, name, _(message, rows=", ".join(map(str, rows))))
        return repeated

    def snmp_profile(self, row: int, values: Sequence[Any], county_id: int, existing: Any) -> int | None:
        """The named SNMP profile of the county; without the column the current one stays (same county)."""
        if not self.has("snmp_profile"):
            same_county = existing is not None and existing["county_id"] == county_id
            return existing["snmp_profile_id"] if same_county else None
        name = self.value(values, "snmp_profile")
        if not name:
            return None
        profile = self.profiles.get((county_id, name.lower()))
        if profile is None and self.parsed.readable(row, "snmp_profile"):
            self.error(row, "snmp_profile", _("unknown SNMP profile"))
        return profile

    profiles: dict[tuple[int, str], int]

    async def lookup_profiles(self) -> None:
        counties = sorted({s.county_id for s in self.schools.values()})
        rows = await query("SELECT id, county_id, lower(name) AS name FROM snmp_profile WHERE county_id = ANY({})",
                           counties)
        self.profiles = {(r["county_id"], r["name"]): r["id"] for r in rows}

    counties: dict[str, int]
    only_county: int | None

    async def lookup_counties(self) -> list[dict[str, Any]]:
        """The counties in scope, found by slug, name or AGS (`county_named`); the only one, if so."""
        counties = await directory.counties(self.scope)
        self.counties = {normalise(name): county["id"] for county in counties
                         for name in (county["slug"], county["name"], county["ags"])}
        self.only_county = counties[0]["id"] if len(counties) == 1 else None
        return counties

    def county_named(self, row: int, values: Sequence[Any]) -> tuple[str | None, int | None]:
        """The row's county cell and the county in scope it names (an error when it names none)."""
        name = self.value(values, "county")
        county_id = self.counties.get(normalise(name)) if name else None
        if name and county_id is None and self.parsed.readable(row, "county"):
            self.error(row, "county", _(tenants.UNKNOWN_COUNTY))
        return name, county_id

    def validate(self, row: int, values: Sequence[Any], stored: Any) -> None:
        """The resource's rules for this row (`stored`: what `validate` needs of the matched object)."""
        assert self.resource is not None and self.resource.validate is not None
        self.resource.validate(RowCheck(self, row, values, creating=not stored), stored or {})


def _picker(indices: list[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """The values at these positions as a tuple (`itemgetter` does it in C, but returns a bare value for one)."""
    if len(indices) > 1:
        return itemgetter(*indices)
    return lambda values: tuple(values[j] for j in indices)


def _network(value: Any) -> netaddr.IPNetwork | None:
    return None if value is None else netaddr.IPNetwork(str(value))


class SchoolPlanner(Planner):
    kind = SCHOOL.csv_kind
    resource = SCHOOL
    fixed = ("county_id", "school_number")
    key_name = "school_number"

    async def lookup(self) -> None:
        counties = await self.lookup_counties()
        # A retired county takes no new school (tenants.retired_counties holds the rule).
        self.retired = await tenants.retired_counties(c["id"] for c in counties)
        # Every school with these numbers, in scope or not: a number is unique state-wide.
        self.existing = {r["school_number"]: r for r in await query(
            "SELECT id, county_id, school_number FROM school WHERE school_number = ANY({})",
            sorted(self.values_of("school_number")))}
        # The management addresses of those schools' access points: a new management network must hold them.
        self.access_point_ips: dict[int, list[str]] = defaultdict(list)
        if self.has("management_prefix"):
            for r in await query("SELECT school_id, host(management_ip) AS ip FROM access_point "
                                 "WHERE school_id = ANY({}) AND management_ip IS NOT NULL",
                                 [e["id"] for e in self.existing.values()]):
                self.access_point_ips[r["school_id"]].append(r["ip"])

    def resolve(self, row: int, values: Sequence[Any], school: SchoolRef | None) -> tuple[int | None, tuple[Any, ...]]:
        number = values[self.school_index]
        self.key(row, number)
        existing = self.existing.get(number)
        if existing is not None and not self.scope.sees(existing["county_id"], existing["id"]):
            self.error(row, "school_number", _("the school number belongs to a school outside your scope"))
            return None, (None, number)
        county_name, county_id = self.county_named(row, values)
        if existing is not None:
            if county_id is not None and county_id != existing["county_id"]:
                self.error(row, "county", _("a school cannot move to another county by import"))
            self.validate(row, values, {"access_point_ips": self.access_point_ips.get(existing["id"], [])})
            return existing["id"], (existing["county_id"], number)
        county_id = county_id or self.only_county
        if county_id is None and not county_name:
            self.error(row, "county", _(NEEDED_TO_CREATE, what=_(self.kind.label)))
        elif county_id in self.retired:
            self.error(row, "county", _(tenants.COUNTY_RETIRED))
        self.validate(row, values, None)
        return None, (county_id, number)


class RoomIndex:
    """A school's rooms by name, for rooms given as "Raum" or "Gebäude: Raum"."""

    def __init__(self, rooms: Iterable[asyncpg.Record]) -> None:
        self.by_name: dict[tuple[int, str], list[asyncpg.Record]] = defaultdict(list)
        for room in rooms:
            self.by_name[(room["school_id"], room["name"])].append(room)

    @classmethod
    async def of(cls, school_ids: list[int]) -> RoomIndex:
        """The rooms of these schools, names and buildings in lower case."""
        return cls(await query("SELECT r.id, r.school_id, r.building_id, lower(r.name) AS name, "
                               "lower(coalesce(b.name, '')) AS building FROM room r "
                               "LEFT JOIN building b ON b.id = r.building_id WHERE r.school_id = ANY({})", school_ids))

    def find(self, school_id: int, building: str | None, name: str) -> tuple[int | None, str]:
        candidates = self.by_name.get((school_id, name.lower()), [])
        if building is not None:
            candidates = [c for c in candidates if c["building"] == building.lower()]
        if not candidates:
            return None, _("unknown room (import the rooms first)")
        if len(candidates) > 1:
            return None, _("several rooms have this name; give the building")
        return candidates[0]["id"], ""


class RoomPlanner(Planner):
    kind = ROOM.csv_kind
    fixed = ("county_id", "school_id", "building_id")
    key_name = "name"

    def extra(self) -> list[tuple[str, str]]:
        return [("new_building", "text")]

    async def lookup(self) -> None:
        await super().lookup()
        school_ids = [s.id for s in self.schools.values()]
        buildings = await query("SELECT id, school_id, lower(name) AS name FROM building WHERE school_id = ANY({})",
                                school_ids)
        self.buildings = {(b["school_id"], b["name"]): b["id"] for b in buildings}
        self.rooms = await RoomIndex.of(school_ids)
        self.new_buildings: dict[int, str] = {}  # row -> the name of a building to create

    def resolve(self, row: int, values: Sequence[Any], school: SchoolRef | None) -> tuple[int | None, tuple[Any, ...]]:
        if school is None:
            return None, (None, None, None)
        name = self.value(values, "name") or ""
        candidates = self.rooms.by_name.get((school.id, name.lower()), [])
        if not self.has("building"):
            # Without a building column a room name must say which room it is.
            self.key(row, (school.id, name.lower()) if name else None)
            if len(candidates) > 1:
                self.error(row, "name", _("several rooms of this school have this name; add the building column"))
                return None, (school.county_id, school.id, None)
            if candidates:
                return candidates[0]["id"], (school.county_id, school.id, candidates[0]["building_id"])
            return None, (school.county_id, school.id, None)
        building = self.value(values, "building") or ""
        self.key(row, (school.id, building.lower(), name.lower()) if name else None)
        match = next((c for c in candidates if c["building"] == building.lower()), None)
        building_id = self.buildings.get((school.id, building.lower()))
        if building and building_id is None:
            self.new_buildings[row] = building
        return (match["id"] if match else None), (school.county_id, school.id, building_id)

    def plan(self, progress: Progress | None = None) -> Plan:
        plan = super().plan(progress)
        # Buildings not yet known are created by name when the rows are written (`new_building`).
        plan.records = [(*record, self.new_buildings.get(record[0])) for record in plan.records]
        return plan


class AccessPointPlanner(Planner):
    kind = ACCESS_POINT.csv_kind
    resource = ACCESS_POINT
    fixed = ("county_id", "school_id", "room_id", "snmp_profile_id", "serial")
    key_name = "serial"

    async def lookup(self) -> None:
        await super().lookup()
        await self.lookup_profiles()
        found = await query("SELECT id, serial, mac::text AS mac, county_id, school_id, room_id, snmp_profile_id, "
                            "status FROM access_point WHERE serial = ANY({}) OR mac = ANY({}::macaddr[])",
                            sorted(self.values_of("serial")), sorted(self.values_of("mac")))
        self.by_serial = {r["serial"]: r for r in found}
        self.by_mac = {r["mac"]: r for r in found if r["mac"]}
        self.rooms = await RoomIndex.of([s.id for s in self.schools.values()])
        self.macs: dict[str, list[int]] = defaultdict(list)

    def resolve(self, row: int, values: Sequence[Any], school: SchoolRef | None) -> tuple[int | None, tuple[Any, ...]]:
        serial, mac = self.value(values, "serial"), self.value(values, "mac")
        if serial:
            self.key(row, serial)
        if mac:
            self.macs[mac].append(row)
        existing = self.by_serial.get(serial) if serial else None
        holder = self.by_mac.get(mac) if mac else None
        where = "serial" if self.has("serial") else "mac"
        if serial:
            if holder is not None and (existing is None or holder["id"] != existing["id"]):
                self.error(row, "mac", _("the MAC address belongs to another access point"))
        elif mac:
            existing = holder  # known by its MAC address
            if existing is None and self.parsed.readable(row, "serial"):
                self.error(row, where, _("a new access point needs a serial number"))
        elif self.parsed.readable(row, "serial") and self.parsed.readable(row, "mac"):
            self.error(row, where, _("a serial number or MAC address is required"))
        if existing is not None and not self.scope.sees(existing["county_id"], existing["school_id"]):
            self.error(row, "serial" if serial else "mac", _(ALREADY_IN_USE))
            existing = None
        if school is None:
            return None, (None, None, None, None, serial)
        self.validate(row, values, {"prefix": school.prefix, "status": existing["status"] if existing else None})
        room_id = self.room(row, values, school, existing)
        if self.has("covers"):
            self.coverage[row] = self.covered(row, values, school)
        profile = self.snmp_profile(row, values, school.county_id, existing)
        return (existing["id"] if existing else None), (
            school.county_id, school.id, room_id, profile, existing["serial"] if existing else serial)

    def room(self, row: int, values: Sequence[Any], school: SchoolRef, existing: Any) -> int | None:
        if not self.has("room"):
            # The room stays unless the access point moves to another school.
            return existing["room_id"] if existing is not None and existing["school_id"] == school.id else None
        name = self.value(values, "room")
        if not name:
            return None
        found, problem = self.rooms.find(school.id, self.value(values, "building") or None, name)
        if problem:
            self.error(row, "room", problem)
        return found

    def covered(self, row: int, values: Sequence[Any], school: SchoolRef) -> set[int]:
        rooms: set[int] = set()
        for entry in filter(None, (part.strip() for part in (self.value(values, "covers") or "").split(","))):
            building, _sep, name = entry.rpartition(":")
            found, problem = self.rooms.find(school.id, building.strip() or None, name.strip())
            if problem:
                self.error(row, "covers", f"{entry}: {problem}")
            elif found is not None:
                rooms.add(found)
        return rooms

    def plan(self, progress: Progress | None = None) -> Plan:
        self.coverage: dict[int, set[int]] = {}
        plan = super().plan(progress)
        self.report_repeats(self.macs, "mac", SAME_MAC)
        plan.coverage = self.coverage
        return plan


class UplinkPlanner(Planner):
    kind = UPLINK.csv_kind
    resource = UPLINK
    fixed = ("county_id", "school_id", "snmp_profile_id")
    key_name = "provider"

    async def lookup(self) -> None:
        await super().lookup()
        await self.lookup_profiles()
        self.uplinks: dict[int, list[asyncpg.Record]] = defaultdict(list)
        for uplink in await query("SELECT id, school_id, county_id, lower(provider) AS provider, line_id, status, "
                                  "snmp_profile_id FROM uplink WHERE school_id = ANY({}) ORDER BY id",
                                  [s.id for s in self.schools.values()]):
            self.uplinks[uplink["school_id"]].append(uplink)

    def resolve(self, row: int, values: Sequence[Any], school: SchoolRef | None) -> tuple[int | None, tuple[Any, ...]]:
        if school is None:
            return None, (None, None, None)
        provider = (self.value(values, "provider") or "").lower()
        line_id = self.value(values, "line_id") or ""
        self.key(row, (school.id, "line", line_id) if line_id else (school.id, "provider", provider) if provider
                 else None)
        existing = [u for u in self.uplinks.get(school.id, []) if line_id and u["line_id"] == line_id]
        if not existing:
            # By provider: a line id may be filled in later, so an uplink without one matches too.
            existing = [u for u in self.uplinks.get(school.id, []) if u["provider"] == provider
                        and (not line_id or not u["line_id"])]
            if len(existing) > 1:
                self.error(row, "provider", _("the school has several uplinks of this provider; add the line id"))
                existing = []
        match = existing[0] if existing else None
        self.validate(row, values, {"status": match["status"] if match else None})
        profile = self.snmp_profile(row, values, school.county_id, match)
        return (match["id"] if match else None), (school.county_id, school.id, profile)


class DevicePlanner(Planner):
    kind = DEVICE.csv_kind
    resource = DEVICE
    fixed = ("county_id", "school_id", "serial")
    key_name = "serial"

    async def lookup(self) -> None:
        await super().lookup()
        # Every device with these serials, in scope or not: a serial is unique everywhere.
        self.existing = {r["serial"]: r for r in await query(
            "SELECT d.id, d.serial, d.county_id, d.school_id, d.status, "
            "EXISTS (SELECT 1 FROM loan l WHERE l.device_id = d.id AND l.returned_on IS NULL) AS on_loan, "
            "EXISTS (SELECT 1 FROM loan l WHERE l.device_id = d.id) AS has_loans "
            "FROM unnest({}::text[]) AS k(serial) JOIN device d ON d.serial = k.serial",
            list(self.values_of("serial")))}
        # All tags of the counties concerned (a county has thousands of devices, not millions): matching a
        # long list of tags in SQL costs more than reading them.
        counties = sorted({s.county_id for s in self.schools.values()})
        self.asset_tags = {(r["county_id"], r["asset_tag"]): r["serial"] for r in await query(
            "SELECT county_id, asset_tag, serial FROM device WHERE county_id = ANY({}) AND asset_tag IS NOT NULL",
            counties)} if self.has("asset_tag") else {}
        # A MAC address is unique among all devices (a scanned label finds the device).
        self.mac_holders = {r["mac"]: r for r in await query(
            "SELECT mac::text AS mac, serial, county_id, school_id FROM device WHERE mac = ANY({}::macaddr[])",
            sorted(self.values_of("mac")))}
        self.tags: dict[tuple[int, str], list[int]] = defaultdict(list)
        self.macs: dict[str, list[int]] = defaultdict(list)
        self.tag_index = self.at.get("asset_tag")
        self.mac_index = self.at.get("mac")

    def resolve(self, row: int, values: Sequence[Any], school: SchoolRef | None) -> tuple[int | None, tuple[Any, ...]]:
        serial = self.value(values, "serial")
        self.key(row, serial)
        existing = self.existing.get(serial)
        if existing is not None and not self.scope.sees(existing["county_id"], existing["school_id"]):
            self.error(row, "serial", _(ALREADY_IN_USE))
            existing = None
        if school is None:
            return None, (None, None, serial)
        if existing is not None and existing["school_id"] != school.id:
            problem = move_problem(existing, school.county_id)
            if problem:
                self.error(row, "school_number", _(problem))
        if self.tag_index is not None and values[self.tag_index]:
            tag = values[self.tag_index]
            self.tags[(school.county_id, tag)].append(row)
            holder = self.asset_tags.get((school.county_id, tag))
            if holder is not None and holder != serial:
                self.error(row, "asset_tag", _(USED_BY_DEVICE, serial=holder))
        if self.mac_index is not None and values[self.mac_index]:
            self.check_mac(row, values[self.mac_index], serial)
        self.validate(row, values, existing)
        return (existing["id"] if existing else None), (school.county_id, school.id, serial)

    def check_mac(self, row: int, mac: str, serial: str) -> None:
        self.macs[mac].append(row)
        holder = self.mac_holders.get(mac)
        if holder is not None and holder["serial"] != serial:
            if self.scope.sees(holder["county_id"], holder["school_id"]):
                self.error(row, "mac", _(USED_BY_DEVICE, serial=holder["serial"]))
            else:
                self.error(row, "mac", _(ALREADY_IN_USE))

    def plan(self, progress: Progress | None = None) -> Plan:
        plan = super().plan(progress)
        self.report_repeats(self.tags, "asset_tag", N_("the same asset tag appears more than once in this file "
                                                       "(rows %(rows)s)"))
        self.report_repeats(self.macs, "mac", SAME_MAC)
        return plan


class ControllerPlanner(Planner):
    """WLAN controllers: a county's (no school number) or a school's; matched by county, address and port.
    Like the API, a controller stays where it was entered: a row cannot move it to another school."""

    kind = WLAN_CONTROLLER.csv_kind
    resource = WLAN_CONTROLLER
    fixed = ("county_id", "school_id", "snmp_profile_id")
    key_name = "management_ip"

    async def lookup(self) -> None:
        await super().lookup()
        county_ids = [c["id"] for c in await self.lookup_counties()]
        rows = await query("SELECT id, county_id, lower(name) AS name FROM snmp_profile WHERE county_id = ANY({})",
                           county_ids)
        self.profiles = {(r["county_id"], r["name"]): r["id"] for r in rows}
        self.existing = {(r["county_id"], r["ip"], r["snmp_port"]): r for r in await query(
            "SELECT id, county_id, school_id, host(management_ip) AS ip, snmp_port, snmp_profile_id "
            "FROM wlan_controller WHERE county_id = ANY({})", county_ids)}

    def school(self, row: int, values: Sequence[Any]) -> SchoolRef | None:
        if not self.has("school_number") or not values[self.school_index]:
            return None  # the county's controller
        return super().school(row, values)

    def county(self, row: int, values: Sequence[Any], school: SchoolRef | None) -> int | None:
        name, county_id = self.county_named(row, values)
        if school is not None:
            if county_id is not None and county_id != school.county_id:
                self.error(row, "county", _("the school is in another county"))
            return school.county_id
        if self.has("school_number") and not self.parsed.readable(row, "school_number"):
            return None  # an unreadable school number: already an error
        if self.scope.school_id is not None:  # a school's user enters the school's controller only
            self.error(row, "school_number", _(VALUE_REQUIRED))
            return None
        county_id = county_id or (None if name else self.only_county)
        if county_id is None and not name:
            self.error(row, "county", _(VALUE_REQUIRED))
        return county_id

    def resolve(self, row: int, values: Sequence[Any], school: SchoolRef | None) -> tuple[int | None, tuple[Any, ...]]:
        county_id = self.county(row, values, school)
        if county_id is None:
            return None, (None, None, None)
        address, port = self.value(values, "management_ip"), self.value(values, "snmp_port") or 161
        self.key(row, (county_id, address, port) if address else None)
        existing = self.existing.get((county_id, address, port))
        school_id = school.id if school is not None else None
        if existing is not None and existing["school_id"] != school_id and (school_id or self.has("school_number")):
            self.error(row, "school_number", _(STAYS))
        elif school is not None and address and not identifiers.in_network(address, school.prefix):
            self.error(row, "management_ip", _(OUTSIDE_SCHOOL_NETWORK))
        profile = self.snmp_profile(row, values, county_id, existing)
        if existing is not None:
            return existing["id"], (county_id, existing["school_id"], profile)
        return None, (county_id, school_id, profile)


PLANNERS: dict[str, type[Planner]] = {planner.kind.name: planner for planner in (
    SchoolPlanner, RoomPlanner, AccessPointPlanner, UplinkPlanner, DevicePlanner, ControllerPlanner)}


# --- writing ---------------------------------------------------------------------------------------

@dataclass
class Written:
    created: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # county -> rows
    created_ids: dict[int, list[list[int]]] = field(default_factory=lambda: defaultdict(list))  # county -> runs
    changed: set[int] = field(default_factory=set)  # ids of existing objects whose values changed
    changed_by_county: dict[int, int] = field(default_factory=lambda: defaultdict(int))


STAGE = "import_stage"
# asyncpg has no binary COPY format for macaddr: such columns are staged as text and cast when written.
TEXT_STAGED = {"mac": "macaddr"}


def _staged(name: str) -> str:
    return f"s.{name}::{TEXT_STAGED[name]}" if name in TEXT_STAGED else f"s.{name}"


async def _write(kind: Kind, plan: Plan, scope: Scope) -> Written:
    stage_columns = ", ".join(f"{name}::text AS {name}" if name in TEXT_STAGED else name for name in plan.columns)
    extra = "".join(f", NULL::{sql_type} AS {name}" for name, sql_type in plan.extra)
    await sql.execute(f"DROP TABLE IF EXISTS {STAGE}")
    await sql.execute(f"CREATE TEMP TABLE {STAGE} ON COMMIT DROP AS SELECT NULL::integer AS _row, id, "  # noqa: S608
                       f"{stage_columns}{extra} FROM {kind.table} WITH NO DATA")
    await sql.copy_records(STAGE, plan.records, ["_row", "id", *plan.columns, *(name for name, _type in plan.extra)])
    if kind is ROOM.csv_kind:
        await _create_buildings(scope)
    if kind is ACCESS_POINT.csv_kind:
        await _drop_coverage_of_moved_access_points()
    written = Written()
    if any(record[1] is not None for record in plan.records):
        for record in await sql.fetch(_update_sql(kind, plan.columns), *audit.actor_values(scope),
                                      f"{kind.table}.update", kind.table):
            written.changed.add(record["id"])
            written.changed_by_county[record["county_id"]] += 1
    if any(record[1] is None for record in plan.records):
        for record in await sql.fetch(_insert_sql(kind, plan)):
            written.created[record["county_id"]] += record["n"]
            written.created_ids[record["county_id"]].append([record["first"], record["last"]])
    if kind is ACCESS_POINT.csv_kind and plan.coverage:
        await _replace_coverage(plan, written, scope)
    await sql.execute(f"DROP TABLE {STAGE}")
    return written


# The update writes its audit rows from the rows it returns (`done`); its seven values are the actor's
# kind, id, label, request id and address, the action and the object type (in this order in the SQL).
_AUDIT = "logged AS (" + audit.insert_sql(
    "done", actor_kind="{}", actor_id="{}", actor_label="{}", request_id="{}", client_ip="{}::inet", action="{}",
    object_type="{}", object_id="id::text", county_id="county_id", before="before", after="after") + ")"


def _update_sql(kind: Kind, columns: list[str]) -> str:
    """Existing objects whose values differ from the file's: one UPDATE, audited with before and after."""
    assignments = ", ".join(f"{name} = {_staged(name)}" for name in columns)
    touched = ", updated_at = now()" if kind.has_updated_at else ""
    old_values = ", ".join(f"old.{name}" for name in columns)
    new_values = ", ".join(_staged(name) for name in columns)
    return (f"WITH done AS (UPDATE {kind.table} AS t SET {assignments}{touched} "  # noqa: S608
            f"FROM {STAGE} AS s JOIN {kind.table} AS old ON old.id = s.id "
            f"WHERE t.id = s.id AND ({old_values}) IS DISTINCT FROM ({new_values}) "
            f"RETURNING t.id, t.county_id, {audit.json_sql(columns, 'old')} AS before, "
            f"{audit.json_sql(columns, 't')} AS after), "
            f"{_AUDIT} SELECT id, county_id FROM done")


def _insert_sql(kind: Kind, plan: Plan) -> str:
    """New objects: one INSERT, county by county in file order. It returns the runs of new ids per county
    for the import's audit event; an event per created object would cost a fifth of a large import (its
    values are in the row, and its creation in that event)."""
    new_values = ", ".join(_staged(name) for name in plan.columns)
    return (f"WITH done AS (INSERT INTO {kind.table} ({', '.join(plan.columns)}) "  # noqa: S608
            f"SELECT {new_values} FROM {STAGE} AS s WHERE s.id IS NULL ORDER BY s.county_id, s._row "
            f"RETURNING id, county_id) "
            f"SELECT county_id, min(id) AS first, max(id) AS last, count(*) AS n "
            f"FROM (SELECT id, county_id, id - row_number() OVER (PARTITION BY county_id ORDER BY id) AS run "
            f"FROM done) AS numbered GROUP BY county_id, run ORDER BY county_id, first")


async def _create_buildings(scope: Scope) -> None:
    """Rooms name their building; buildings not known yet are created (and audited) before the rooms."""
    created = await sql.fetch(
        f"INSERT INTO building (county_id, school_id, name) SELECT DISTINCT ON (school_id, lower(new_building)) "  # noqa: S608
        f"county_id, school_id, new_building FROM {STAGE} WHERE new_building IS NOT NULL "
        f"ORDER BY school_id, lower(new_building), _row ON CONFLICT DO NOTHING RETURNING id, county_id, name")
    for building in created:
        await audit.record(scope, "building.create", object_type="building", object_id=building["id"],
                           county_id=building["county_id"], after={"name": building["name"]})
    await sql.execute(f"UPDATE {STAGE} AS s SET building_id = b.id FROM building b "  # noqa: S608
                       f"WHERE s.new_building IS NOT NULL AND b.school_id = s.school_id "
                       f"AND lower(b.name) = lower(s.new_building)")


async def _drop_coverage_of_moved_access_points() -> None:
    """An access point that moves to another school no longer covers its old school's rooms."""
    await sql.execute(
        f"DELETE FROM access_point_room apr USING {STAGE} s, room r "  # noqa: S608
        f"WHERE apr.access_point_id = s.id AND apr.room_id = r.id AND r.school_id <> s.school_id")


async def _replace_coverage(plan: Plan, written: Written, scope: Scope) -> None:
    """The file's list of covered rooms replaces each access point's coverage."""
    updates = {record[0] for record in plan.records if record[1] is not None}
    ids = {r["_row"]: (r["id"], r["county_id"]) for r in await sql.fetch(
        f"SELECT s._row, a.id, a.county_id FROM {STAGE} s JOIN access_point a ON a.serial = s.serial")}  # noqa: S608
    current: dict[int, set[int]] = defaultdict(set)
    for pair in await sql.fetch("SELECT access_point_id, room_id FROM access_point_room "
                                "WHERE access_point_id = ANY({})", [ap for ap, _county in ids.values()]):
        current[pair["access_point_id"]].add(pair["room_id"])
    for row, rooms in plan.coverage.items():
        ap_id, county_id = ids[row]
        before = current.get(ap_id, set())
        if rooms == before:
            continue
        await sql.execute("DELETE FROM access_point_room WHERE access_point_id = {} AND NOT room_id = ANY({})",
                          ap_id, sorted(rooms))
        await sql.execute("INSERT INTO access_point_room (county_id, access_point_id, room_id) "
                          "SELECT {}, {}, unnest({}::integer[])", county_id, ap_id, sorted(rooms - before))
        await audit.record(scope, "access_point.coverage", object_type="access_point", object_id=ap_id,
                           county_id=county_id, before={"room_ids": sorted(before)}, after={"room_ids": sorted(rooms)})
        if row in updates and ap_id not in written.changed:
            written.changed.add(ap_id)
            written.changed_by_county[county_id] += 1


# --- the entry point -------------------------------------------------------------------------------

class _DryRun(Exception):
    def __init__(self, report: ImportReport) -> None:
        super().__init__("dry run")
        self.report = report


async def import_csv(scope: Scope, kind_name: str, data: bytes, *, dry_run: bool,
                     progress: Progress | None = None) -> ImportReport:
    """Import one CSV file of one kind; with `dry_run` (or any row error) nothing is written."""
    scope.require(Permission.INVENTORY_WRITE)
    kind = kind_named(kind_name)
    with _no_cyclic_gc():
        # Reading is pure CPU; in a thread it does not hold up the server's other requests for its duration.
        parsed = await asyncio.to_thread(read, data, kind, progress, KINDS.values())
        return await _import_in_transaction(scope, kind, parsed, dry_run=dry_run, progress=progress)


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Reading a large file allocates millions of small objects, none in a reference cycle; the cyclic
    collector would walk all of them again and again as they pile up (a third of the time for 100,000
    rows). Plain reference counting frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def _import_in_transaction(scope: Scope, kind: Kind, parsed: ParsedFile, *, dry_run: bool,
                                 progress: Progress | None) -> ImportReport:
    try:
        async with atomic():
            report = await _import(scope, kind, parsed, dry_run=dry_run, progress=progress)
            if dry_run:
                raise _DryRun(report)  # roll back: the dry run wrote to find out what would change
    except _DryRun as done:
        return done.report
    except asyncpg.IntegrityConstraintViolationError as exc:
        # Only a change made by someone else between checking and writing gets here.
        raise Conflict(_("the data changed during the import (%(constraint)s); run it again",
                         constraint=getattr(exc, "constraint_name", "") or type(exc).__name__)) from None
    return report


async def _import(scope: Scope, kind: Kind, parsed: ParsedFile, *, dry_run: bool,
                  progress: Progress | None) -> ImportReport:
    plan = Plan(columns=[])
    if parsed.rows:
        planner = PLANNERS[kind.name](parsed, scope)
        await planner.lookup()
        plan = planner.plan(progress)
    bad_rows = {error.row for error in parsed.errors}
    matched = [record for record in plan.records if record[0] not in bad_rows]
    updated = sum(1 for record in matched if record[1] is not None)
    report = ImportReport(
        kind=kind.name, dry_run=dry_run, ok=not parsed.errors, rows=len(parsed.rows),
        created=len(matched) - updated, updated=updated, changed=None,
        errors=parsed.in_file_order(), ignored_columns=parsed.ignored_columns,
        encoding=parsed.encoding, delimiter=parsed.delimiter)
    if parsed.errors or not plan.records:
        report.changed = 0 if report.ok else None
        return report
    if progress is not None:
        progress("write", 0, 1)
    written = await _write(kind, plan, scope)
    report.changed = len(written.changed)
    if not dry_run:
        await _audit_import(scope, kind, plan, written)
    if progress is not None:
        progress("write", 1, 1)
    return report


async def _audit_import(scope: Scope, kind: Kind, plan: Plan, written: Written) -> None:
    """One `import.<kind>` event per county the file touched, with its counts and the ids of the objects it
    created as runs `[first, last]` (authorities see their county's)."""
    rows: dict[int, int] = defaultdict(int)
    updated: dict[int, int] = defaultdict(int)
    for record in plan.records:
        rows[record[2]] += 1
        if record[1] is not None:
            updated[record[2]] += 1
    for county_id in sorted(rows):
        await audit.record(scope, f"import.{kind.name}", object_type=kind.table, county_id=county_id, after={
            "rows": rows[county_id], "created": written.created.get(county_id, 0), "updated": updated[county_id],
            "changed": written.changed_by_county.get(county_id, 0),
            "created_ids": written.created_ids.get(county_id, [])})
