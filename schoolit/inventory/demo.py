"""Synthetic demo schools for every demo county: plausible names, types, numbers and pupil counts, and
each school's inventory (uplinks, buildings and rooms, access points, pupil devices and loans).

Deterministic (seeded by the county's AGS and the school number), so seeding twice gives the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from schoolit.accounts.demo import DEMO_COUNTIES, DemoCounty
from schoolit.inventory.choices import SchoolType

_PREFIX = {
    SchoolType.GYMNASIUM: "Gymnasium",
    SchoolType.IGS: "IGS",
    SchoolType.REALSCHULE_PLUS: "Realschule plus",
    SchoolType.BBS: "Berufsbildende Schule",
    SchoolType.FOERDERSCHULE: "Förderschule",
}
_PUPILS = {
    SchoolType.GYMNASIUM: (550, 1250),
    SchoolType.IGS: (650, 1350),
    SchoolType.REALSCHULE_PLUS: (280, 700),
    SchoolType.BBS: (1100, 3200),
    SchoolType.FOERDERSCHULE: (70, 230),
}
# Named after people or landscapes, as many real schools are; used for some Gymnasien and IGS.
_PATRONS = ("Albert-Schweitzer-", "Geschwister-Scholl-", "Carl-Zuckmayer-", "Nordpfalz-", "Hildegard-von-Bingen-",
            "Sickingen-", "Wilhelm-Erb-", "Veldenz-", "Sophie-Scholl-", "Kurfürst-Ruprecht-")


@dataclass(frozen=True)
class DemoSchool:
    county_slug: str
    school_number: str
    name: str
    school_type: SchoolType
    city: str
    pupils: int


def _plan(county: DemoCounty, rng: random.Random) -> list[tuple[SchoolType, str]]:
    towns = list(county.towns)
    plan: list[tuple[SchoolType, str]] = [(SchoolType.BBS, towns[0])]
    plan += [(SchoolType.GYMNASIUM, t) for t in towns[: rng.randint(2, 3)]]
    plan += [(SchoolType.IGS, t) for t in rng.sample(towns[1:], k=min(2, len(towns) - 1))]
    plan += [(SchoolType.REALSCHULE_PLUS, t) for t in rng.sample(towns, k=min(rng.randint(2, 3), len(towns)))]
    plan += [(SchoolType.FOERDERSCHULE, t) for t in rng.sample(towns, k=rng.randint(1, 2))]
    if county.slug == "donnersbergkreis":
        # The real Donnersbergkreis runs 13 schools; add schools until the demo matches.
        extra = [(SchoolType.REALSCHULE_PLUS, towns[3]), (SchoolType.GYMNASIUM, "Weierhof"),
                 (SchoolType.FOERDERSCHULE, towns[2]), (SchoolType.IGS, towns[0]), (SchoolType.BBS, towns[1])]
        for item in extra:
            if len(plan) >= 13:
                break
            if item not in plan:
                plan.append(item)
    return plan


def demo_schools() -> list[DemoSchool]:
    """All demo schools, in a stable order."""
    schools: list[DemoSchool] = []
    for county_index, county in enumerate(DEMO_COUNTIES):
        rng = random.Random(int(county.ags))  # noqa: S311 (demo data, not secrets)
        for school_index, (school_type, town) in enumerate(_plan(county, rng)):
            prefix = _PREFIX[school_type]
            if school_type in (SchoolType.GYMNASIUM, SchoolType.IGS) and rng.random() < 0.4:
                name = f"{rng.choice(_PATRONS)}{prefix} {town}"
            else:
                name = f"{prefix} {town}"
            low, high = _PUPILS[school_type]
            schools.append(DemoSchool(
                county_slug=county.slug,
                # 5 digits, unique by construction: 5, county index, school index.
                school_number=f"5{county_index:02d}{school_index:02d}",
                name=name,
                school_type=school_type,
                city=town,
                pupils=rng.randint(low, high) // 5 * 5,
            ))
    return schools


# --- the inventory of each demo school ------------------------------------------------------------
# Uplinks, buildings, rooms, access points with the rooms they cover, pupil devices and loans, with the
# gaps real schools have: about half without fibre yet (VDSL, cable, fibre planned or under construction)
# and teaching rooms without WLAN. Everything is derived from the school number, so a second run finds
# the same natural keys and adds nothing; rows go in with one batch insert per table.

_VENDOR_OUI = {"aruba": "20:4c:03", "cisco": "00:3a:7d", "unifi": "f0:9f:c2", "lancom": "00:a0:57"}
_VENDOR_MODELS = {"aruba": ("AP-515", "AP-535", "AP-505"), "cisco": ("C9120AXI-E", "C9130AXI-E"),
                  "unifi": ("U6-Pro", "U6-LR", "U7-Pro"), "lancom": ("LX-6500", "LX-6400", "LW-600")}
_VENDOR_SERIAL = {"aruba": "CN", "cisco": "FGL", "unifi": "F09FC2", "lancom": "4003"}
_DEVICE_MODELS = (("tablet", "Apple", "iPad (9. Gen.)", "DMP", "3c:22:fb", "Hülle, Ladekabel, Netzteil"),
                  ("tablet", "Apple", "iPad (10. Gen.)", "GG7", "3c:22:fb", "Hülle, Stift, Ladekabel, Netzteil"),
                  ("laptop", "Lenovo", "ThinkPad L13 Yoga", "PF", "8c:16:45", "Netzteil, Stift"),
                  ("convertible", "HP", "ProBook x360 11 G7", "5CD", "f4:39:09", "Netzteil, Tasche"),
                  ("tablet", "Samsung", "Galaxy Tab S6 Lite", "R52", "5c:51:81", "Hülle, Ladekabel"))
_CONTROLLER_COUNTIES = ("kaiserslautern", "kusel")
_PROVIDERS = ("Deutsche Telekom", "Pfalzwerke Netz", "Inexio", "Vodafone", "Thüga SmartService", "Deutsche Glasfaser")


@dataclass
class InventoryPlan:
    """Rows to insert, keyed by natural keys (school number, names, serials): each row's own columns as a
    mapping, which `insert_rows` types and casts from the table and its description."""

    prefixes: list[tuple[str, str]]  # school number, management prefix
    uplinks: list[tuple[str, dict[str, Any]]]  # school number, columns
    buildings: list[tuple[str, str]]  # school number, name
    rooms: list[tuple[str, str, dict[str, Any]]]  # school number, building, columns
    access_points: list[tuple[str, str, str, dict[str, Any]]]  # school number, building, room, columns
    coverage: list[tuple[str, str, str]]  # AP serial, building, room name
    devices: list[tuple[str, dict[str, Any]]]  # school number, columns
    loans: list[tuple[str, dict[str, Any]]]  # device serial, columns


def _school_key(school: DemoSchool) -> tuple[int, int]:
    return int(school.school_number[1:3]), int(school.school_number[3:5])


def _mac(oui: str, number: int) -> str:
    return f"{oui}:{(number >> 16) & 0xFF:02x}:{(number >> 8) & 0xFF:02x}:{number & 0xFF:02x}"


def inventory_plan(today: dt.date) -> InventoryPlan:
    """The demo inventory of every demo school, as of `today` (loan dates follow the school year)."""
    plan = InventoryPlan([], [], [], [], [], [], [], [])
    year_end = dt.date(today.year if today.month <= 7 else today.year + 1, 7, 31)
    year_start = dt.date(year_end.year - 1, 8, 1)
    for school in demo_schools():
        county_index, school_index = _school_key(school)
        seq = county_index * 20 + school_index
        number = school.school_number
        rng = random.Random(int(number))  # noqa: S311 (demo data)
        plan.prefixes.append((number, f"10.{county_index + 1}.{school_index * 4}.0/22"))
        _plan_uplinks(plan, school, rng, today)
        teaching = _plan_rooms(plan, school, rng)
        _plan_access_points(plan, school, rng, seq, teaching, county_index)
        _plan_devices(plan, school, rng, seq, year_start, year_end, today)
    return plan


def _uplink(plan: InventoryPlan, school: DemoSchool, provider: str, line_id: str, technology: str, down: int,
            up: int, status: str, live_since: dt.date | None, contract_end: dt.date | None) -> None:
    plan.uplinks.append((school.school_number, {
        "provider": provider, "line_id": line_id, "technology": technology, "down_mbps": down, "up_mbps": up,
        "status": status, "live_since": live_since, "contract_end": contract_end}))


def _plan_uplinks(plan: InventoryPlan, school: DemoSchool, rng: random.Random, today: dt.date) -> None:
    provider = rng.choice(_PROVIDERS)
    line = f"DEMO-{school.school_number}"
    roll = rng.random()
    live_since = dt.date(rng.randint(2019, 2025), rng.randint(1, 12), 1)
    contract_end = dt.date(live_since.year + 5, live_since.month, 1) - dt.timedelta(days=1)
    if roll < 0.5:  # the goal: symmetric gigabit fibre
        _uplink(plan, school, provider, line + "-F", "fttb", 1000, 1000, "live", live_since,
                contract_end)
    elif roll < 0.7:  # fibre on its way, the school still runs on VDSL
        _uplink(plan, school, "Deutsche Telekom", line + "-V", "vdsl", 250, 40, "live",
                live_since, None)
        _uplink(plan, school, provider, line + "-F", "fttb", 1000, 1000,
                rng.choice(("ordered", "construction")), None, None)
    elif roll < 0.85:
        _uplink(plan, school, "Deutsche Telekom", line + "-V", "vdsl", rng.choice((100, 250)),
                rng.choice((40, 40, 20)), "live", live_since, None)
    elif roll < 0.95:
        _uplink(plan, school, "Vodafone", line + "-C", "cable", 1000, 50, "live", live_since,
                contract_end)
    else:  # only a planned fibre line and a stop-gap
        _uplink(plan, school, "Telefónica", line + "-L", "lte", 150, 50, "live",
                min(live_since, today), None)
        _uplink(plan, school, provider, line + "-F", "fttb", 1000, 1000, "planned", None, None)


def _plan_rooms(plan: InventoryPlan, school: DemoSchool, rng: random.Random) -> list[tuple[str, str]]:
    """Buildings and rooms; returns the teaching rooms as (building, room)."""
    buildings = ["Hauptgebäude"] + (["Neubau"] if school.pupils > 400 else []) + (
        ["Haus B"] if school.pupils > 1000 else [])
    for building in buildings:
        plan.buildings.append((school.school_number, building))
    count = max(6, school.pupils // 24)
    teaching: list[tuple[str, str]] = []
    per_building = [0] * len(buildings)
    specials = ["Informatik", "Chemie", "Physik"]
    for i in range(count):
        index = i % len(buildings)
        building, j = buildings[index], per_building[index]
        per_building[index] += 1
        name = specials.pop(0) if index == 0 and specials else f"{'ANB'[index]} {j // 8}.{j % 8 + 1:02d}"
        plan.rooms.append((school.school_number, building, {"name": name, "floor": str(j // 8), "is_teaching": True}))
        teaching.append((building, name))
    for name in ("Lehrerzimmer", "Sekretariat", "Bibliothek"):
        plan.rooms.append((school.school_number, "Hauptgebäude", {"name": name, "floor": "0", "is_teaching": False}))
    return teaching


def _plan_access_points(plan: InventoryPlan, school: DemoSchool, rng: random.Random, seq: int,
                        teaching: list[tuple[str, str]], county_index: int) -> None:
    vendor = ("aruba", "cisco", "unifi", "lancom")[(county_index + seq) % 4] if rng.random() < 0.85 else \
        rng.choice(("aruba", "cisco", "unifi", "lancom"))
    # Most schools cover 80 % or more of their teaching rooms; a few lag behind (rooms without WLAN).
    share = 1.0 if rng.random() < 0.3 else rng.uniform(0.55, 0.98)
    covered = teaching[: round(len(teaching) * share)]
    groups = [covered[i:i + 2] for i in range(0, len(covered), 2)] + [[("Hauptgebäude", "Lehrerzimmer"),
                                                                        ("Hauptgebäude", "Sekretariat")]]
    installed = dt.date(rng.randint(2020, 2024), rng.randint(1, 12), 1)
    for i, rooms in enumerate(groups):
        serial = f"{_VENDOR_SERIAL[vendor]}{school.school_number}{i:04d}"
        host = 10 + i
        prefix_third = school_key_third(school) + host // 250
        status = "faulty" if rng.random() < 0.02 else "active"
        plan.access_points.append((school.school_number, rooms[0][0], rooms[0][1], {
            "name": f"AP-{school.school_number}-{i + 1:03d}", "vendor": vendor,
            "model": rng.choice(_VENDOR_MODELS[vendor]), "serial": serial,
            "mac": _mac(_VENDOR_OUI[vendor], seq * 512 + i),
            "management_ip": f"10.{county_index + 1}.{prefix_third}.{host % 250 + 1}", "status": status,
            "installed_on": installed, "warranty_end": dt.date(installed.year + 5, installed.month, 1),
            "funding_programme": "digitalpakt_basis", "purchase_date": installed, "price_cents": 69000}))
        for building, room in rooms:
            plan.coverage.append((serial, building, room))


def school_key_third(school: DemoSchool) -> int:
    """The third octet where the school's management prefix (a /22) begins."""
    return _school_key(school)[1] * 4


def _loan(serial: str, pupil_ref: str, class_name: str, lent_on: dt.date, due_on: dt.date, accessories: str,
          returned_on: dt.date | None = None, condition_in: str = "") -> tuple[str, dict[str, Any]]:
    """A demo loan as recorded at the handover: its condition and the accessories handed out."""
    return serial, {"pupil_ref": pupil_ref, "class_name": class_name, "lent_on": lent_on, "due_on": due_on,
                    "returned_on": returned_on, "condition_in": condition_in, "agreement_signed": True,
                    "condition_out": "ohne sichtbare Schäden", "accessories_out": accessories}


def _plan_devices(plan: InventoryPlan, school: DemoSchool, rng: random.Random, seq: int, year_start: dt.date,
                  year_end: dt.date, today: dt.date) -> None:
    kind, vendor, model, serial_prefix, oui, accessories = rng.choice(_DEVICE_MODELS)
    count = max(12, round(school.pupils * rng.uniform(0.06, 0.14)))
    purchase = dt.date(2020, rng.randint(9, 12), rng.randint(1, 28))
    classes = ["5a", "5b", "6a", "6b", "7a", "7b", "8a", "8c", "9a", "10b"] if school.school_type != "bbs" else \
        ["BVJ 1", "BF 1", "HBF 2", "BOS 1", "FOS 11"]
    for i in range(count):
        serial = f"{serial_prefix}{school.school_number}{i:04d}"
        roll = rng.random()
        status = "stock"
        class_name = classes[i % len(classes)]
        ref = f"S{school.school_number[-3:]}-{i + 1:04d}"
        if roll < 0.62:  # lent this school year, due at its end
            lent = min(year_start + dt.timedelta(days=rng.randint(30, 50)), today)
            plan.loans.append(_loan(serial, ref, class_name, lent, year_end, accessories))
            status = "lent"
        elif roll < 0.66:  # not returned at the end of last school year: overdue
            lent = year_start - dt.timedelta(days=rng.randint(300, 330))
            plan.loans.append(_loan(serial, ref, class_name, lent, year_start - dt.timedelta(days=1), accessories))
            status = "lent"
        elif roll < 0.70:
            status = rng.choice(("repair", "lost", "retired"))
        if roll >= 0.62 and roll < 0.9 and status != "lent":  # an earlier loan, returned two summers ago
            lent = dt.date(year_start.year - 2, 9, 15)
            plan.loans.append(_loan(serial, f"S{school.school_number[-3:]}-A{i + 1:03d}", class_name, lent,
                                    dt.date(year_start.year - 1, 7, 31), accessories,
                                    dt.date(year_start.year - 1, 7, 10), "Gebrauchsspuren, vollständig"))
        plan.devices.append((school.school_number, {
            "kind": kind, "vendor": vendor, "model": model, "serial": serial,
            "asset_tag": f"{school.school_number}-{i + 1:04d}", "mac": _mac(oui, seq * 1024 + i),
            "mdm_id": f"MDM-{serial}", "mdm_enrolled": status != "retired",
            "funding_programme": "digitalpakt_sofortausstattung", "purchase_date": purchase,
            "price_cents": 44900 if kind == "tablet" else 61900,
            "warranty_end": dt.date(purchase.year + 3, purchase.month, purchase.day), "status": status,
            "accessories": accessories}))


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else []


async def seed_inventory() -> dict[str, int]:
    """Insert the demo inventory (idempotent); returns how many rows of each kind the demo has.

    Ids are looked up in Python and every insert is a plain `unnest` of arrays: an INSERT ... SELECT with
    joins would be planned on the statistics of tables that were nearly empty a moment ago.
    """
    from schoolit.inventory import secrets
    from schoolit.inventory.services.store import insert_rows
    from schoolit.settings import get_settings
    from schoolit.sql import fetch

    plan = inventory_plan(dt.date.today())
    numbers, prefixes = _columns(plan.prefixes)
    await fetch("UPDATE school s SET management_prefix = p.prefix::cidr FROM unnest({}::text[], {}::text[]) "
                "AS p(number, prefix) WHERE s.school_number = p.number AND s.management_prefix IS NULL",
                numbers, prefixes)
    schools = {r["school_number"]: (r["id"], r["county_id"]) for r in await fetch(
        "SELECT id, county_id, school_number FROM school WHERE school_number = ANY({})", numbers)}
    school_ids = [school_id for school_id, _ in schools.values()]
    if get_settings().secret_key:  # secrets need the key; without one the demo has no SNMP profiles
        for county_id in sorted({county for _, county in schools.values()}):
            await fetch("INSERT INTO snmp_profile (county_id, name, version, v3_user, auth_protocol, "
                        "auth_key_encrypted, priv_protocol, priv_key_encrypted) VALUES ({}, 'Demo SNMPv3', '3', "
                        "'schoolit-monitor', 'SHA-256', {}, 'AES', {}) ON CONFLICT DO NOTHING", county_id,
                        secrets.encrypt("demo-auth-passphrase"), secrets.encrypt("demo-priv-passphrase"))
    profiles = {r["county_id"]: r["id"] for r in await fetch(
        "SELECT id, county_id FROM snmp_profile WHERE lower(name) = 'demo snmpv3'")}

    def at(number: str) -> dict[str, Any]:
        school_id, county_id = schools[number]
        return {"school_id": school_id, "county_id": county_id}

    def placed(number: str) -> dict[str, Any]:  # a polled row: with its county's SNMP profile
        return {**at(number), "snmp_profile_id": profiles.get(schools[number][1])}

    # Every row is written with `insert_rows` from the plan's columns (typed from the table, cast as its
    # description says): a new column with a default needs nothing here. Rows already there are kept.
    await insert_rows("uplink", [{**placed(number), **values} for number, values in plan.uplinks])
    await insert_rows("building", [{**at(number), "name": name} for number, name in plan.buildings])
    buildings = {(r["school_id"], r["name"]): r["id"] for r in await fetch(
        "SELECT id, school_id, name FROM building WHERE school_id = ANY({})", school_ids)}
    await insert_rows("room", [{**at(number), "building_id": buildings[(schools[number][0], building)], **values}
                               for number, building, values in plan.rooms])
    rooms = {(r["building_id"], r["name"]): r["id"] for r in await fetch(
        "SELECT id, building_id, name FROM room WHERE school_id = ANY({})", school_ids)}

    def room(number: str, building: str, name: str) -> int:
        return rooms[(buildings[(schools[number][0], building)], name)]

    returning = "id, serial, county_id, school_id"
    new_aps = await insert_rows("access_point", [
        {**placed(number), "room_id": room(number, building, name), **values}
        for number, building, name, values in plan.access_points], returning=returning)
    fresh = {r["serial"]: r for r in new_aps}
    numbers_by_school = {school_id: number for number, (school_id, _) in schools.items()}
    coverage = [(fresh[serial]["county_id"], fresh[serial]["id"],
                 room(numbers_by_school[fresh[serial]["school_id"]], building, name))
                for serial, building, name in plan.coverage if serial in fresh]  # only new APs get their survey
    if coverage:
        await fetch("INSERT INTO access_point_room (county_id, access_point_id, room_id) SELECT * FROM unnest("
                    "{}::int[], {}::int[], {}::int[]) ON CONFLICT DO NOTHING", *_columns(coverage))
    new_devices = await insert_rows("device", [
        {**at(number), **values} for number, values in plan.devices], returning=returning)
    fresh = {r["serial"]: r for r in new_devices}
    await insert_rows("loan", [  # loans only for devices this run created
        {"county_id": fresh[serial]["county_id"], "school_id": fresh[serial]["school_id"],
         "device_id": fresh[serial]["id"], **values} for serial, values in plan.loans if serial in fresh])
    # The central WLAN controllers of two counties of the shared support team. Not polled: the demo's probe
    # and simulator serve Donnersbergkreis, whose access points answer the probe directly.
    controllers = await fetch("SELECT id, name FROM county_directory WHERE slug = ANY({}) ORDER BY slug",
                              list(_CONTROLLER_COUNTIES))
    await insert_rows("wlan_controller", [
        {"county_id": county["id"], "name": f"WLC {county['name']}", "profile": "lancom-wlc",
         "model": "LANCOM WLC-1000", "management_ip": f"172.31.{index}.10"}
        for index, county in enumerate(controllers, start=1)])
    counts = await fetch(
        "WITH s AS (SELECT unnest({}::int[]) AS id) SELECT "
        "(SELECT count(*) FROM uplink WHERE school_id IN (SELECT id FROM s)) AS uplinks, "
        "(SELECT count(*) FROM room WHERE school_id IN (SELECT id FROM s)) AS rooms, "
        "(SELECT count(*) FROM access_point WHERE school_id IN (SELECT id FROM s)) AS access_points, "
        "(SELECT count(*) FROM device WHERE school_id IN (SELECT id FROM s)) AS devices, "
        "(SELECT count(*) FROM loan WHERE school_id IN (SELECT id FROM s)) AS loans", school_ids)
    return dict(counts[0])
