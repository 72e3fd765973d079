"""Dashboard figures: per school of a county, the county's totals, an arrangement's counties side by side,
the open-data extract, and a school's network section.

Read-only over the other domains, with their definitions (gigabit symmetric, planned and live coverage,
devices in service, overdue loans, availability, the cost split). Figures are computed set-based for all
schools of the counties asked for — a handful of queries grouped by school, never one query per school —
so the arrangement dashboard and the open-data export use the very same queries as the county page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from schoolit.accounts.choices import Permission
from schoolit.accounts.scope import Scope
from schoolit.dashboards import exporting
from schoolit.dashboards.choices import (
    AVAILABILITY_DAYS,
    LICENCE_ID,
    LICENCE_NAME,
    LICENCE_URL,
    LIGHT_ORDER,
    RESOLUTION_DAYS,
    SPARKLINE_DAYS,
    UTILISATION_DAYS,
    UplinkLine,
    availability_light,
    best_live_uplink,
    coverage_light,
    devices_light,
    devices_per_pupil,
    uplink_light,
    utilisation_light,
)
from schoolit.dashboards.schemas import (
    ArrangementDashboard,
    CostShare,
    CountyDashboard,
    CountyTotals,
    DashboardLink,
    MemberCounty,
    OpenData,
    OpenDataSchool,
    SchoolFigures,
)
from schoolit.db import fetch
from schoolit.errors import NotFound
from schoolit.inventory.choices import UplinkStatus
from schoolit.inventory.services import AP_COVERS_AS_PLANNED, DEVICES_IN_SERVICE, LOAN_OPEN, LOAN_OVERDUE
from schoolit.probes import figures
from schoolit.probes.choices import AssetKind
from schoolit.tickets import reports
from schoolit.tickets.choices import OPEN_STATUSES

BERLIN = ZoneInfo("Europe/Berlin")
OPEN = [s.value for s in OPEN_STATUSES]
# How far along a line is, for showing the status of a school without a live line.
_STATUS_STEP = {UplinkStatus.PLANNED.value: 1, UplinkStatus.ORDERED.value: 2, UplinkStatus.CONSTRUCTION.value: 3,
                UplinkStatus.LIVE.value: 4}
LIGHT_KINDS = ("uplink", "coverage", "devices", "availability", "utilisation")

# --- set-based figures per school of a list of counties --------------------------------------------
# The SQL below is built from other modules' constants only; every value is a bound parameter.

_SCHOOLS = ("SELECT id, county_id, school_number, name, school_type, pupils FROM school "
            "WHERE county_id = ANY({}) ORDER BY name, id")
_UPLINKS = ("SELECT school_id, status, down_mbps, up_mbps FROM uplink WHERE county_id = ANY({}) "
            "AND status <> 'terminated'")
# Per teaching room whether an access point covers it as planned and with working WLAN (the inventory's and
# the probes' conditions), as joins restricted to the counties rather than a subquery per room. (The county
# conditions on the joined tables are implied — their rows carry their room's county — but let the planner
# read only the counties' rows through their county_id indexes.)
_ROOMS = (
    "SELECT school_id, count(*) AS teaching, count(*) FILTER (WHERE planned) AS planned, "  # noqa: S608 (constants)
    "count(*) FILTER (WHERE live) AS live, "
    "coalesce(array_agg(name ORDER BY name) FILTER (WHERE NOT live), ARRAY[]::text[]) AS without_wlan "
    f"FROM (SELECT r.school_id, r.name, coalesce(bool_or({AP_COVERS_AS_PLANNED}), false) AS planned, "
    f"      coalesce(bool_or({figures.AP_COVERS_LIVE}), false) AS live "
    "      FROM room r "
    "      LEFT JOIN access_point_room ar ON ar.room_id = r.id AND ar.county_id = ANY({}) "
    "      LEFT JOIN access_point a ON a.id = ar.access_point_id AND a.county_id = ANY({}) "
    # The state rows restricted by county too: for several counties (an arrangement) the planner otherwise
    # hashes all ~1,000,000 state rows of the country (190 of 340 ms, bench/pages.py).
    f"     LEFT JOIN probe_asset_state s ON s.asset_kind = {int(AssetKind.ACCESS_POINT)} AND s.asset_id = a.id "
    "      AND s.county_id = ANY({}) "
    "      WHERE r.county_id = ANY({}) AND r.is_teaching GROUP BY r.id, r.school_id, r.name) AS rooms "
    "GROUP BY school_id")
_DEVICES = ("SELECT school_id, count(*) AS available FROM device WHERE county_id = ANY({}) AND status = ANY({}) "
            "GROUP BY school_id")
_LOANS = (f"SELECT l.school_id, count(*) AS open, count(*) FILTER (WHERE {LOAN_OVERDUE}) AS overdue "  # noqa: S608
          f"FROM loan l WHERE l.county_id = ANY({{}}) AND {LOAN_OPEN} GROUP BY l.school_id")
_ROLLUPS = (f"SELECT school_id, asset_kind, {figures.SHARE} AS share, sum(up_samples)::bigint AS up, "  # noqa: S608
            "sum(samples)::bigint AS samples, max(utilisation_max) AS peak FROM probe_rollup_days "
            f"WHERE county_id = ANY({{}}) AND {figures.DAYS_WINDOW} GROUP BY school_id, asset_kind")
# Per school and per county (GROUPING SETS): the county's median is over its tickets, not of the medians.
_TICKETS = (
    "SELECT county_id, school_id, GROUPING(school_id) AS county_row, "
    "count(*) FILTER (WHERE status = ANY({})) AS open, "
    "count(*) FILTER (WHERE status = ANY({}) AND sla_breached) AS breaching, "
    "count(*) FILTER (WHERE resolved_at >= {}) AS resolved, "
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - created_at)) "
    "  FILTER (WHERE resolved_at >= {}) AS median_seconds "
    "FROM ticket WHERE county_id = ANY({}) AND (status = ANY({}) OR resolved_at >= {}) "
    "GROUP BY GROUPING SETS ((county_id, school_id), (county_id))")


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


async def _figures(county_ids: Sequence[int], now: dt.datetime) -> dict[int, tuple[list[SchoolFigures], CountyTotals]]:
    """Rows and totals of every county in `county_ids` (the caller has checked the scope)."""
    ids = sorted(county_ids)
    today = now.astimezone(BERLIN).date()
    since = now - dt.timedelta(days=RESOLUTION_DAYS)
    schools = await fetch(_SCHOOLS, ids)
    uplinks: dict[int, list[UplinkLine]] = defaultdict(list)
    for row in await fetch(_UPLINKS, ids):
        uplinks[row["school_id"]].append(UplinkLine(row["status"], row["down_mbps"], row["up_mbps"]))
    rooms = {r["school_id"]: r for r in await fetch(_ROOMS, now - figures.STALE_AFTER, ids, ids, ids, ids)}
    devices = {r["school_id"]: r["available"] for r in await fetch(_DEVICES, ids, list(DEVICES_IN_SERVICE))}
    loans = {r["school_id"]: r for r in await fetch(_LOANS, today, ids)}
    rollups: dict[tuple[int, int], dict[str, Any]] = {
        (r["school_id"], r["asset_kind"]): r
        for r in await fetch(_ROLLUPS, ids, now, max(AVAILABILITY_DAYS, UTILISATION_DAYS))}
    tickets: dict[tuple[int, int | None], dict[str, Any]] = {
        (r["county_id"], None if r["county_row"] else r["school_id"]): r
        for r in await fetch(_TICKETS, OPEN, OPEN, since, since, ids, OPEN, since)}

    by_county: dict[int, list[SchoolFigures]] = {county_id: [] for county_id in ids}
    for school in schools:
        sid = school["id"]
        lines = uplinks.get(sid, [])
        shown = best_live_uplink(lines) or max(lines, key=lambda line: _STATUS_STEP.get(line.status, 0),
                                               default=None)
        room = rooms.get(sid, {"teaching": 0, "planned": 0, "live": 0, "without_wlan": []})
        live_coverage = _share(room["live"], room["teaching"])
        available = devices.get(sid, 0)
        per_pupil = devices_per_pupil(available, school["pupils"])
        loan = loans.get(sid, {"open": 0, "overdue": 0})
        aps = rollups.get((sid, int(AssetKind.ACCESS_POINT)), {"share": None, "samples": 0})
        peak = rollups.get((sid, int(AssetKind.UPLINK)), {"peak": None})["peak"]
        ticket = tickets.get((school["county_id"], sid), {"open": 0, "breaching": 0, "resolved": 0,
                                                          "median_seconds": None})
        by_county[school["county_id"]].append(SchoolFigures(
            school_id=sid, county_id=school["county_id"], school_number=school["school_number"],
            name=school["name"], school_type=school["school_type"], pupils=school["pupils"],
            uplink_light=uplink_light(lines), uplink_status=shown.status if shown else None,
            uplink_down_mbps=shown.down_mbps if shown else None, uplink_up_mbps=shown.up_mbps if shown else None,
            coverage_light=coverage_light(live_coverage, room["teaching"]), teaching_rooms=room["teaching"],
            planned_covered_rooms=room["planned"], live_covered_rooms=room["live"],
            planned_coverage=_share(room["planned"], room["teaching"]), live_coverage=live_coverage,
            rooms_without_wlan=list(room["without_wlan"]),
            devices_light=devices_light(per_pupil), devices_available=available, devices_per_pupil=per_pupil,
            loans_open=loan["open"], loans_overdue=loan["overdue"],
            availability_light=availability_light(aps["share"]), ap_samples_30d=aps["samples"],
            ap_availability_30d=aps["share"], utilisation_light=utilisation_light(peak),
            uplink_utilisation_peak_30d=peak,
            tickets_open=ticket["open"], tickets_breaching=ticket["breaching"],
            tickets_resolved_90d=ticket["resolved"], median_resolution_hours=_hours(ticket["median_seconds"]),
        ))
    result = {}
    for county_id, rows in by_county.items():
        up_samples = sum(rollups.get((r.school_id, int(AssetKind.ACCESS_POINT)), {"up": 0})["up"] for r in rows)
        county_tickets = tickets.get((county_id, None), {"median_seconds": None})
        result[county_id] = (rows, _totals(rows, up_samples, county_tickets["median_seconds"]))
    return result


def _totals(rows: list[SchoolFigures], ap_up_samples: int, median_seconds: float | None) -> CountyTotals:
    """Sums of the rows; shares of the sums (not means of the schools' shares)."""
    teaching = sum(r.teaching_rooms for r in rows)
    live = sum(r.live_covered_rooms for r in rows)
    planned = sum(r.planned_covered_rooms for r in rows)
    pupils = sum(r.pupils for r in rows)
    available = sum(r.devices_available for r in rows)
    samples = sum(r.ap_samples_30d for r in rows)
    peaks = [r.uplink_utilisation_peak_30d for r in rows if r.uplink_utilisation_peak_30d is not None]
    live_coverage = _share(live, teaching)
    per_pupil = devices_per_pupil(available, pupils)
    availability = _share(ap_up_samples, samples)
    peak = max(peaks) if peaks else None
    lights = {kind: {light.value: sum(1 for r in rows if getattr(r, f"{kind}_light") == light)
                     for light in LIGHT_ORDER} for kind in LIGHT_KINDS}
    return CountyTotals(
        schools=len(rows), pupils=pupils, teaching_rooms=teaching, planned_covered_rooms=planned,
        live_covered_rooms=live, planned_coverage=_share(planned, teaching), live_coverage=live_coverage,
        coverage_light=coverage_light(live_coverage, teaching), devices_available=available,
        devices_per_pupil=per_pupil, devices_light=devices_light(per_pupil),
        loans_open=sum(r.loans_open for r in rows), loans_overdue=sum(r.loans_overdue for r in rows),
        ap_samples_30d=samples, ap_availability_30d=availability, availability_light=availability_light(availability),
        uplink_utilisation_peak_30d=peak, utilisation_light=utilisation_light(peak),
        tickets_open=sum(r.tickets_open for r in rows), tickets_breaching=sum(r.tickets_breaching for r in rows),
        tickets_resolved_90d=sum(r.tickets_resolved_90d for r in rows), median_resolution_hours=_hours(median_seconds),
        lights=lights,
    )


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


async def _counties(scope: Scope, slug: str | None = None) -> list[dict[str, Any]]:
    """The counties in the caller's scope by name; with `slug` only that one (404 when it is outside)."""
    if slug is not None:
        rows = await fetch("SELECT id, slug, name FROM county WHERE slug = {}", slug)
        if not rows or not scope.sees_county(rows[0]["id"]):
            raise NotFound("county not found")
        return rows
    condition, values = scope.sql("id", school_expr=None)
    return await fetch(f"SELECT id, slug, name FROM county WHERE {condition} ORDER BY name", *values)  # noqa: S608


# --- county dashboard ------------------------------------------------------------------------------

async def county_dashboard(scope: Scope, county_slug: str, now: dt.datetime | None = None) -> CountyDashboard:
    """Per school of the county a row of traffic lights with the figures behind them; totals on top."""
    scope.require(Permission.DASHBOARDS_READ)
    county = (await _counties(scope, county_slug))[0]
    now = _now(now)
    rows, totals = (await _figures([county["id"]], now))[county["id"]]
    return CountyDashboard(county_id=county["id"], county_slug=county["slug"], county_name=county["name"],
                           generated_at=now, totals=totals, schools=rows)


async def county_dashboard_csv(scope: Scope, county_slug: str, lang: str = "de") -> bytes:
    """The county dashboard's figures as CSV (the same result as the page and the JSON)."""
    scope.require(Permission.EXPORT)
    return exporting.county_csv(await county_dashboard(scope, county_slug), lang)


# --- arrangement dashboard -------------------------------------------------------------------------

async def arrangement_dashboard(scope: Scope, arrangement_id: int,
                                now: dt.datetime | None = None) -> ArrangementDashboard:
    """The member counties side by side, their support load, and the cost split (hours per county this
    month and this year, from the tickets' time accounting). Needs a scope covering every member."""
    scope.require(Permission.DASHBOARDS_READ)
    found = await fetch("SELECT a.id, a.name, c.name AS lead_name FROM arrangement a "
                        "LEFT JOIN county c ON c.id = a.lead_county_id WHERE a.id = {}", arrangement_id)
    members = await fetch("SELECT c.id, c.slug, c.name FROM arrangement_member m JOIN county c ON c.id = m.county_id "
                          "WHERE m.arrangement_id = {} ORDER BY c.name", arrangement_id)
    if not found or not members or not all(scope.sees_county(m["id"]) for m in members):
        raise NotFound("arrangement not found")
    now = _now(now)
    today = now.astimezone(BERLIN).date()
    month_first, month_next, month = reports.month_range(None, today)
    year_first, year_next = dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1)
    month_split = await reports.cost_split(scope, month_first, month_next, arrangement_id)
    year_split = await reports.cost_split(scope, year_first, year_next, arrangement_id)
    month_by_county = {r["county_id"]: r for r in month_split["counties"]}
    year_by_county = {r["county_id"]: r for r in year_split["counties"]}
    county_figures = await _figures([m["id"] for m in members], now)
    counties = []
    for member in members:
        in_month, in_year = month_by_county[member["id"]], year_by_county[member["id"]]
        counties.append(MemberCounty(
            county_id=member["id"], county_slug=member["slug"], county_name=member["name"], lead=in_month["lead"],
            totals=county_figures[member["id"]][1],
            cost=CostShare(county_id=member["id"], county_name=member["name"], lead=in_month["lead"],
                           month_hours=in_month["hours"], month_share_percent=in_month["share"],
                           year_hours=in_year["hours"], year_share_percent=in_year["share"])))
    return ArrangementDashboard(arrangement_id=arrangement_id, name=found[0]["name"],
                                lead_county_name=found[0]["lead_name"], generated_at=now, month=month,
                                year=today.year, month_hours=month_split["total_hours"],
                                year_hours=year_split["total_hours"], counties=counties)


async def arrangement_dashboard_csv(scope: Scope, arrangement_id: int, lang: str = "de") -> bytes:
    scope.require(Permission.EXPORT)
    return exporting.arrangement_csv(await arrangement_dashboard(scope, arrangement_id), lang)


# --- the list of dashboards ------------------------------------------------------------------------

async def dashboards_in_scope(scope: Scope) -> list[DashboardLink]:
    """The arrangements the caller's scope covers entirely, then the counties it sees."""
    scope.require(Permission.DASHBOARDS_READ)
    counties = await _counties(scope)
    seen = {c["id"] for c in counties}
    arrangements = await fetch("SELECT a.id, a.name, array_agg(m.county_id) AS members FROM arrangement a "
                               "JOIN arrangement_member m ON m.arrangement_id = a.id GROUP BY a.id, a.name "
                               "ORDER BY a.name")
    links = [DashboardLink(kind="arrangement", name=a["name"], href=f"/dashboards/arrangements/{a['id']}",
                           api=f"/api/v1/dashboards/arrangements/{a['id']}")
             for a in arrangements if set(a["members"]) <= seen]
    links += [DashboardLink(kind="county", name=c["name"], href=f"/dashboards/counties/{c['slug']}",
                            api=f"/api/v1/dashboards/counties/{c['slug']}") for c in counties]
    return links


# --- open data -------------------------------------------------------------------------------------

def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


async def open_data(scope: Scope, county_slug: str | None = None, now: dt.datetime | None = None) -> OpenData:
    """Non-personal infrastructure figures per school in the scope (or of one county): uplink class and
    rates, planned and live coverage, devices per pupil; no people, no addresses, no serials."""
    scope.require(Permission.EXPORT)
    counties = await _counties(scope, county_slug or None)
    now = _now(now)
    county_figures = await _figures([c["id"] for c in counties], now)
    items = [OpenDataSchool(
        school_number=r.school_number, name=r.name, county=county["name"], school_type=r.school_type,
        uplink_class=r.uplink_light, uplink_down_mbps=r.uplink_down_mbps, uplink_up_mbps=r.uplink_up_mbps,
        planned_coverage_percent=_percent(r.planned_coverage), live_coverage_percent=_percent(r.live_coverage),
        devices_per_pupil=None if r.devices_per_pupil is None else round(r.devices_per_pupil, 2),
        licence=LICENCE_ID, licence_url=LICENCE_URL, attribution=county["name"],
    ) for county in counties for r in county_figures[county["id"]][0]]
    return OpenData(licence=LICENCE_ID, licence_name=LICENCE_NAME, licence_url=LICENCE_URL, generated_at=now,
                    items=items, total=len(items))


async def open_data_csv(scope: Scope, county_slug: str | None = None, lang: str = "de") -> bytes:
    return exporting.open_data_csv(await open_data(scope, county_slug), lang)


# --- a school's network section --------------------------------------------------------------------

async def school_network(scope: Scope, school_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """Live access-point status (the probes' figures), a 7-day availability series per access point
    from the daily rollups, and the uplink's hourly utilisation peak over 7 days."""
    now = _now(now)
    network = await figures.school_network(scope, school_id, now)  # checks permission and scope (404)
    today = now.astimezone(BERLIN).date()
    days = [today - dt.timedelta(days=SPARKLINE_DAYS - 1 - i) for i in range(SPARKLINE_DAYS)]
    daily: dict[int, dict[dt.date, float | None]] = defaultdict(dict)
    for row in await fetch(
            f"SELECT asset_id, day, {figures.SHARE} AS share FROM probe_rollup_days "  # noqa: S608 (constants)
            f"WHERE school_id = {{}} AND asset_kind = {{}} AND {figures.DAYS_WINDOW} GROUP BY asset_id, day",
            school_id, int(AssetKind.ACCESS_POINT), now, SPARKLINE_DAYS):
        daily[row["asset_id"]][row["day"]] = row["share"]
    for ap in network["access_points"]:
        ap["daily"] = [(day, daily[ap["id"]].get(day)) for day in days]
    hourly = await fetch(
        "SELECT hour, max(utilisation_max) AS peak FROM probe_rollup_hourly WHERE school_id = {} "
        "AND asset_kind = {} AND hour > {} GROUP BY hour ORDER BY hour",
        school_id, int(AssetKind.UPLINK), now - dt.timedelta(days=SPARKLINE_DAYS))
    network["utilisation"] = [(row["hour"], row["peak"]) for row in hourly]
    network["window_start"] = now - dt.timedelta(days=SPARKLINE_DAYS)
    network["now"] = now
    return network
