"""The tickets domain's panels on the start page (schoolit.web.start).

Supporters: their own tickets, the unassigned ones in their counties, those breaching their deadlines
soon, the open outages the probes reported, and (when there are any) the mails waiting in their triage
for a school. School contacts: their school's open tickets.
Everything comes from the queue service with the caller's Scope.
"""

from __future__ import annotations

from typing import Any

from schoolit.accounts.choices import Role
from schoolit.accounts.scope import Scope
from schoolit.kernel.i18n import gettext
from schoolit.kernel.start import Panel
from schoolit.tickets import inbound, queue
from schoolit.tickets.choices import PRIORITY_LABELS, STATUS_LABELS, Source

LIMIT = 8
TEMPLATE = "tickets/_start_tickets.html"


async def _panel(scope: Scope, order: int, title: str, view: str, testid: str, *,
                 source: str | None = None, empty: str = "") -> Panel:
    rows, total = await queue.list_tickets(scope, queue.Filters(view=view, source=source), limit=LIMIT)
    link = f"/tickets?view={view}" if source is None else None
    context: dict[str, Any] = {"tickets": rows, "total": total, "empty": empty,
                               "status_labels": STATUS_LABELS, "priority_labels": PRIORITY_LABELS}
    return Panel(order=order, title=title, template=TEMPLATE, context=context, link=link, testid=testid)


async def panels(scope: Scope) -> list[Panel]:
    if scope.role == Role.SUPPORTER:
        waiting = await inbound.triage_count(scope)
        triage = [Panel(order=15, title=gettext("Mails without a school"), template="tickets/_start_triage.html",
                        context={"waiting": waiting}, link="/mail-triage", testid="start-triage")] if waiting else []
        return [
            *triage,
            await _panel(scope, 10, gettext("My tickets"), "mine", "start-mine",
                         empty=gettext("No tickets assigned to you.")),
            await _panel(scope, 20, gettext("Unassigned in my counties"), "unassigned", "start-unassigned",
                         empty=gettext("Every open ticket has someone.")),
            await _panel(scope, 30, gettext("Overdue or due soon"), "breaching", "start-breaching",
                         empty=gettext("No ticket is overdue or due soon.")),
            await _panel(scope, 40, gettext("Open outages"), "open", "start-outages", source=Source.PROBE.value,
                         empty=gettext("The probes report no outage.")),
        ]
    if scope.role == Role.SCHOOL:
        return [await _panel(scope, 20, gettext("My school's open tickets"), "open", "start-school-tickets",
                             empty=gettext("Your school has no open ticket."))]
    return []
