"""The ticket queue's list tools: the old address of the queue's CSV (the list itself serves it, see
`schoolit.lists`) and bulk actions on the tickets ticked in it (assign to me, back to the queue, change the status
to any but closed).

A bulk action runs the same service as the ticket page, ticket by ticket, with the caller's Scope: a
ticket the caller may not change that way is skipped and named in the answer, the others are changed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from litestar import Controller, Request, get, post
from litestar.response import Redirect

from schoolit.accounts.auth import Caller
from schoolit.errors import DomainError
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import N_
from schoolit.tickets import services
from schoolit.tickets.choices import Status

EXPORT_LIMIT = 20_000
# The statuses the ticked tickets may be set to: not closed, which is for good — one ticket at a time, ticked
# to confirm on its page (resolved tickets close by themselves after their policy's days).
BULK_STATUSES = tuple(status for status in Status if status != Status.CLOSED)
COLUMNS = (N_("Number"), N_("Priority"), N_("Subject"), N_("Category"), N_("School"), N_("County"), N_("Status"),
           N_("Assignee"), N_("Due"), N_("Deadline"))


class QueueListPages(Controller):
    path = "/tickets"
    include_in_schema = False

    @get("/export.csv", opt=requires(Permission.TICKETS_READ))
    async def export(self, request: Request[Any, Any, Any]) -> Redirect:
        """The queue's CSV, as the list's own CSV link gives it (same filters, sort and columns)."""
        query = [(k, v) for k, v in request.query_params.items() if k != "format"]
        return Redirect(path="/tickets?" + urlencode([*query, ("format", "csv")]), status_code=303)

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
                elif action.startswith("status:") and action[7:] in BULK_STATUSES:
                    await services.change_status(caller, ticket_id, action[7:])
                else:
                    break
                done += 1
            except DomainError:
                skipped.append(ticket_id)
        query = urlencode({**back, "bulk_done": done, "bulk_skipped": len(skipped)})
        return Redirect(path=f"/tickets?{query}", status_code=303)
