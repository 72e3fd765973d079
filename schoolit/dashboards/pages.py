"""The dashboards' pages: the list in the caller's scope, the county and arrangement dashboards, and the
network section of a school page (the JSON and CSV API is in `schoolit.dashboards.api`).

Thin: call a service with the caller's Scope, hand its one result to the template. Every page here only
reads (`READ_ONLY`): with DATABASE_READ_URL it reads from the replica (schoolit.replica).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.params import FromPath
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
from schoolit.dashboards.schemas import CountyDashboard
from schoolit.inventory.choices import SCHOOL_TYPE_LABELS, UPLINK_STATUS_LABELS
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import N_
from schoolit.kernel.i18n import gettext as _
from schoolit.kernel.navigation import NavItem, register
from schoolit.replica import READ_ONLY

register(NavItem("/dashboards", N_("Dashboards"), Permission.DASHBOARDS_READ))

AVAILABILITY_LOW = 0.9  # the availability chart starts at 90 %: the thresholds are 95 and 99 %
# What every dashboard template needs: the light labels and shapes, and the chart and number helpers.
HELPERS: dict[str, Any] = {
    "charts": charts, "light_labels": LIGHT_LABELS, "light_symbols": LIGHT_SYMBOLS, "light_order": LIGHT_ORDER,
    "school_types": SCHOOL_TYPE_LABELS, "uplink_statuses": UPLINK_STATUS_LABELS, "availability_low": AVAILABILITY_LOW,
}


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
    opt = READ_ONLY

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
