"""The nationwide dataset: 400 counties, 32,000 schools, 1,000,000 access points, 5,000,000 devices,
1,000,000 tickets and 30 days of probe rollups for every access point and uplink.

The database is `schoolit_bench`: on DATABASE_URL's server when set, otherwise in an embedded
PostgreSQL 16 cluster (pgserver) under bench/out/pg (git-ignored; the cluster is stopped at the end
and started again by bench/pages.py). It is migrated with our migrations, then filled with
set-based SQL on the server (`INSERT … SELECT … FROM generate_series`, chunked so that two
connections keep both cores busy and the progress bar moves); the few hundred counties and users
come from Python through COPY. Ids are explicit and arithmetic (school s has access points
from `first_ap(s)` on, …) so that every reference is computed, not looked up; sequences are set
past them at the end.

For loading speed the big tables' secondary indexes, unique constraints that no foreign key uses
and foreign keys are dropped first and recreated afterwards from their own definitions
(`pg_get_indexdef` / `pg_get_constraintdef` read before the drop), so the schema ends exactly as the
migrations left it, and every constraint is validated against the data when it is added back.
Primary keys and CHECK constraints stay in place throughout.

Probe history is what the retention keeps (see docs/operations.md): daily rollups of the last 30 days
for every polled access point and uplink, hourly rollups of access points since midnight UTC of
yesterday (PROBE_AP_HOURLY_RETENTION_DAYS=1) and of uplinks for 8 days
(PROBE_HOURLY_RETENTION_DAYS=8). Raw samples are not generated: they are kept 14 days and are the
ingest benchmark's subject (bench/ingest.py), not the pages'.

Every user's password is BENCH_PASSWORD: admin@bench.example, authority-<county slug>@bench.example
and supporter-<arrangement id>-<1|2>@bench.example / supporter-<county slug>@bench.example.

Run: `.venv/bin/python bench/dataset.py [--counties 400] [--keep]`; with `--keep` an existing dataset is
only brought up to the current migrations. `--counties 12` makes a small
dataset with the same proportions (for trying the script). Results go to docs/performance.md
("Nationwide dataset and pages").
"""

# ruff: noqa: S608 — SQL here is built from integers and names this script computes, never from input.

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import platform
import sys
import time
import warnings
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import asyncpg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schoolit.tickets.sla import DEFAULT_MATRIX, DEFAULT_TARGETS  # noqa: E402

DATABASE = "schoolit_bench"
CLUSTER_DIR = ROOT / "bench" / "out" / "pg"
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 (a throw-away dataset's known login)
BENCH_SECRET_KEY = "bench-only-secret-key-not-for-production-use-0123456789"  # noqa: S105

SCHOOLS_PER_COUNTY = 80
ROOMS_PER_SCHOOL = 30  # 26 teaching rooms, 4 others
TEACHING_ROOMS = 26
# Per 4 schools: 31 + 31 + 31 + 32 access points and 156 × 3 + 157 devices (1,000,000 and 5,000,000
# for 32,000 schools); tickets are 31.25 per school.
APS_PER_4 = 125
DEVICES_PER_4 = 625
TICKET_STEP_SECONDS = 63  # one ticket every 63 s: 1,000,000 tickets span 729 days
ARRANGEMENT_SIZE = 3
ARRANGED_SHARE = 0.6  # the first 60 % of counties share support teams in threes
DAILY_DAYS = 30
AP_HOURLY_DAYS = 1
UPLINK_HOURLY_DAYS = 8
BERLIN = ZoneInfo("Europe/Berlin")

STEMS = ["Alzey", "Bern", "Donners", "Eifel", "Hoch", "Kusel", "Lauter", "Mayen", "Neu", "Rhein", "Saar",
         "Pfalz", "Wester", "Hunsrück", "Nahe", "Mosel", "Glan", "Ahr", "Lahn", "Wald"]
ENDINGS = ["berg", "tal", "au", "feld", "heim", "bach", "stein", "burg", "hausen", "dorf", "kirchen", "brück",
           "weiler", "hofen", "ingen", "stadt", "wald", "see", "rode", "furt"]


def county_names(count: int) -> list[str]:
    """`count` distinct plausible town names (20 stems × 20 endings, then numbered)."""
    names = [stem + ending for ending in ENDINGS for stem in STEMS]
    return [names[i % len(names)] + ("" if i < len(names) else f" {i // len(names) + 1}") for i in range(count)]


def slugify(name: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", " ": "-"})
    return name.lower().translate(table)


@dataclass
class Plan:
    """Sizes and the moment the dataset is generated for."""

    counties: int
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))

    @property
    def schools(self) -> int:
        return self.counties * SCHOOLS_PER_COUNTY

    @property
    def access_points(self) -> int:
        return self.schools // 4 * APS_PER_4

    @property
    def devices(self) -> int:
        return self.schools // 4 * DEVICES_PER_4

    @property
    def tickets(self) -> int:
        return self.schools * 125 // 4

    @property
    def arranged_counties(self) -> int:
        return int(self.counties * ARRANGED_SHARE) // ARRANGEMENT_SIZE * ARRANGEMENT_SIZE

    @property
    def arrangements(self) -> int:
        return self.arranged_counties // ARRANGEMENT_SIZE

    @property
    def today(self) -> dt.date:
        """Today in Europe/Berlin: daily rollups are Berlin days."""
        return self.now.astimezone(BERLIN).date()

    def ticket_created(self, n: int) -> dt.datetime:
        return self.now - dt.timedelta(seconds=(self.tickets - n) * TICKET_STEP_SECONDS)

    def first_ticket_of_years(self) -> dict[int, int]:
        """Year -> the first ticket id created in it (UTC), for gap-free numbers per year."""
        first: dict[int, int] = {}
        year = self.ticket_created(1).year
        while year <= self.now.year:
            start = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
            behind = (self.now - start).total_seconds() // TICKET_STEP_SECONDS
            first[year] = max(1, self.tickets - int(behind))
            year += 1
        return first


# SQL expressions shared by the generators: which school an access point / device belongs to, and
# the first access point / device of a school.
def school_of(n: str, per_4: int, per_school: int) -> str:
    return f"(({n} - 1) / {per_4} * 4 + least((({n} - 1) % {per_4}) / {per_school}, 3) + 1)"


def index_in_school(n: str, per_4: int, per_school: int) -> str:
    return f"((({n} - 1) % {per_4}) - least((({n} - 1) % {per_4}) / {per_school}, 3) * {per_school})"


def first_of_school(s: str, per_4: int, per_school: int) -> str:
    return f"((({s} - 1) / 4) * {per_4} + (({s} - 1) % 4) * {per_school} + 1)"


def county_of(s: str) -> str:
    return f"(({s} - 1) / {SCHOOLS_PER_COUNTY} + 1)"


def school_net(s: str, host: str) -> str:
    """10.<s div 256>.<s mod 256>.<host>: each school's management /24."""
    return f"('10.' || ({s} >> 8) || '.' || ({s} & 255) || '.' || {host})"


def array(values: list[str]) -> str:
    return "(ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "])"


AP_SCHOOL = school_of("n", APS_PER_4, 31)
AP_INDEX = index_in_school("n", APS_PER_4, 31)
DEVICE_SCHOOL = school_of("n", DEVICES_PER_4, 156)
DEVICE_INDEX = index_in_school("n", DEVICES_PER_4, 156)
VENDORS = ["aruba", "cisco", "unifi", "lancom", "aerohive", "ruckus"]
MODELS = ["AP-515", "C9120AXI", "U6-Pro", "LX-6402", "AP650", "R650"]
PATRONS = ["Goethe", "Schiller", "Humboldt", "Kant", "Lessing", "Heinrich-Heine", "Eichendorff", "Sickingen",
           "Albert-Schweitzer", "Geschwister-Scholl", "Hildegard-von-Bingen", "Gutenberg", "Dürer", "Mozart",
           "Carl-Zeiss", "Sophie-Scherer", "Nikolaus-von-Weis", "Max-Slevogt", "Rudolf-Diesel", "Marie-Curie"]
SCHOOL_TYPES = ["realschule_plus", "realschule_plus", "realschule_plus", "gymnasium", "gymnasium", "igs", "igs",
                "bbs", "foerderschule", "other"]
TYPE_NAMES = ["Realschule plus", "Realschule plus", "Realschule plus", "Gymnasium", "Gymnasium", "IGS", "IGS",
              "Berufsbildende Schule", "Förderschule", "Schulzentrum"]
TYPE_PUPILS = [(350, 400), (350, 400), (350, 400), (700, 600), (700, 600), (800, 500), (800, 500), (1500, 2000),
               (90, 120), (300, 300)]
SUBJECTS = ["WLAN im Raum ausgefallen", "Internet sehr langsam", "Tablet startet nicht", "Beamer zeigt kein Bild",
            "Passwort zurücksetzen", "App lässt sich nicht installieren", "Drucker druckt nicht"]


def priority_case() -> str:
    """The default priority matrix as a SQL CASE over urgency and impact."""
    arms = [f"WHEN urgency = '{u}' AND impact = '{i}' THEN {p}" for u, row in DEFAULT_MATRIX.items()
            for i, p in row.items()]
    return "CASE " + " ".join(arms) + " ELSE 3 END"


def target_case(field_name: str) -> str:
    """Response or resolution business hours of a priority as a SQL CASE."""
    arms = [f"WHEN {int(p)} THEN {getattr(t, field_name)}" for p, t in DEFAULT_TARGETS.items()]
    return "CASE priority " + " ".join(arms) + " END"


@dataclass
class Step:
    """One table: chunked SQL (`{lo}`/`{hi}` bound per chunk) over ids 1..count, or a Python loader."""

    table: str
    count: int
    sql: str = ""
    chunk: int = 50_000
    load: Callable[[asyncpg.Connection], Any] | None = None
    label: str = ""
    seconds: float = 0.0
    rows: int = 0


def steps(plan: Plan, profile_secret: str, password_hash: str, categories: list[int]) -> list[Step]:
    now = f"'{plan.now.isoformat()}'::timestamptz"
    today = f"'{plan.today.isoformat()}'::date"
    supporter_ids = supporter_of_county_sql(plan)
    years = plan.first_ticket_of_years()
    number_base = "CASE yr " + " ".join(f"WHEN {y} THEN {f}" for y, f in years.items()) + " END"
    return [
        Step("county", plan.counties, load=lambda conn: load_counties(conn, plan)),
        Step("arrangement", plan.arrangements, load=lambda conn: load_arrangements(conn, plan)),
        Step("probe", plan.counties, load=lambda conn: load_probes(conn, plan)),
        Step("snmp_profile", plan.counties, sql=(
            "INSERT INTO snmp_profile (id, county_id, name, version, v3_user, auth_protocol, auth_key_encrypted, "
            "priv_protocol, priv_key_encrypted) "
            f"SELECT n, n, 'SNMPv3 Schulnetz', '3', 'schoolit', 'SHA-256', '{profile_secret}', 'AES', "
            f"'{profile_secret}' FROM generate_series({{lo}}, {{hi}}) AS n")),
        Step("school", plan.schools, chunk=8000, sql=(
            "INSERT INTO school (id, county_id, school_number, name, school_type, street, postal_code, city, pupils, "
            "management_prefix) "
            f"SELECT n, c.id, (10000 + n - 1)::text, {array(PATRONS)}[n % {len(PATRONS)} + 1] || '-' || "
            f"{array(TYPE_NAMES)}[n % 10 + 1] || ' ' || c.seat, {array(SCHOOL_TYPES)}[n % 10 + 1], "
            f"'Schulstraße ' || (n % 90 + 1), (54000 + c.id)::text, c.seat, "
            f"(ARRAY[{', '.join(str(p[0]) for p in TYPE_PUPILS)}])[n % 10 + 1] + (n * 37) % "
            f"(ARRAY[{', '.join(str(p[1]) for p in TYPE_PUPILS)}])[n % 10 + 1], "
            f"({school_net('n', '0')} || '/24')::cidr "
            f"FROM generate_series({{lo}}, {{hi}}) AS n JOIN county c ON c.id = {county_of('n')}")),
        Step("building", plan.schools * 2, chunk=64_000, sql=(
            "INSERT INTO building (id, county_id, school_id, name) "
            f"SELECT n, {county_of('(n + 1) / 2')}, (n + 1) / 2, "
            "CASE WHEN n % 2 = 1 THEN 'Hauptgebäude' ELSE 'Neubau' END FROM generate_series({lo}, {hi}) AS n")),
        Step("room", plan.schools * ROOMS_PER_SCHOOL, chunk=120_000, sql=(
            "INSERT INTO room (id, county_id, school_id, building_id, name, floor, is_teaching) "
            f"SELECT n, {county_of('s')}, s, (s - 1) * 2 + CASE WHEN k <= 18 THEN 1 ELSE 2 END, "
            "CASE WHEN k <= 18 THEN 'A ' ELSE 'B ' END || CASE WHEN k <= 26 THEN ((k - 1) % 18 / 6) || '.' || "
            "lpad(k::text, 2, '0') ELSE (ARRAY['Lehrerzimmer', 'Sekretariat', 'Serverraum', 'Bibliothek'])[k - 26] "
            "END, ((k - 1) % 18 / 6)::text, k <= 26 "
            f"FROM (SELECT n, (n - 1) / {ROOMS_PER_SCHOOL} + 1 AS s, (n - 1) % {ROOMS_PER_SCHOOL} + 1 AS k "
            "FROM generate_series({lo}, {hi}) AS n) AS r")),
        Step("uplink", plan.schools, chunk=16_000, sql=(
            "INSERT INTO uplink (id, county_id, school_id, provider, line_id, technology, down_mbps, up_mbps, status, "
            "live_since, contract_end, router_ip, router_if_index, snmp_profile_id) "
            f"SELECT s, {county_of('s')}, s, "
            "(ARRAY['Deutsche Telekom', 'Vodafone', 'inexio', 'Pfalzkom', '1&1 Versatel'])[s % 5 + 1], 'LN-' || s, "
            "(ARRAY['fttb','fttb','fttb','fttb','fttb','fttb','fttb','fttb','fttb','fttb','vdsl','vdsl','vdsl',"
            "'cable','cable','ftth','fttb','fttb','fttb'])[s % 20 + 1], "
            "(ARRAY[1000,1000,1000,1000,1000,1000,1000,1000,1000,1000,250,250,100,1000,500,500,1000,1000,1000])"
            "[s % 20 + 1], "
            "(ARRAY[1000,1000,1000,1000,1000,1000,1000,1000,1000,1000,40,40,40,50,50,500,1000,1000,1000])"
            "[s % 20 + 1], "
            "CASE WHEN s % 20 < 16 THEN 'live' WHEN s % 20 < 18 THEN 'planned' ELSE 'construction' END, "
            "CASE WHEN s % 20 < 16 THEN date '2021-06-01' + s % 1200 END, "
            "CASE WHEN s % 20 < 16 THEN date '2026-06-01' + s % 1200 END, "
            f"CASE WHEN s % 20 < 16 THEN {school_net('s', '1')}::inet END, CASE WHEN s % 20 < 16 THEN 1 END, "
            f"CASE WHEN s % 20 < 16 THEN {county_of('s')} END "
            "FROM generate_series({lo}, {hi}) AS s WHERE s % 20 <> 19")),
        Step("access_point", plan.access_points, chunk=100_000, sql=(
            "INSERT INTO access_point (id, county_id, school_id, room_id, name, vendor, model, serial, mac, "
            "management_ip, snmp_profile_id, status, installed_on, warranty_end, funding_programme, purchase_date, "
            "price_cents) "
            f"SELECT n, {county_of('s')}, s, (s - 1) * {ROOMS_PER_SCHOOL} + j % {ROOMS_PER_SCHOOL} + 1, "
            "'AP ' || lpad((j + 1)::text, 2, '0'), "
            f"{array(VENDORS)}[({county_of('s')} - 1) % 6 + 1], {array(MODELS)}[({county_of('s')} - 1) % 6 + 1], "
            "'AP' || lpad(n::text, 9, '0'), ('0200' || lpad(to_hex(n), 8, '0'))::macaddr, "
            f"{school_net('s', '(10 + j)')}::inet, {county_of('s')}, "
            "CASE WHEN s % 8 = 1 AND j BETWEEN 20 AND 25 THEN 'planned' WHEN n % 211 = 0 THEN 'retired' "
            "WHEN n % 97 = 0 THEN 'faulty' ELSE 'active' END, "
            "CASE WHEN NOT (s % 8 = 1 AND j BETWEEN 20 AND 25) THEN date '2021-03-01' + s % 900 END, "
            "CASE WHEN NOT (s % 8 = 1 AND j BETWEEN 20 AND 25) THEN date '2026-03-01' + s % 900 END, "
            "'digitalpakt_basis', date '2021-02-01' + s % 900, 45000 + n % 20000 "
            f"FROM (SELECT n, {AP_SCHOOL} AS s, {AP_INDEX} AS j FROM generate_series({{lo}}, {{hi}}) AS n) AS a")),
        Step("access_point_room", plan.access_points, chunk=100_000, sql=(
            "INSERT INTO access_point_room (county_id, access_point_id, room_id) "
            f"SELECT {county_of('s')}, n, (s - 1) * {ROOMS_PER_SCHOOL} + r "
            f"FROM (SELECT n, {AP_SCHOOL} AS s, {AP_INDEX} AS j FROM generate_series({{lo}}, {{hi}}) AS n) AS a "
            f"CROSS JOIN LATERAL (SELECT j % {ROOMS_PER_SCHOOL} + 1 AS r UNION ALL "
            f"SELECT j % {ROOMS_PER_SCHOOL} + 2 WHERE j % 3 = 0 AND j < 25) AS covered")),
        Step("device", plan.devices, chunk=250_000, sql=(
            "INSERT INTO device (id, county_id, school_id, kind, vendor, model, serial, asset_tag, mac, mdm_id, "
            "mdm_enrolled, funding_programme, purchase_date, price_cents, warranty_end, status, accessories) "
            f"SELECT n, {county_of('s')}, s, (ARRAY['tablet','laptop','convertible'])[CASE WHEN j % 10 < 6 THEN 1 "
            "WHEN j % 10 < 9 THEN 2 ELSE 3 END], (ARRAY['Apple','Lenovo','HP'])[CASE WHEN j % 10 < 6 THEN 1 "
            "WHEN j % 10 < 9 THEN 2 ELSE 3 END], (ARRAY['iPad (9. Generation)','ThinkPad L13','ProBook x360'])"
            "[CASE WHEN j % 10 < 6 THEN 1 WHEN j % 10 < 9 THEN 2 ELSE 3 END], 'DV' || lpad(n::text, 10, '0'), "
            "'INV-' || n, ('0600' || lpad(to_hex(n), 8, '0'))::macaddr, 'MDM-' || n, j % 20 <> 13, "
            "(ARRAY['digitalpakt_sofortausstattung','digitalpakt_2','county_budget'])[n % 3 + 1], "
            "date '2020-09-01' + n % 1200, 35000 + n % 30000, date '2023-09-01' + n % 1200, "
            "CASE WHEN j % 20 < 11 THEN 'lent' WHEN j % 20 = 11 THEN 'repair' WHEN j % 20 = 12 THEN 'lost' "
            "WHEN j % 20 = 13 THEN 'retired' ELSE 'stock' END, 'Hülle, Ladegerät' "
            f"FROM (SELECT n, {DEVICE_SCHOOL} AS s, {DEVICE_INDEX} AS j FROM generate_series({{lo}}, {{hi}}) AS n) "
            "AS d")),
        # Open loans of lent devices (2 % overdue) and one returned loan of the last school year for a
        # quarter of all devices; pupils appear only as the school's pseudonymous reference.
        Step("loan", plan.devices, chunk=250_000, sql=(
            "INSERT INTO loan (id, county_id, school_id, device_id, pupil_ref, class_name, lent_on, due_on, "
            "returned_on, condition_out, condition_in, agreement_signed) "
            f"SELECT l.id, {county_of('s')}, s, n, 'P-' || s || '-' || lpad(to_hex(l.id), 7, '0'), "
            "(5 + j % 9) || chr(97 + j % 4), l.lent_on, l.due_on, l.returned_on, 'gut', "
            "CASE WHEN l.returned_on IS NOT NULL THEN 'gut' ELSE '' END, true "
            f"FROM (SELECT n, {DEVICE_SCHOOL} AS s, {DEVICE_INDEX} AS j FROM generate_series({{lo}}, {{hi}}) AS n) "
            "AS d CROSS JOIN LATERAL ("
            f"  SELECT n AS id, CASE WHEN n % 50 = 0 THEN {today} - 330 - n % 60 ELSE {today} - 30 - n % 300 END "
            f"    AS lent_on, CASE WHEN n % 50 = 0 THEN {today} - 1 - n % 60 ELSE {today} + 240 END AS due_on, "
            "    NULL::date AS returned_on WHERE j % 20 < 11 "
            f"  UNION ALL SELECT {plan.devices} + n, {today} - 450 - n % 300 + 0, {today} - 120 - n % 300, "
            f"    {today} - 150 - n % 300 WHERE j % 4 = 0) AS l")),
        Step("app_user", 1, load=lambda conn: load_users(conn, plan, password_hash)),
        Step("ticket", plan.tickets, chunk=50_000, sql=(
            "INSERT INTO ticket (id, number, county_id, school_id, category_id, source, subject, description, "
            "urgency, impact, priority, status, assignee_id, reporter_email, reporter_name, tracking_hash, "
            "access_point_id, device_id, response_due_at, resolution_due_at, resolution_warn_at, first_response_at, "
            "sla_breached, worked_by_person, resolved_at, closed_at, created_at, updated_at) "
            "SELECT n, 'SIT-' || yr || '-' || lpad(seq::text, greatest(5, length(seq::text)), '0'), "
            f"{county_of('s')}, s, "
            f"CASE WHEN n % 10 = 0 THEN {categories[0]} WHEN n % 10 < 4 THEN {categories[2]} "
            f"ELSE {array([str(c) for c in categories])}[n % {len(categories)} + 1]::int END, "
            "(ARRAY['probe','web_form','web_form','web_form','web_form','web_form','ui','ui','ui','api'])[n % 10 + 1], "
            f"{array(SUBJECTS)}[n % {len(SUBJECTS)} + 1], 'Bitte prüfen.', urgency, impact, priority, st, "
            f"CASE WHEN st <> 'new' THEN {supporter_ids} END, 'it@' || (10000 + s - 1) || '.schule.example', "
            "'IT-Beauftragte', encode(sha256(('bench-ticket-' || n)::bytea), 'hex'), "
            f"CASE WHEN n % 10 = 0 THEN {first_of_school('s', APS_PER_4, 31)} + n % 31 END, "
            f"CASE WHEN n % 10 BETWEEN 1 AND 3 THEN {first_of_school('s', DEVICES_PER_4, 156)} + n % 156 END, "
            f"created + ({target_case('response_hours')}) * interval '150 minutes', due, "
            "created + (due - created) * 0.8, "
            "CASE WHEN st <> 'new' THEN created + (n % 8 + 1) * interval '30 minutes' END, "
            f" CASE WHEN st IN ('resolved', 'closed') THEN resolved > due ELSE due < {now} END, st <> 'new', "
            "CASE WHEN st IN ('resolved', 'closed') THEN resolved END, CASE WHEN st = 'closed' THEN resolved + "
            "interval '7 days' END, created, coalesce(CASE WHEN st = 'closed' THEN resolved + interval '7 days' "
            "WHEN st = 'resolved' THEN resolved END, created) "
            "FROM (SELECT *, CASE WHEN st IN ('resolved', 'closed') OR NOT open THEN "
            f"  created + ({target_case('resolution_hours')}) * interval '150 minutes' "
            f"  ELSE {now} + (n % 20 - 3) * interval '4 hours' END AS due FROM ("
            f"  SELECT *, {priority_case()} AS priority, CASE WHEN open THEN (ARRAY['new','assigned','in_progress',"
            f"    'waiting'])[n % 4 + 1] WHEN resolved > {now} - interval '7 days' THEN 'resolved' ELSE 'closed' END "
            "    AS st FROM ("
            "    SELECT n, s, created, yr, n - " + number_base + " + 1 AS seq, "
            "      (ARRAY['low','medium','medium','high'])[n % 4 + 1] AS urgency, "
            "      (ARRAY['medium','low','high','medium','medium'])[n % 5 + 1] AS impact, "
            f"      ({plan.tickets} - n < {plan.tickets * 3 // 50} AND n % 5 <> 0) OR n % 1000 = 7 AS open, "
            f"      created + least((2 + n % 70) * interval '1 hour', ({now} - created) / 2) AS resolved "
            f"    FROM (SELECT n, ((n::bigint * 7919) % {plan.schools})::int + 1 AS s, "
            f"      {now} - ({plan.tickets} - n) * interval '{TICKET_STEP_SECONDS} seconds' AS created "
            "      FROM generate_series({lo}, {hi}) AS n) AS base0 "
            "      CROSS JOIN LATERAL (SELECT extract(year FROM created AT TIME ZONE 'UTC')::int AS yr) AS y"
            "    ) AS t1) AS t2) AS t3")),
        Step("ticket_counter", 1, load=lambda conn: load_ticket_counters(conn, plan)),
        Step("ticket_event", plan.tickets, chunk=50_000, sql=(
            "INSERT INTO ticket_event (ticket_id, county_id, at, kind, public, actor_id, actor_label, body, data) "
            "SELECT t.id, t.county_id, e.at, e.kind, e.public, e.actor, e.label, e.body, e.data::jsonb FROM ticket t "
            "CROSS JOIN LATERAL (VALUES "
            "  (t.created_at, 'created', true, NULL::int, t.reporter_name, t.description, NULL::text), "
            "  (t.first_response_at, 'assignment', false, t.assignee_id, 'Support', '', "
            "   '{{\"from\": null, \"to\": ' || t.assignee_id || '}}'), "
            "  (t.first_response_at + interval '1 minute', CASE WHEN t.id % 2 = 0 THEN 'comment' END, true, "
            "   t.assignee_id, 'Support', 'Wir kümmern uns darum.', NULL), "
            "  (t.resolved_at, 'status', true, t.assignee_id, 'Support', '', "
            "   '{{\"from\": \"in_progress\", \"to\": \"resolved\"}}'), "
            "  (t.closed_at, 'status', true, NULL, 'System', '', '{{\"from\": \"resolved\", \"to\": \"closed\"}}')"
            ") AS e(at, kind, public, actor, label, body, data) "
            "WHERE t.id BETWEEN {lo} AND {hi} AND e.at IS NOT NULL AND e.kind IS NOT NULL")),
        Step("time_entry", plan.tickets, chunk=50_000, sql=(
            "INSERT INTO time_entry (ticket_id, county_id, user_id, minutes, worked_on, note, created_at) "
            "SELECT t.id, t.county_id, t.assignee_id, 15 + (t.id * 7 + k * 13) % 105, "
            "(coalesce(t.resolved_at, t.first_response_at) AT TIME ZONE 'Europe/Berlin')::date, '', "
            "coalesce(t.resolved_at, t.first_response_at) FROM ticket t CROSS JOIN generate_series(1, 2) AS k "
            "WHERE t.id BETWEEN {lo} AND {hi} AND t.assignee_id IS NOT NULL AND (k = 1 OR t.id % 3 = 0)")),
        # Access points that are polled (not planned, not retired) and the live uplinks.
        Step("probe_asset_state", plan.access_points, chunk=100_000, label="probe_asset_state (access points)", sql=(
            f"INSERT INTO probe_asset_state ({STATE_COLUMNS}) "
            f"SELECT 1, n, {county_of('s')}, s, {county_of('s')}, {now} - (n % 240) * interval '1 second', up, "
            f"CASE WHEN up THEN 0 ELSE 3 + n % 20 END, CASE WHEN NOT up THEN {now} - (n % 72) * interval '1 hour' END, "
            f"CASE WHEN up THEN {now} - (n % 240) * interval '1 second' ELSE {now} - (n % 72 + 1) * interval '1 hour' "
            "END, CASE WHEN up THEN 100 * 3600 * (n % 500) END, n % 5, "
            f"CASE WHEN n % 5 > 0 THEN {now} - (n % 500) * interval '1 hour' END, CASE WHEN up THEN 5 + n % 30 END, "
            "CASE WHEN up THEN true END, NULL, NULL, NULL, NULL, NULL "
            f"FROM (SELECT n, {AP_SCHOOL} AS s, n % 97 <> 0 AND n % 50 <> 0 AS up "
            f"FROM generate_series({{lo}}, {{hi}}) AS n WHERE {POLLED_AP}) AS a")),
        Step("probe_asset_state", plan.schools, chunk=100_000, label="probe_asset_state (uplinks)", sql=(
            f"INSERT INTO probe_asset_state ({STATE_COLUMNS}) "
            f"SELECT 2, u.id, u.county_id, u.school_id, u.county_id, {now} - (u.id % 240) * interval '1 second', "
            f"u.id % 97 <> 0, CASE WHEN u.id % 97 <> 0 THEN 0 ELSE 5 END, CASE WHEN u.id % 97 = 0 THEN "
            f"{now} - interval '25 minutes' END, {now} - (u.id % 240) * interval '1 second', "
            "100 * 3600 * (u.id % 900), "
            "u.id % 3, NULL, NULL, NULL, (u.id::numeric * 1e9)::numeric(20), (u.id::numeric * 2e8)::numeric(20), "
            "u.down_mbps * (0.10 + (u.id % 20) / 100.0), u.up_mbps * (0.05 + (u.id % 10) / 100.0), "
            "0.10 + (u.id % 20) / 100.0 FROM uplink u "
            "WHERE u.status = 'live' AND u.id BETWEEN {lo} AND {hi}")),
        *rollup_steps(plan),
    ]


STATE_COLUMNS = ("asset_kind, asset_id, county_id, school_id, probe_id, last_polled_at, reachable, "
                 "consecutive_failures, down_since, last_up_at, uptime_ticks, reboots, last_reboot_at, clients, "
                 "radio_up, in_octets, out_octets, in_mbps, out_mbps, utilisation")
POLLED_AP = f"n % 211 <> 0 AND NOT ({AP_SCHOOL} % 8 = 1 AND {AP_INDEX} BETWEEN 20 AND 25)"
ROLLUP_COLUMNS = ("samples, up_samples, clients_sum, clients_max, rate_samples, in_mbps_sum, out_mbps_sum, "
                  "in_mbps_max, out_mbps_max, utilisation_max")


def rollup_steps(plan: Plan) -> list[Step]:
    """Daily rollups for 30 days and hourly ones for the kept window, of polled access points and live
    uplinks: 5-minute polls, so 288 samples a day and 12 an hour (fewer in the current day and hour).
    As derivation keeps them: the 29 finished days in `probe_rollup_daily`, the finished hours in
    `probe_rollup_hourly`, today and the current hour in each asset's state row."""
    aps = (f"(SELECT n, {AP_SCHOOL} AS school, NULL::int AS down_mbps, NULL::int AS up_mbps "
           f"FROM generate_series({{lo}}, {{hi}}) AS n WHERE {POLLED_AP}) AS a")
    uplinks = ("(SELECT id AS n, school_id AS school, down_mbps, up_mbps FROM uplink "
               "WHERE status = 'live' AND id BETWEEN {lo} AND {hi}) AS a")
    ap_figures = "(5 + n % 30) * smp, CASE WHEN up > 0 THEN 10 + n % 40 END, 0, 0, 0, NULL, NULL, NULL"
    uplink_figures = ("0, NULL, smp, smp * down_mbps * (0.10 + (n % 20) / 100.0), "
                      "smp * up_mbps * (0.05 + (n % 10) / 100.0), down_mbps * (0.40 + (n % 50) / 100.0), "
                      "up_mbps * (0.20 + (n % 40) / 100.0), 0.40 + (n % 50) / 100.0")
    berlin_now = plan.now.astimezone(BERLIN)
    samples_today = int((berlin_now - dt.datetime.combine(plan.today, dt.time(), BERLIN)).total_seconds() // 300)
    hour_now = plan.now.replace(minute=0, second=0)
    samples_this_hour = plan.now.minute // 5

    def rows(column: str, source: str, first: dt.date | dt.datetime, periods: int, last_samples: int,
             full: int, figures: str, kind: int) -> str:
        step = "k" if column == "day" else "k * interval '1 hour'"
        first_sql = f"'{first.isoformat()}'::{'date' if column == 'day' else 'timestamptz'}"
        # Access points 97, 194, … are faulty (down the last 3 periods); some others lose half a day a week.
        up = (f"CASE WHEN {kind} = 1 AND n % 97 = 0 AND k >= {periods - 3} THEN 0 "
              "WHEN n % 13 = 0 AND k % 7 = 3 THEN smp / 2 ELSE smp END")
        return (f"SELECT {kind}, n, p, {county_of('school')}, school, smp, up, {figures} FROM ("
                f"  SELECT g.*, {up} AS up FROM ("
                f"    SELECT a.*, k, {first_sql} + {step} AS p, "
                f"      CASE WHEN k = {periods - 1} THEN {last_samples} ELSE {full} END AS smp "
                f"    FROM {source} CROSS JOIN generate_series(0, {periods - 1}) AS k) AS g WHERE smp > 0) AS h")

    def sql(table: str, column: str, *args: Any) -> str:
        """Rows of finished periods into their table."""
        return (f"INSERT INTO {table} (asset_kind, asset_id, {column}, county_id, school_id, {ROLLUP_COLUMNS}) "
                + rows(column, *args))

    def open_sql(column: str, *args: Any) -> str:
        """The open period (today, this hour) into the state rows, where derivation keeps it."""
        period, key = ("day", "day") if column == "day" else ("hour", "hour_at")
        figures = ROLLUP_COLUMNS.split(", ")
        types = ("int", "int", "bigint", "int", "int", "real", "real", "real", "real", "real")
        return (f"UPDATE probe_asset_state st SET {key} = o.p, "  # (a NULL of the subquery is text: cast)
                + ", ".join(f"{period}_{name} = o.{name}::{kind}" for name, kind in zip(figures, types, strict=True))
                + f" FROM ({rows(column, *args)}) AS o(asset_kind, asset_id, p, county_id, school_id, "
                f"{ROLLUP_COLUMNS}) WHERE st.asset_kind = o.asset_kind AND st.asset_id = o.asset_id")

    first_day = plan.today - dt.timedelta(days=DAILY_DAYS - 1)
    finished = DAILY_DAYS - 1
    ap_from = dt.datetime.combine(plan.now.date() - dt.timedelta(days=AP_HOURLY_DAYS), dt.time(), dt.UTC)
    uplink_from = dt.datetime.combine(plan.now.date() - dt.timedelta(days=UPLINK_HOURLY_DAYS), dt.time(), dt.UTC)

    def hours(start: dt.datetime) -> int:
        return int((hour_now - start).total_seconds() // 3600) + 1

    return [
        Step("probe_rollup_daily", plan.access_points, chunk=25_000, label="probe_rollup_daily (access points)",
             sql=sql("probe_rollup_daily", "day", aps, first_day, finished, 288, 288, ap_figures, 1)),
        Step("probe_rollup_daily", plan.schools, chunk=4000, label="probe_rollup_daily (uplinks)",
             sql=sql("probe_rollup_daily", "day", uplinks, first_day, finished, 288, 288, uplink_figures, 2)),
        Step("probe_rollup_hourly", plan.access_points, chunk=25_000, label="probe_rollup_hourly (access points)",
             sql=sql("probe_rollup_hourly", "hour", aps, ap_from, hours(ap_from) - 1, 12, 12, ap_figures, 1)),
        Step("probe_rollup_hourly", plan.schools, chunk=4000, label="probe_rollup_hourly (uplinks)",
             sql=sql("probe_rollup_hourly", "hour", uplinks, uplink_from, hours(uplink_from) - 1, 12, 12,
                     uplink_figures, 2)),
        Step("probe_asset_state", plan.access_points, chunk=25_000, label="today's rollups (access points)",
             sql=open_sql("day", aps, plan.today, 1, samples_today, 288, ap_figures, 1)),
        Step("probe_asset_state", plan.schools, chunk=4000, label="today's rollups (uplinks)",
             sql=open_sql("day", uplinks, plan.today, 1, samples_today, 288, uplink_figures, 2)),
        Step("probe_asset_state", plan.access_points, chunk=25_000, label="this hour's rollups (access points)",
             sql=open_sql("hour", aps, hour_now, 1, samples_this_hour, 12, ap_figures, 1)),
        Step("probe_asset_state", plan.schools, chunk=4000, label="this hour's rollups (uplinks)",
             sql=open_sql("hour", uplinks, hour_now, 1, samples_this_hour, 12, uplink_figures, 2)),
    ]


def supporter_of_county_sql(plan: Plan) -> str:
    """The user id of a supporter responsible for county `county_of(s)` (see `load_users`)."""
    county = county_of("s")
    first_supporter = 2 + plan.counties
    lone = first_supporter + plan.arrangements * 2
    return (f"CASE WHEN {county} <= {plan.arranged_counties} "
            f"THEN {first_supporter} + ({county} - 1) / {ARRANGEMENT_SIZE} * 2 + n % 2 "
            f"ELSE {lone} + {county} - {plan.arranged_counties} - 1 END")


def county_rows(plan: Plan) -> list[tuple[Any, ...]]:
    rows = []
    for i, seat in enumerate(county_names(plan.counties)):
        rows.append((i + 1, f"Landkreis {seat}", slugify(seat), "RP", f"{10000 + i * 7:05d}", seat))
    return rows


async def load_counties(conn: asyncpg.Connection, plan: Plan) -> int:
    rows = county_rows(plan)
    await conn.copy_records_to_table("county", records=rows, columns=["id", "name", "slug", "state", "ags", "seat"])
    return len(rows)


async def load_arrangements(conn: asyncpg.Connection, plan: Plan) -> int:
    """Groups of three neighbouring counties share a team; the first of each group leads (and pays)."""
    names = county_names(plan.counties)
    arrangements = [(a + 1, "Schul-IT " + "–".join(names[a * 3:a * 3 + 3]), f"schul-it-{a + 1}", a * 3 + 1)
                    for a in range(plan.arrangements)]
    members = [(c + 1, c // ARRANGEMENT_SIZE + 1, c + 1) for c in range(plan.arranged_counties)]
    await conn.copy_records_to_table("arrangement", records=arrangements,
                                     columns=["id", "name", "slug", "lead_county_id"])
    await conn.copy_records_to_table("arrangement_member", records=members,
                                     columns=["id", "arrangement_id", "county_id"])
    return len(arrangements) + len(members)


async def load_probes(conn: asyncpg.Connection, plan: Plan) -> int:
    rows = [(c, f"Zentrale Probe {name}", c) for c, name in enumerate(county_names(plan.counties), start=1)]
    await conn.copy_records_to_table("probe", records=rows, columns=["id", "name", "county_id"])
    return len(rows)


def user_rows(plan: Plan, password_hash: str) -> list[tuple[Any, ...]]:
    """Admin (id 1), an authority per county (2…), two supporters per arrangement, one supporter per
    county outside an arrangement — the ids `supporter_of_county_sql` relies on."""
    rows: list[tuple[Any, ...]] = [(1, "admin@bench.example", "Bench Admin", "admin", None, None)]
    slugs = [slugify(name) for name in county_names(plan.counties)]
    rows += [(1 + c, f"authority-{slug}@bench.example", f"Schulträger {slug}", "authority", c, None)
             for c, slug in enumerate(slugs, start=1)]
    for a in range(1, plan.arrangements + 1):
        for i in (1, 2):
            rows.append((len(rows) + 1, f"supporter-{a}-{i}@bench.example", f"Support {a}/{i}", "supporter", None, a))
    for c in range(plan.arranged_counties + 1, plan.counties + 1):
        rows.append((len(rows) + 1, f"supporter-{slugs[c - 1]}@bench.example", f"Support {slugs[c - 1]}", "supporter",
                     c, None))
    return [(*row, password_hash) for row in rows]


async def load_users(conn: asyncpg.Connection, plan: Plan, password_hash: str) -> int:
    rows = user_rows(plan, password_hash)
    await conn.copy_records_to_table("app_user", records=rows, columns=[
        "id", "email", "display_name", "role", "county_id", "arrangement_id", "password_hash"])
    return len(rows)


async def load_ticket_counters(conn: asyncpg.Connection, plan: Plan) -> int:
    """The per-year counters at the last number used, so tickets made later continue without a clash."""
    rows = await conn.fetch("SELECT split_part(number, '-', 2)::int AS year, "
                            "max(split_part(number, '-', 3)::int) AS last FROM ticket GROUP BY 1")
    await conn.executemany("INSERT INTO ticket_counter (year, last_value) VALUES ($1, $2) "
                           "ON CONFLICT (year) DO UPDATE SET last_value = excluded.last_value",
                           [(r["year"], r["last"]) for r in rows])
    return len(rows)


@dataclass
class Dropped:
    """Secondary indexes and constraints of one table, as their own definitions, to restore exactly."""

    table: str
    indexes: list[str] = field(default_factory=list)
    uniques: list[tuple[str, str]] = field(default_factory=list)
    foreign_keys: list[tuple[str, str]] = field(default_factory=list)


async def drop_for_loading(conn: asyncpg.Connection, table: str) -> Dropped:
    """Drop what slows bulk loading: secondary indexes, unique constraints no foreign key relies on, and
    foreign keys. Primary keys, CHECKs and unique constraints that foreign keys use stay."""
    dropped = Dropped(table)
    for row in await conn.fetch(
            "SELECT conname, pg_get_constraintdef(oid) AS definition, contype FROM pg_constraint "
            "WHERE conrelid = $1::regclass AND (contype = 'f' OR (contype = 'u' AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = pg_constraint.conindid)))",
            table):
        (dropped.foreign_keys if row["contype"] == "f" else dropped.uniques).append(
            (row["conname"], row["definition"]))
        await conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{row["conname"]}"')
    for row in await conn.fetch(
            "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition "
            "FROM pg_index i WHERE i.indrelid = $1::regclass AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", table):
        dropped.indexes.append(row["definition"])
        await conn.execute(f"DROP INDEX {row['name']}")
    return dropped


async def restore(conn: asyncpg.Connection, dropped: Dropped) -> None:
    for definition in dropped.indexes:
        await conn.execute(definition)
    for name, definition in dropped.uniques + dropped.foreign_keys:
        await conn.execute(f'ALTER TABLE {dropped.table} ADD CONSTRAINT "{name}" {definition}')


BULK_TABLES = ("room", "access_point", "access_point_room", "device", "loan", "ticket", "ticket_event", "time_entry",
               "probe_asset_state", "probe_rollup_daily", "probe_rollup_hourly")
SESSION = ("SET synchronous_commit = off", "SET maintenance_work_mem = '1GB'", "SET work_mem = '256MB'")


async def run_step(pool: asyncpg.Pool, step: Step, progress: Progress, workers: int) -> None:
    task = progress.add_task(step.label or step.table, total=step.count)
    started = time.perf_counter()
    if step.load is not None:
        async with pool.acquire() as conn:
            step.rows = await step.load(conn)
        progress.update(task, completed=step.count)
    else:
        chunks: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
        for lo in range(1, step.count + 1, step.chunk):
            chunks.put_nowait((lo, min(lo + step.chunk - 1, step.count)))

        async def worker() -> None:
            async with pool.acquire() as conn:
                while not chunks.empty():
                    lo, hi = chunks.get_nowait()
                    status = await conn.execute(step.sql.format(lo=lo, hi=hi))
                    step.rows += int(status.split()[-1])
                    progress.advance(task, hi - lo + 1)

        await asyncio.gather(*(worker() for _ in range(workers)))
    step.seconds = time.perf_counter() - started


@contextlib.asynccontextmanager
async def bench_database(keep: bool) -> AsyncIterator[tuple[str, bool]]:
    """(DSN of the bench database, whether it already holds a dataset), on DATABASE_URL's server or in
    the embedded cluster under bench/out/pg (stopped on exit)."""
    url = os.environ.get("DATABASE_URL")
    server = None
    if url:
        admin_dsn = url
        parts = urlsplit(url)
        dsn = urlunsplit(parts._replace(path="/" + DATABASE))
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver

            CLUSTER_DIR.parent.mkdir(parents=True, exist_ok=True)
            server = pgserver.get_server(CLUSTER_DIR, cleanup_mode="stop")
        admin_dsn = str(server.get_uri())
        dsn = str(server.get_uri(DATABASE))
    try:
        conn = await asyncpg.connect(admin_dsn)
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
            if exists and not keep:
                await conn.execute(f"DROP DATABASE {DATABASE} WITH (FORCE)")
            if not exists or not keep:
                await conn.execute(f"CREATE DATABASE {DATABASE}")
            if server is not None:
                # Our own cluster: fewer checkpoints during the load, a cache that holds the hot indexes.
                await conn.execute("ALTER SYSTEM SET max_wal_size = '16GB'")
                await conn.execute("ALTER SYSTEM SET checkpoint_timeout = '30min'")
                await conn.execute("ALTER SYSTEM SET shared_buffers = '2GB'")
        finally:
            await conn.close()
        if server is not None:
            server = restart(server)
        filled = False
        if exists and keep:
            conn = await asyncpg.connect(dsn)
            try:
                filled = bool(await conn.fetchval("SELECT to_regclass('ticket') IS NOT NULL "
                                                  "AND EXISTS (SELECT 1 FROM ticket)"))
            finally:
                await conn.close()
        yield dsn, filled
    finally:
        if server is not None:
            server.cleanup()


def restart(server: Any) -> Any:
    """Stop and start the embedded cluster (shared_buffers takes effect only at start)."""
    import pgserver

    server.cleanup()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pgserver.get_server(CLUSTER_DIR, cleanup_mode="stop")


async def migrate(dsn: str) -> None:
    from schoolit.db import DB
    from schoolit.migrations import apply_migrations

    DB.config = {"dsn": dsn}
    await apply_migrations()


def secrets_for_bench() -> tuple[str, str]:
    """An encrypted SNMP secret (with the bench's SECRET_KEY) and the users' password hash."""
    os.environ["SECRET_KEY"] = BENCH_SECRET_KEY
    from schoolit.accounts.security import hash_password
    from schoolit.inventory.secrets import encrypt
    from schoolit.settings import get_settings

    get_settings.cache_clear()
    secret = encrypt("bench-snmp-secret-0123456789")
    assert secret is not None
    return secret, hash_password(BENCH_PASSWORD)


async def generate(dsn: str, plan: Plan, console: Console, workers: int) -> list[Step]:
    await migrate(dsn)
    profile_secret, password_hash = secrets_for_bench()
    pool = await asyncpg.create_pool(dsn, min_size=workers + 1, max_size=workers + 1, init=init_session)
    assert pool is not None
    try:
        async with pool.acquire() as conn:
            categories = [r["id"] for r in await conn.fetch("SELECT id FROM ticket_category ORDER BY position")]
            dropped = {table: await drop_for_loading(conn, table) for table in BULK_TABLES}
        work = steps(plan, profile_secret, password_hash, categories)
        last_of_table = {step.table: step for step in work}
        restores: list[asyncio.Task[None]] = []
        with Progress(TextColumn("{task.description:<38}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            for step in work:
                await run_step(pool, step, progress, workers)
                if step.table in dropped and last_of_table[step.table] is step:
                    restores.append(asyncio.create_task(timed_restore(pool, dropped[step.table], step, progress)))
                    # Restoring runs beside the next table's load: index builds and inserts share the cores.
                    if len(restores) > 1:
                        await restores.pop(0)
            await asyncio.gather(*restores)
            extra = Step("sequences, VACUUM ANALYZE", 1, label="sequences, VACUUM ANALYZE")
            task = progress.add_task(extra.label, total=1)
            started = time.perf_counter()
            async with pool.acquire() as conn:
                await set_sequences(conn)
                # As autovacuum keeps a database in use: the dead rows of the state's two updates above gone
                # (autovacuum otherwise cleans them during the first benchmark), visibility maps set.
                await conn.execute("VACUUM (ANALYZE)")
            extra.seconds = time.perf_counter() - started
            progress.update(task, completed=1)
        return [*work, extra]
    finally:
        await pool.close()


async def init_session(conn: asyncpg.Connection) -> None:
    for statement in SESSION:
        await conn.execute(statement)


async def timed_restore(pool: asyncpg.Pool, dropped: Dropped, step: Step, progress: Progress) -> None:
    """Recreate a table's indexes and constraints; the time counts to the table's last step."""
    task = progress.add_task(f"  indexes and keys of {dropped.table}", total=1)
    started = time.perf_counter()
    async with pool.acquire() as conn:
        await restore(conn, dropped)
    step.seconds += time.perf_counter() - started
    progress.update(task, completed=1)


async def set_sequences(conn: asyncpg.Connection) -> None:
    """Serial sequences past the explicit ids, so rows made later by the app get fresh ones."""
    rows = await conn.fetch(
        "SELECT table_name, pg_get_serial_sequence(table_name::text, 'id') AS seq FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'id' AND column_default LIKE 'nextval(%'")
    for row in rows:
        await conn.execute(f"SELECT setval('{row['seq']}', coalesce((SELECT max(id) FROM {row['table_name']}), 0) + 1, "
                           "false)")


async def report(dsn: str, work: list[Step], total: float, console: Console) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        size = await conn.fetchval("SELECT pg_database_size(current_database())")
        sizes = {r["relname"]: r["size"] for r in await conn.fetch(
            "SELECT relname, pg_total_relation_size(oid) AS size FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")}
    finally:
        await conn.close()
    console.print(f"{'table':<38} {'rows':>12} {'seconds':>9} {'size':>10}")
    for step in work:
        label = step.label or step.table
        table_size = sizes.get(step.table) if step.label in ("", step.table) else None
        console.print(f"{label:<38} {step.rows:>12,} {step.seconds:>9.1f} "
                      f"{'' if table_size is None else f'{table_size / 2**30:>8.2f} GiB'}")
    for table in ("probe_rollup_daily", "probe_rollup_hourly", "probe_asset_state"):
        console.print(f"{table:<38} {'':>12} {'':>9} {sizes.get(table, 0) / 2**30:>6.2f} GiB")
    console.print(f"total {total / 60:.1f} min (target under 15 min); database size {size / 2**30:.2f} GiB "
                  "(target under 20 GiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=400, help="80 schools each (default 400: 32,000 schools)")
    parser.add_argument("--keep", action="store_true", help="reuse the database when it already holds a dataset")
    parser.add_argument("--workers", type=int, default=2, help="connections loading in parallel")
    args = parser.parse_args()
    console = Console()
    plan = Plan(args.counties)
    console.print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
                  f"load average {os.getloadavg()[0]:.2f}; {plan.counties} counties, {plan.schools:,} schools, "
                  f"{plan.access_points:,} access points, {plan.devices:,} devices, {plan.tickets:,} tickets")

    async def run() -> None:
        async with bench_database(args.keep) as (dsn, filled):
            if filled:
                # Migrations that came since (e.g. after `git merge main`) still apply to the kept data.
                await migrate(dsn)
                console.print(f"keeping the dataset in {DATABASE} (migrated)")
                return
            started = time.perf_counter()
            work = await generate(dsn, plan, console, args.workers)
            await report(dsn, work, time.perf_counter() - started, console)
        console.print(f"load average {os.getloadavg()[0]:.2f}")

    asyncio.run(run())


if __name__ == "__main__":
    main()
