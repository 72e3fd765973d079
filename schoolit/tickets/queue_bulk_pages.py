"""The ticket queue's list tools: the queue as CSV (exactly the filtered list, not only its first page)
and bulk actions on the tickets ticked in it (assign to me, back to the queue, change the status).

A bulk action runs the same service as the ticket page, ticket by ticket, with the caller's Scope: a
ticket the caller may not change that way is skipped and named in the answer, the others are changed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from schoolit.accounts.auth import Caller
from schoolit.csvwriter import write_csv
from schoolit.errors import DomainError
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import N_, gettext
from schoolit.tickets import queue, services
from schoolit.tickets.choices import PRIORITY_LABELS, STATUS_LABELS, Status
from schoolit.tickets.pages import QueueQuery, _filters, local_time

EXPORT_LIMIT = 20_000
COLUMNS = (N_("Number"), N_("Priority"), N_("Subject"), N_("Category"), N_("School"), N_("County"), N_("Status"),
           N_("Assignee"), N_("Due"), N_("Deadline"))


class QueueListPages(Controller):
    path = "/tickets"
    include_in_schema = False

    @get("/export.csv", opt=requires(Permission.TICKETS_READ))
    async def export(self, caller: Caller, view: QueueQuery = None, status: QueueQuery = None,
                     county_id: QueueQuery = None, school_id: QueueQuery = None,
                     q: QueueQuery = None) -> Response[bytes]:
        """The queue with its filters as a CSV file (Excel's German dialect)."""
        rows, _ = await queue.list_tickets(caller, _filters(view, status, county_id, school_id, q), limit=EXPORT_LIMIT)
        breach = {"response": gettext("response deadline missed"), "resolution": gettext("resolution deadline missed")}
        content = write_csv([gettext(title) for title in COLUMNS], (
            (t["number"], gettext(PRIORITY_LABELS[t["priority"]]), t["subject"], t["category"], t["school_name"],
             t["county_name"], gettext(STATUS_LABELS[t["status"]]), t["assignee_name"] or "",
             local_time(t["resolution_due_at"]), breach.get(t["sla_breach"] or "", "")) for t in rows))
        return Response(content=content, media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="tickets.csv"'})

    @post("/bulk", opt=requires(Permission.TICKETS_WORK), status_code=303)
    async def bulk(self, caller: Caller, request: Request[Any, Any, Any]) -> Redirect:
        """`ids` (ticked tickets) and `action`: `claim`, `unassign` or `status:<status>`."""
        form = await request.form()
        ids = [int(value) for value in form.getall("ids", []) if str(value).isdigit()]
        action = str(form.get("action") or "")
        back = dict(parse_qsl(str(form.get("query") or "")))
        done, skipped = 0, []
        for ticket_id in ids:
            try:
                if action == "claim":
                    await services.assign(caller, ticket_id, caller.actor.user_id)
                elif action == "unassign":
                    await services.assign(caller, ticket_id, None)
                elif action.startswith("status:") and action[7:] in {s.value for s in Status}:
                    await services.change_status(caller, ticket_id, action[7:])
                else:
                    break
                done += 1
            except DomainError:
                skipped.append(ticket_id)
        query = urlencode({**back, "bulk_done": done, "bulk_skipped": len(skipped)})
        return Redirect(path=f"/tickets?{query}", status_code=303)
