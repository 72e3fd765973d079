"""`/probes`: the probes' health as a page, for the network team (admins and supporters).

Per probe in the caller's scope: its last contact and how long it has been silent, its last reported
run (when, how long, targets answered and failed, samples the server refused, spooled batches it
delivered late or set aside as damaged) and the ticket it got for being silent, while that is open;
those that need a look first. The figures are those of `GET /api/v1/stats/probes` (`health.probe_statuses`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, get
from litestar.response import Template

from schoolit.accounts.auth import Caller
from schoolit.accounts.scope import Scope
from schoolit.errors import NotFound
from schoolit.kernel import navigation
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import N_, gettext, ngettext
from schoolit.probes import health
from schoolit.tickets import services as tickets
from schoolit.tickets.choices import OPEN_STATUSES, STATUS_LABELS, Status

# What needs a look comes first: silent probes, those never heard from, those whose targets fail.
STATE_ORDER = {"silent": 0, "never": 1, "failing": 2, "ok": 3, "inactive": 4}

navigation.register(navigation.NavItem("/probes", N_("Probes"), Permission.INVENTORY_WRITE))


def span(delta: dt.timedelta) -> str:
    """A duration as said after "for" or "ago" ("silent for 3 hours", German dative: "seit 3 Stunden"):
    minutes up to an hour, hours up to two days, then days."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return ngettext("%(num)s minute", "%(num)s minutes", minutes)
    if minutes < 48 * 60:
        return ngettext("%(num)s hour", "%(num)s hours", minutes // 60)
    return ngettext("%(num)s day", "%(num)s days", minutes // (24 * 60))


async def _silence_ticket(scope: Scope, ticket_id: int | None) -> dict[str, Any] | None:
    """The silence ticket while it is open (a person may have closed it while the probe is still silent)."""
    if ticket_id is None:
        return None
    try:
        ticket = await tickets.get_ticket(scope, ticket_id)
    except NotFound:
        return None
    if ticket["status"] not in OPEN_STATUSES:
        return None
    return {"id": ticket_id, "number": ticket["number"], "status": gettext(STATUS_LABELS[Status(ticket["status"])])}


async def probe_rows(scope: Scope) -> list[dict[str, Any]]:
    rows = []
    for probe in await health.probe_statuses(scope):
        if not probe["active"]:
            state = "inactive"
        elif probe["last_seen_at"] is None:
            state = "never"
        elif probe["silent"]:
            state = "silent"
        elif probe["failed"]:
            state = "failing"
        else:
            state = "ok"
        seconds = probe["last_run_seconds"]
        rows.append({
            **probe, "state": state,
            "silent_for": span(probe["silent_for"]) if probe["silent_for"] is not None else None,
            "run_seconds": None if seconds is None else f"{seconds:.1f}".replace(".", ","),
            "ticket": await _silence_ticket(scope, probe["silence_ticket_id"]),
        })
    return sorted(rows, key=lambda row: STATE_ORDER[row["state"]])  # stable: by county and name within


class ProbePages(Controller):
    path = "/probes"
    include_in_schema = False

    @get("/", name="probe_status", opt=requires(Permission.INVENTORY_WRITE))
    async def status(self, caller: Caller) -> Template:
        return Template("probes/status.html", context={
            "probes": await probe_rows(caller),
            "silent_after_minutes": int(health.silent_after_interval().total_seconds() // 60),
        })
