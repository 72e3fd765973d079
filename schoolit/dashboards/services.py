"""Dashboard figures: per school of a county, the county's totals, an arrangement's counties side by side,
the open-data extract, and a school's network section.

Read-only, and only through the other domains' read functions, which keep their definitions (planned and
live coverage, devices in service, overdue loans, availability, the cost split): `accounts.directory`,
`inventory.figures`, `probes.figures`, `tickets.reports`. This module owns no table and names none in SQL.
Figures are computed set-based for all schools of the counties asked for — a handful of queries grouped by
school, never one query per school — so the arrangement dashboard and the open-data export use the very
same queries as the county page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from schoolit import rules
from schoolit.accounts import directory
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
from schoolit.errors import NotFound
from schoolit.inventory import figures as inventory_figures
from schoolit.inventory.choices import UplinkStatus
from schoolit.kernel.access import Permission
from schoolit.kernel.times import BERLIN
from schoolit.probes import figures
from schoolit.probes.choices import AssetKind
from schoolit.sql import concurrently
from schoolit.tickets import reports

# How far along a line is, for showing the status of a school without a live line.
_STATUS_STEP = {UplinkStatus.PLANNED.value: 1, UplinkStatus.ORDERED.value: 2, UplinkStatus.CONSTRUCTION.value: 3,
                UplinkStatus.LIVE.value: 4}
LIGHT_KINDS = ("uplink", "coverage", "devices", "availability", "utilisation")
ARRANGEMENT_NOT_FOUND = rules.ARRANGEMENT_NOT_FOUND

# --- set-based figures per school of a list of counties --------------------------------------------
# Each domain answers its own figures for all schools of the counties at once (inventory.figures,
# probes.figures, tickets.reports): a handful of queries grouped by school, none naming another domain's
# tables here.


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


async def _figures(scope: Scope, county_ids: Sequence[int],
                   now: dt.datetime) -> dict[int, tuple[list[SchoolFigures], CountyTotals]]:
    """Rows and totals of every county in `county_ids` (the caller has checked the scope)."""
    ids = sorted(county_ids)
    today = now.astimezone(BERLIN).date()
    schools, uplink_rows, rooms, devices, loans, rollups, tickets = await concurrently(
        inventory_figures.schools(scope, ids),
        inventory_figures.uplink_lines(scope, ids),
        figures.room_coverage(scope, ids, now),
        inventory_figures.devices_in_service(scope, ids),
        inventory_figures.loans(scope, ids, today),
        figures.rollup_figures(scope, ids, now, max(AVAILABILITY_DAYS, UTILISATION_DAYS)),
        reports.county_figures(scope, ids, now - dt.timedelta(days=RESOLUTION_DAYS), now))
    uplinks: dict[int, list[UplinkLine]] = defaultdict(list)
    for row in uplink_rows:
        uplinks[row["school_id"]].append(UplinkLine(row["status"], row["down_mbps"], row["up_mbps"]))

    by_county: dict[int, list[SchoolFigures]] = {county_id: [] for county_id in ids}
    for school in schools:
        sid = school["id"]
        lines = uplinks.get(sid, [])
        shown = best_live_uplink(lines) or max(lines, key=lambda line: _STATUS_STEP.get(line.status, 0),
                                               default=None)
        room = rooms.get(sid, {"teaching": 0, "planned": 0, "live": 0, "measured": 0, "without_wlan": []})
        # Access points planned for the rooms but none ever measured (no probe polls them yet): live coverage is
        # not known, which is no data, not 0 % (a school without any access point is 0 %).
        live_coverage = None if room["planned"] and not room["measured"] else _share(room["live"], room["teaching"])
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
            rooms_without_wlan=list(room["without_wlan"]) if live_coverage is not None else [],
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
    # Live coverage over the schools where it is known (measured, or without access points to measure).
    known = [r for r in rows if r.live_coverage is not None]
    planned = sum(r.planned_covered_rooms for r in rows)
    pupils = sum(r.pupils for r in rows)
    available = sum(r.devices_available for r in rows)
    samples = sum(r.ap_samples_30d for r in rows)
    peaks = [r.uplink_utilisation_peak_30d for r in rows if r.uplink_utilisation_peak_30d is not None]
    live_coverage = _share(sum(r.live_covered_rooms for r in known), sum(r.teaching_rooms for r in known))
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


# --- county dashboard ------------------------------------------------------------------------------

async def county_dashboard(scope: Scope, county_slug: str, now: dt.datetime | None = None) -> CountyDashboard:
    """Per school of the county a row of traffic lights with the figures behind them; totals on top."""
    scope.require(Permission.DASHBOARDS_READ)
    county = (await directory.counties(scope, county_slug))[0]
    now = _now(now)
    rows, totals = (await _figures(scope, [county["id"]], now))[county["id"]]
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
    found = await directory.arrangement(arrangement_id)
    members = await directory.arrangement_members(arrangement_id)
    if found is None or not members or not all(scope.sees_county(m["id"]) for m in members):
        raise NotFound(ARRANGEMENT_NOT_FOUND)
    now = _now(now)
    today = now.astimezone(BERLIN).date()
    month_first, month_next, month = reports.month_range(None, today)
    year_first, year_next = dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1)
    month_split, year_split, county_figures = await concurrently(
        reports.cost_split(scope, month_first, month_next, arrangement_id),
        reports.cost_split(scope, year_first, year_next, arrangement_id),
        _figures(scope, [m["id"] for m in members], now))
    month_by_county = {r["county_id"]: r for r in month_split["counties"]}
    year_by_county = {r["county_id"]: r for r in year_split["counties"]}
    counties = []
    for member in members:
        in_month, in_year = month_by_county[member["id"]], year_by_county[member["id"]]
        counties.append(MemberCounty(
            county_id=member["id"], county_slug=member["slug"], county_name=member["name"], lead=in_month["lead"],
            totals=county_figures[member["id"]][1],
            cost=CostShare(county_id=member["id"], county_name=member["name"], lead=in_month["lead"],
                           month_hours=in_month["hours"], month_share_percent=in_month["share"],
                           year_hours=in_year["hours"], year_share_percent=in_year["share"])))
    return ArrangementDashboard(arrangement_id=arrangement_id, name=found["name"],
                                lead_county_name=found["lead_name"], generated_at=now, month=month,
                                year=today.year, month_hours=month_split["total_hours"],
                                year_hours=year_split["total_hours"], counties=counties)


async def arrangement_dashboard_csv(scope: Scope, arrangement_id: int, lang: str = "de") -> bytes:
    scope.require(Permission.EXPORT)
    return exporting.arrangement_csv(await arrangement_dashboard(scope, arrangement_id), lang)


# --- the list of dashboards ------------------------------------------------------------------------

async def dashboards_in_scope(scope: Scope) -> list[DashboardLink]:
    """The arrangements the caller's scope covers entirely, then the counties it sees."""
    scope.require(Permission.DASHBOARDS_READ)
    counties = await directory.counties(scope)
    seen = {c["id"] for c in counties}
    arrangements = await directory.arrangements_with_members()
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
    counties = await directory.counties(scope, county_slug or None)
    now = _now(now)
    county_figures = await _figures(scope, [c["id"] for c in counties], now)
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
    daily = await figures.daily_availability(school_id, AssetKind.ACCESS_POINT, now, SPARKLINE_DAYS)
    for ap in network["access_points"]:
        ap["daily"] = [(day, daily[ap["id"]].get(day)) for day in days]
    network["utilisation"] = await figures.hourly_peaks(school_id, AssetKind.UPLINK,
                                                        now - dt.timedelta(days=SPARKLINE_DAYS), now)
    network["window_start"] = now - dt.timedelta(days=SPARKLINE_DAYS)
    network["now"] = now
    return network
