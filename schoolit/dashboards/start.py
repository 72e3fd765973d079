"""The dashboards' panel on the start page (schoolit.web.start): for school authorities, each county's
three lights (uplink, WLAN coverage, devices) as schools per light, with its open and overdue tickets,
from the county dashboard service with the caller's Scope."""

from __future__ import annotations

from schoolit.accounts.choices import Role
from schoolit.accounts.scope import Scope
from schoolit.dashboards import services
from schoolit.dashboards.choices import LIGHT_LABELS, LIGHT_ORDER, LIGHT_SYMBOLS
from schoolit.kernel.i18n import N_, gettext
from schoolit.kernel.start import Panel

LIGHTS = (("uplink", N_("Uplink")), ("coverage", N_("WLAN coverage (live)")), ("devices", N_("Devices per pupil")))


async def panels(scope: Scope) -> list[Panel]:
    if scope.role != Role.AUTHORITY:
        return []
    found = []
    for link in await services.dashboards_in_scope(scope):
        if link.kind != "county":
            continue
        dashboard = await services.county_dashboard(scope, link.href.rsplit("/", 1)[-1])
        found.append(Panel(
            order=10, title=gettext("Lights of %(county)s", county=dashboard.county_name),
            template="dashboards/_start_lights.html", link=link.href, testid=f"start-lights-{dashboard.county_slug}",
            context={"totals": dashboard.totals, "lights": LIGHTS, "light_labels": LIGHT_LABELS,
                     "light_symbols": LIGHT_SYMBOLS, "light_order": LIGHT_ORDER}))
    return found
