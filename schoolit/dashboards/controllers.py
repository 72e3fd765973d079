"""HTTP layer of the dashboards: the pages, the JSON and CSV API, and the open-data export.

Thin: call a service with the caller's Scope, hand its one result to the template, the JSON encoder or
the CSV writer. `…/{county_slug}.csv` and `…/{arrangement_id}.csv` answer the same figures as CSV.
"""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from schoolit.accounts.auth import Caller
from schoolit.dashboards import charts, services
from schoolit.dashboards.choices import (
    AVAILABILITY_AMBER,
    AVAILABILITY_GREEN,
    COVERAGE_AMBER,
    LIGHT_LABELS,
    LIGHT_ORDER,
    LIGHT_SYMBOLS,
    UTILISATION_AMBER,
    UTILISATION_RED,
    availability_light,
)
from schoolit.dashboards.schemas import CountyDashboard, OpenData
from schoolit.db import MAX_INT
from schoolit.errors import NotFound
from schoolit.inventory.choices import SCHOOL_TYPE_LABELS, UPLINK_STATUS_LABELS
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import N_
from schoolit.kernel.i18n import gettext as _
from schoolit.kernel.navigation import NavItem, register

register(NavItem("/dashboards", N_("Dashboards"), Permission.DASHBOARDS_READ), before="/admin/users")

Lang = FromQuery[Literal["de", "en"]]
CSV_SUFFIX = ".csv"
AVAILABILITY_LOW = 0.9  # the availability chart starts at 90 %: the thresholds are 95 and 99 %
# What every dashboard template needs: the light labels and shapes, and the chart and number helpers.
HELPERS: dict[str, Any] = {
    "charts": charts, "light_labels": LIGHT_LABELS, "light_symbols": LIGHT_SYMBOLS, "light_order": LIGHT_ORDER,
    "school_types": SCHOOL_TYPE_LABELS, "uplink_statuses": UPLINK_STATUS_LABELS,
}


def _csv(content: bytes, filename: str) -> Response[bytes]:
    return Response(content=content, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


def _split(value: str) -> tuple[str, bool]:
    """A path value and whether it asked for CSV (`donnersbergkreis.csv`)."""
    return (value[: -len(CSV_SUFFIX)], True) if value.endswith(CSV_SUFFIX) else (value, False)


def _arrangement_id(value: str) -> int:
    # A string in the path (for the `.csv` form), so the app's id range check does not see it.
    if not value.isdigit() or int(value) > MAX_INT:
        raise NotFound("arrangement not found")
    return int(value)


def county_charts(dashboard: CountyDashboard) -> dict[str, Any]:
    """Coverage and availability per school as bar charts (names on the left, readable for 50+ schools)."""
    return {
        "coverage": charts.bar_chart(
            [charts.Bar(s.name, s.live_coverage, s.coverage_light, charts.percent(s.live_coverage))
             for s in dashboard.schools], label=_("Live WLAN coverage per school"), marks=(COVERAGE_AMBER,)),
        "availability": charts.bar_chart(
            [charts.Bar(s.name, s.ap_availability_30d, s.availability_light, charts.percent(s.ap_availability_30d))
             for s in dashboard.schools], label=_("Access point availability per school, 30 days"),
            marks=(AVAILABILITY_AMBER, AVAILABILITY_GREEN), low=AVAILABILITY_LOW),
    }


async def _county_page(caller: Caller, county_slug: str) -> Template:
    dashboard = await services.county_dashboard(caller, county_slug)
    return Template("dashboards/county.html", context={"d": dashboard, "chart": county_charts(dashboard), **HELPERS})


class DashboardPages(Controller):
    path = "/dashboards"
    include_in_schema = False

    @get("/", name="dashboards", opt=requires(Permission.DASHBOARDS_READ))
    async def index(self, caller: Caller) -> Template:
        """An authority's own county dashboard; otherwise the list of dashboards in the caller's scope."""
        links = await services.dashboards_in_scope(caller)
        if len(links) == 1 and links[0].kind == "county":
            return await _county_page(caller, links[0].href.rsplit("/", 1)[1])
        return Template("dashboards/index.html", context={"links": links})

    @get("/counties/{county_slug:str}", opt=requires(Permission.DASHBOARDS_READ))
    async def county(self, caller: Caller, county_slug: FromPath[str]) -> Template:
        return await _county_page(caller, county_slug)

    @get("/arrangements/{arrangement_id:int}", opt=requires(Permission.DASHBOARDS_READ))
    async def arrangement(self, caller: Caller, arrangement_id: FromPath[int]) -> Template:
        dashboard = await services.arrangement_dashboard(caller, arrangement_id)
        return Template("dashboards/arrangement.html", context={"d": dashboard, **HELPERS})

    @get("/schools/{school_id:int}/network", opt=requires(Permission.INVENTORY_READ))
    async def school_network(self, caller: Caller, school_id: FromPath[int]) -> Template:
        """The network section of a school page, loaded by htmx (inventory does not import dashboards)."""
        network = await services.school_network(caller, school_id)
        for ap in network["access_points"]:
            ap["sparkline"] = charts.sparkline(
                [charts.Point(charts.day(day), share, availability_light(share)) for day, share in ap["daily"]],
                label=_("Availability per day, last 7 days"))
        network["chart"] = charts.line_chart(
            network["utilisation"], label=_("Uplink utilisation, hourly peak, last 7 days"),
            start=network["window_start"], end=network["now"], marks=(UTILISATION_AMBER, UTILISATION_RED))
        return Template("dashboards/_school_network.html", context={"n": network, **HELPERS})


class DashboardsApi(Controller):
    """`/api/v1/dashboards/…`: the dashboards' figures as JSON, or as CSV with `.csv`."""

    path = "/dashboards"
    tags = ["dashboards"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/counties/{county_slug:str}", opt=requires(Permission.DASHBOARDS_READ),
         summary="County dashboard (JSON, or CSV with .csv)",
         description="Per school the traffic lights and the figures behind them, the county's totals on top. "
                     "`/counties/donnersbergkreis.csv` answers the same figures as CSV (`;`, UTF-8 with BOM, "
                     "German headers; `lang=en` for English headers and decimal points).")
    async def county(self, caller: Caller, county_slug: FromPath[str],
                     lang: Lang = "de") -> Response[Any]:
        slug, as_csv = _split(county_slug)
        if as_csv:
            return _csv(await services.county_dashboard_csv(caller, slug, lang), f"kennzahlen-{slug}.csv")
        return Response(await services.county_dashboard(caller, slug))

    @get("/arrangements/{arrangement_id:str}", opt=requires(Permission.DASHBOARDS_READ),
         summary="Arrangement dashboard (JSON, or CSV with .csv)",
         description="The member counties side by side, their support load, and the cost split: hours per "
                     "county this month and this year. Needs a scope covering every member county.")
    async def arrangement(self, caller: Caller, arrangement_id: FromPath[str],
                          lang: Lang = "de") -> Response[Any]:
        value, as_csv = _split(arrangement_id)
        if as_csv:
            return _csv(await services.arrangement_dashboard_csv(caller, _arrangement_id(value), lang),
                        f"kennzahlen-verbund-{value}.csv")
        return Response(await services.arrangement_dashboard(caller, _arrangement_id(value)))


class OpenDataApi(Controller):
    """`/api/v1/open-data/…`: non-personal infrastructure figures per school, licensed dl-de/by-2-0."""

    path = "/open-data"
    tags = ["dashboards"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/schools.json", opt=requires(Permission.EXPORT), summary="Open data: schools (JSON)",
         description="Per school in the caller's scope (or of `county`): uplink class and rates, planned and live "
                     "WLAN coverage, devices per pupil; nothing personal. Licence: Datenlizenz Deutschland – "
                     "Namensnennung – 2.0, attribution: the county.")
    async def schools_json(self, caller: Caller, county: FromQuery[str | None] = None) -> OpenData:
        return await services.open_data(caller, county)

    @get("/schools.csv", opt=requires(Permission.EXPORT), summary="Open data: schools (CSV)")
    async def schools_csv(self, caller: Caller, county: FromQuery[str | None] = None,
                          lang: Lang = "de") -> Response[bytes]:
        content = await services.open_data_csv(caller, county, lang)
        return _csv(content, f"schulen-{county}.csv" if county else "schulen.csv")


PAGE_HANDLERS = [DashboardPages]
API_HANDLERS = [DashboardsApi, OpenDataApi]
