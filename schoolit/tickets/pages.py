"""The pages of the tickets domain: the supporters' queue and ticket pages, the public fault form and
tracking page, and the admins' category page (the JSON API is in `schoolit.tickets.api`).

Thin: parse, call a service with the caller's Scope, shape the answer.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, MultipartBody, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from schoolit import form_flow, limits, lists, rules, uploads
from schoolit.accounts import services as accounts
from schoolit.accounts.auth import Caller
from schoolit.accounts.choices import IT_STAFF
from schoolit.accounts.scope import Scope
from schoolit.describe import forms
from schoolit.errors import FieldError
from schoolit.kernel import form_limits
from schoolit.kernel.access import Permission, public, requires
from schoolit.kernel.i18n import N_, gettext, ngettext
from schoolit.kernel.navigation import NavItem, current_user, register
from schoolit.kernel.requests import client_ip, request_id
from schoolit.kernel.times import BERLIN, berlin_time, day_text
from schoolit.settings import get_settings
from schoolit.sql import concurrently
from schoolit.tickets import public as public_services
from schoolit.tickets import queue, queue_bulk_pages, services, text_modules, workflow, worktime
from schoolit.tickets.attachments import add_attachment, attachments_of, get_attachment
from schoolit.tickets.categories import CATEGORY, list_categories, save_category
from schoolit.tickets.choices import (
    EVENT_LABELS,
    LEVEL_LABELS,
    PRIORITY_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    Level,
    Status,
)
from schoolit.tickets.schemas import ReportForm

# The navigation entries of every tickets page, here in their order (notification_pages.py,
# webhook_pages.py and inbound_pages.py hold the other pages).
register(NavItem("/tickets", N_("Tickets"), Permission.TICKETS_READ),
         NavItem("/mail-triage", N_("Mail triage"), Permission.TICKETS_WORK),
         # Others set their e-mails on their account page (/account links it).
         NavItem("/account/notifications", N_("Notifications"), Permission.TICKETS_READ, IT_STAFF))
register(NavItem("/admin/ticket-categories", N_("Ticket categories"), Permission.USERS_MANAGE),
         NavItem("/admin/webhooks", N_("Webhooks"), Permission.USERS_MANAGE),
         NavItem("/admin/mailboxes", N_("Mailboxes"), Permission.USERS_MANAGE))

# The forms that come back with what was typed and each problem at its field, a value too long for its
# column included (`schoolit.kernel.form_limits.at_fields`), instead of the 422 page.
READ_FORM = form_limits.at_fields(requires(Permission.TICKETS_READ))
WORK_FORM = form_limits.at_fields(requires(Permission.TICKETS_WORK))
REPORT_FORM = form_limits.at_fields(requires(Permission.TICKETS_REPORT))
NOT_MINUTES = N_("must be a whole number of minutes")
CONFIRM_CLOSING = N_("please confirm that you close the ticket for good")
TIME_FIELDS = ("minutes", "worked_on", "note")  # the time form's, in its order
CONTROLS_REMOVED = N_("contained invisible control characters, which were removed: please check it and send again")


def local_time(moment: dt.datetime | None, with_time: bool = True) -> str:
    if moment is None or with_time:
        return berlin_time(moment, zone=False)
    return day_text(moment.astimezone(BERLIN))


def done_on(ticket: Mapping[str, Any]) -> str:
    """When a done ticket was closed ("Closed on …") or resolved ("Resolved on …"), as the ticket page
    names them; "" while it is open. A done ticket has no deadline running, so its list shows this instead."""
    if ticket["status"] == Status.CLOSED and ticket["closed_at"] is not None:
        return f"{gettext('Closed on')} {local_time(ticket['closed_at'])}"
    if ticket["status"] in (Status.RESOLVED, Status.CLOSED) and ticket["resolved_at"] is not None:
        return f"{gettext('Resolved on')} {local_time(ticket['resolved_at'])}"
    return ""


# The form fields of the ticket page by their labels, so that an error names what the person sees; in the
# order the page shows them, which its error summary follows.
FIELD_LABELS = {"assignee_id": N_("Assignee"), "impact": N_("impact"), "urgency": N_("urgency"),
                "status": N_("New status"), "comment": N_("Comment for the reporter"),
                "confirm": N_("Confirmation"), "body": N_("Comment"), "file": N_("File"),
                "minutes": N_("minutes"), "worked_on": N_("Day"), "note": N_("what was done"),
                "category_id": N_("Category")}
# The closing form's comment when closing an unresolved ticket needs one (`workflow.needs_reason`).
REASON_LABEL = N_("Reason for the reporter")

LABELS = {"status_labels": STATUS_LABELS, "priority_labels": PRIORITY_LABELS, "level_labels": LEVEL_LABELS,
          "event_labels": EVENT_LABELS, "source_labels": SOURCE_LABELS,
          "local_time": local_time, "done_on": done_on, "levels": list(Level)}


# --- supporter pages -----------------------------------------------------------------------------


def _due_cell(ticket: Mapping[str, Any]) -> str:
    if finished := done_on(ticket):
        return finished
    # The words of the deadline badge (tickets/_sla.html): which deadline was missed, or that the clock stands.
    words = {"response": N_("response deadline missed"), "resolution": N_("resolution deadline missed"),
             "warning": N_("resolution deadline soon"), "paused": N_("deadline paused")}.get(
                 ticket["sla_breach"] or ticket["sla_state"])
    due = local_time(ticket["resolution_due_at"])
    return f"{due} ({gettext(words)})" if words else due


def queue_columns(can_work: bool) -> tuple[lists.Column, ...]:
    """The queue's table and CSV columns (a tick box first for those who act on tickets in bulk)."""
    return (
        *((lists.Column(N_("Tick"), hidden_label=True),) if can_work else ()),
        lists.Column(N_("Number"), "number", lists.key("number")),
        lists.Column(N_("Priority"), "priority", lambda t: gettext(PRIORITY_LABELS[t["priority"]])),
        lists.Column(N_("Subject"), "subject", lists.key("subject")),
        lists.Column(N_("Category"), "category", lists.key("category")),
        lists.Column(N_("School"), "school", lists.key("school_name")),
        # In the table under the school (the queue fits 1366 px with its due column); a column of the file.
        lists.Column(N_("County"), "county", lists.key("county_name"), table=False),
        lists.Column(N_("Status"), "status", lambda t: gettext(STATUS_LABELS[t["status"]])),
        lists.Column(N_("Assignee"), "assignee", lambda t: t["assignee_name"] or ""),
        lists.Column(N_("Due"), "due", _due_cell),
    )


class SavedViewForm(msgspec.Struct):
    """The queue's "save view" form: the filters shown (hidden fields) and the view's name. Named after its
    table, so the input limits take the saved view's own columns (a name of at most 80 characters)."""

    view: str = "open"
    status: str = ""
    county_id: str = ""
    school_id: str = ""
    q: str = ""
    name: str = ""


FormT = TypeVar("FormT", bound=msgspec.Struct)


def shown_again(form: FormT, found: Iterable[FieldError]) -> tuple[FormT, list[FieldError]]:
    """A refused form as it is shown again: what was typed without the control characters the input limits
    refused (a NUL byte is never echoed into the page), and at each field that lost some, why it changed."""
    typed = {name: value for name, value in msgspec.structs.asdict(form).items() if isinstance(value, str)}
    kept = {name: limits.without_control_characters(value) for name, value in typed.items()}
    changed = {name for name, value in kept.items() if value != typed[name]}
    return msgspec.structs.replace(form, **kept), [
        FieldError(error.field, CONTROLS_REMOVED, error.label) if error.field in changed else error
        for error in found]


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


_SIGNED = re.compile(r"^[+-]?[0-9]+$")


def _whole_number(value: str) -> int | None:
    """A whole number as typed, its sign included ("-5" is a number below the limit, not "no number");
    None for anything else. Beyond 18 digits it stands for a number beyond every limit."""
    text = value.strip()
    if not _SIGNED.match(text):
        return None
    digits = text.lstrip("+-").lstrip("0") or "0"
    return (-1 if text.startswith("-") else 1) * (int(digits) if len(digits) <= 18 else 10**18)


def _filters(view: str | None, status: str | None, county_id: str | None, school_id: str | None,
             q: str | None) -> queue.Filters:
    return queue.Filters(view=view or "open", status=status or None, county_id=_int_or_none(county_id),
                         school_id=_int_or_none(school_id), q=(q or "").strip() or None)


def _query(filters: queue.Filters) -> str:
    """The filters as a query string (for links, the htmx refresh and saved views)."""
    return urlencode({k: v for k, v in (("view", filters.view), ("status", filters.status or ""),
                                        ("county_id", filters.county_id or ""),
                                        ("school_id", filters.school_id or ""), ("q", filters.q or "")) if v})


class CommentForm(msgspec.Struct):
    body: str = ""
    visibility: str = "public"


class StatusForm(msgspec.Struct):
    """The ticket page's status change; closing (a form of its own) is confirmed with a tick."""

    status: str = ""
    comment: str = ""
    confirm: str = ""


class AssignForm(msgspec.Struct):
    assignee_id: str = ""


class TimeForm(msgspec.Struct):
    minutes: str = ""
    worked_on: str = ""
    note: str = ""


class PriorityForm(msgspec.Struct):
    impact: str = ""
    urgency: str = ""


class ViewDeleteForm(msgspec.Struct):
    id: str = ""


QueueQuery = Annotated[str | None, QueryParameter(required=False)]


class TicketPages(Controller):
    path = "/tickets"
    include_in_schema = False

    async def _queue_context(self, request: Request[Any, Any, Any], caller: Scope,
                             filters: queue.Filters) -> dict[str, Any]:
        wanted = lists.params(request.query_params, default_sort=queue.DEFAULT_SORT, sorts=queue.SORTS)
        rows, total = await queue.list_tickets(caller, filters, limit=wanted.fetch_limit, offset=wanted.fetch_offset,
                                               sort=wanted.sort)
        can_work = caller.can(Permission.TICKETS_WORK)
        shown = {"view": filters.view, "status": filters.status or "", "county_id": filters.county_id or "",
                 "school_id": filters.school_id or "", "q": filters.q or ""}
        view = lists.view("/tickets", shown, queue_columns(can_work), wanted, total=total, shown=len(rows),
                          default_sort=queue.DEFAULT_SORT)
        return {"tickets": rows, "total": total, "filters": filters, "query": _query(filters), "view": view,
                "rows_query": view.url().partition("?")[2], "can_work": can_work, "csv": wanted.csv,
                "role_queue": queue.queue_of(caller), **LABELS}

    async def _queue_page(self, context: dict[str, Any], caller: Scope, *, status_code: int = 200,
                          view_name: str = "", view_errors: Mapping[str, str] | None = None,
                          **extra: Any) -> Template:
        """The queue page; `view_name` and `view_errors` (by field) fill the "save view" form when it comes
        back refused."""
        counties = await accounts.list_counties(caller) if context["role_queue"].counties else []
        return Template("tickets/queue.html", status_code=status_code, context={
            "bulk": None, "queue_empty": False, **extra, **context, "counties": counties,
            "saved_views": await queue.saved_views(caller), "statuses": list(Status),
            "bulk_statuses": queue_bulk_pages.BULK_STATUSES, "view_name": view_name,
            "view_errors": view_errors or {}, "view_name_length": queue.VIEW_NAME_LENGTH})

    @get("/", name="tickets", opt=requires(Permission.TICKETS_READ))
    async def queue_page(self, request: Request[Any, Any, Any], caller: Caller, view: QueueQuery = None,
                         status: QueueQuery = None, county_id: QueueQuery = None, school_id: QueueQuery = None,
                         q: QueueQuery = None, claimed: QueueQuery = None, bulk_done: QueueQuery = None,
                         bulk_skipped: QueueQuery = None) -> Response[Any]:
        filters = _filters(view, status, county_id, school_id, q)
        context = await self._queue_context(request, caller, filters)
        if context["csv"]:
            return lists.csv_response(context["view"], context["tickets"], "tickets.csv")
        return await self._queue_page(
            context, caller, queue_empty=claimed == "none",
            bulk=(_int_or_none(bulk_done) or 0, _int_or_none(bulk_skipped) or 0) if bulk_done else None)

    @get("/rows", opt=requires(Permission.TICKETS_READ))
    async def queue_rows(self, request: Request[Any, Any, Any], caller: Caller, view: QueueQuery = None,
                         status: QueueQuery = None, county_id: QueueQuery = None, school_id: QueueQuery = None,
                         q: QueueQuery = None) -> Template:
        """The queue's list (range, table, pager), refreshed by htmx every 30 seconds and on filter
        changes; the address bar follows the filters (HX-Replace-Url), so the list stays bookmarkable."""
        context = await self._queue_context(request, caller, _filters(view, status, county_id, school_id, q))
        return Template("tickets/_queue_rows.html", context=context,
                        headers={"HX-Replace-Url": context["view"].url()})

    @get("/for-school/{school_id:int}", opt=requires(Permission.TICKETS_READ))
    async def school_section(self, caller: Caller, school_id: FromPath[int]) -> Template:
        """The tickets section of a school page, loaded by htmx (inventory does not import tickets)."""
        tickets = await services.tickets_for_school(caller, school_id, limit=10)
        return Template("tickets/_school_tickets.html", context={"tickets": tickets, "school_id": school_id})

    @get("/for-asset/{asset_kind:str}/{asset_id:int}", opt=requires(Permission.TICKETS_READ))
    async def asset_section(self, caller: Caller, asset_kind: FromPath[str], asset_id: FromPath[int]) -> Template:
        """The tickets section of an access point's or device's page, loaded by htmx."""
        tickets = await services.tickets_for_asset(caller, asset_kind, asset_id)
        return Template("tickets/_asset_tickets.html", context={"tickets": tickets, **LABELS})

    @post("/claim-next", opt=requires(Permission.TICKETS_WORK), status_code=303)
    async def claim_next(self, caller: Caller) -> Redirect:
        claimed = await queue.claim_next(caller)
        if claimed is None:
            return Redirect(path="/tickets", query_params={"claimed": "none"}, status_code=303)
        return Redirect(path=f"/tickets/{claimed['id']}", status_code=303)

    @post("/views", opt=READ_FORM, status_code=303)
    async def save_view(self, request: Request[Any, Any, Any], caller: Caller,
                        data: URLEncodedBody[SavedViewForm]) -> Response[Any]:
        """Save the queue's filters under a name. Every field is checked at once; a refusal shows the queue
        again (422) with the typed name and each reason in the form, and saves nothing."""
        filters = _filters(data.view, data.status, data.county_id, data.school_id, data.q)
        # A filter that is not a number is not dropped unsaid.
        found = [FieldError(field, rules.WHOLE_NUMBER) for field in ("county_id", "school_id")
                 if getattr(data, field).strip() and _int_or_none(getattr(data, field)) is None]
        outcome = await form_flow.attempt(request, lambda: queue.save_view(caller, data.name, filters),
                                          found=found + queue.view_errors(caller, data.name, filters))
        if isinstance(outcome, form_flow.Refused):
            # The list behind the form shows the filters that were to be saved, or all open tickets when
            # those are what was refused (the message names which).
            shown = filters if outcome.errors.keys() <= {"name"} else queue.Filters()
            context = await self._queue_context(request, caller, shown)
            typed, found = shown_again(data, outcome.found)
            return await self._queue_page(context, caller, status_code=outcome.status, view_name=typed.name,
                                          view_errors={error.field: error.message for error in found})
        return Redirect(path="/tickets?" + _query(filters), status_code=303)

    @post("/views/delete", opt=requires(Permission.TICKETS_READ), status_code=303)
    async def delete_view(self, caller: Caller, data: URLEncodedBody[ViewDeleteForm]) -> Redirect:
        await queue.delete_view(caller, _int_or_none(data.id) or 0)
        return Redirect(path="/tickets", status_code=303)

    async def _ticket_page(self, caller: Scope, ticket_id: int, *, status_code: int = 200,
                           found: Sequence[FieldError] = (), problem: str = "",
                           time_form: Mapping[str, str] | None = None,
                           status_form: StatusForm | None = None, comment_form: CommentForm | None = None,
                           time_refused: bool = False) -> Template:
        """The ticket page; a refused form's reasons (`found`, each shown at its field and in the focused error
        summary, `form_flow.summary`, with `problem` about the whole form first), `time_form` and `status_form`
        what was typed into the time form, the status (or closing) form and the comment form (`comment_form`)
        when it comes back refused (else
        the time form offers today). The time form's summary stands at that form (`time_refused`), every
        other form's at the top of the page."""
        ticket = await services.get_ticket(caller, ticket_id)
        reason_needed = workflow.needs_reason(Status(ticket["status"]), Status.CLOSED)
        closing = status_form is not None and status_form.status == Status.CLOSED
        labels = {**FIELD_LABELS, **({"comment": REASON_LABEL} if closing and reason_needed else {})}
        order = {name: position for position, name in enumerate(labels)}
        problems = form_flow.summary(sorted(found, key=lambda error: order.get(error.field, len(order))), labels,
                                     (problem,) if problem else ())
        works = caller.can(Permission.TICKETS_WORK)
        allowed = workflow.allowed_targets(caller.role, Status(ticket["status"]))
        # The ticket read (and its scope checked) once; what hangs on it at once (sql.concurrently).
        events, attachments, assets, *work = await concurrently(
            services.events_of(caller, ticket), attachments_of(ticket), services.ticket_assets(ticket),
            *((worktime.entries_of(caller, ticket), text_modules.for_ticket(caller, ticket),
               services.eligible_assignees(caller, ticket["county_id"]), services.reporter_history(caller, ticket))
              if works else ()))
        entries, modules, assignees, history = work or ([], [], [], [])
        return Template("tickets/ticket.html", status_code=status_code, context={
            "ticket": ticket, "events": events, "attachments": attachments, "time_entries": entries,
            "assignees": assignees,
            # The workflow's natural order; closing, for good, has a form of its own.
            "targets": [status for status in Status if status in allowed and status != Status.CLOSED],
            "may_close": Status.CLOSED in allowed,
            "reason_needed": reason_needed,
            "status_form": status_form or StatusForm(), "comment_form": comment_form or CommentForm(),
            "can_work": works, "can_report": caller.can(Permission.TICKETS_REPORT), "me": caller.actor.user_id,
            "errors": {error.field: error.message for error in found},
            "problems": [] if time_refused else problems, "time_problems": problems if time_refused else [],
            "minutes_total": sum(e["minutes"] for e in entries),
            "time_form": time_form or {"minutes": "", "worked_on": worktime.today().isoformat(), "note": ""},
            "time_earliest": worktime.opened_on(ticket).isoformat(), "time_latest": worktime.latest_day().isoformat(),
            "note_length": worktime.NOTE_LENGTH,
            "assets": assets, "text_modules": modules, "history": history, **LABELS})

    @get("/{ticket_id:int}", name="ticket", opt=requires(Permission.TICKETS_READ))
    async def ticket_page(self, caller: Caller, ticket_id: FromPath[int]) -> Template:
        return await self._ticket_page(caller, ticket_id)

    @get("/{ticket_id:int}/presence", opt=requires(Permission.TICKETS_READ))
    async def presence(self, caller: Caller, ticket_id: FromPath[int]) -> Template:
        """Polled by the ticket page: records the caller and names the others who have it open."""
        return Template("tickets/_presence.html", context={"others": await queue.touch_presence(caller, ticket_id)})

    async def _act(self, request: Request[Any, Any, Any], caller: Scope, ticket_id: int,
                   action: Callable[[], Awaitable[Any]]) -> Response[Any]:
        """One of the ticket page's forms: done, or the page again with the reason at the field (422)."""
        outcome = await form_flow.attempt(request, action)
        if isinstance(outcome, form_flow.Refused):
            return await self._ticket_page(caller, ticket_id, status_code=outcome.status, found=outcome.found,
                                           problem=outcome.problem)
        return Redirect(path=f"/tickets/{ticket_id}", status_code=303)

    @post("/{ticket_id:int}/claim", opt=requires(Permission.TICKETS_WORK), status_code=303)
    async def claim(self, request: Request[Any, Any, Any], caller: Caller, ticket_id: FromPath[int]) -> Response[Any]:
        return await self._act(request, caller, ticket_id,
                               lambda: services.assign(caller, ticket_id, caller.actor.user_id))

    @post("/{ticket_id:int}/assign", opt=requires(Permission.TICKETS_WORK), status_code=303)
    async def assign(self, request: Request[Any, Any, Any], caller: Caller, ticket_id: FromPath[int],
                     data: URLEncodedBody[AssignForm]) -> Response[Any]:
        return await self._act(request, caller, ticket_id,
                               lambda: services.assign(caller, ticket_id, _int_or_none(data.assignee_id)))

    @post("/{ticket_id:int}/status", opt=READ_FORM, status_code=303)
    async def status(self, request: Request[Any, Any, Any], caller: Caller, ticket_id: FromPath[int],
                     data: URLEncodedBody[StatusForm]) -> Response[Any]:
        """Change the status, or close the ticket (confirmed with a tick). Every field is checked at once; a
        refusal shows the page again (422) with what was typed and each reason at its field."""
        found = [FieldError("confirm", CONFIRM_CLOSING)] if data.status == Status.CLOSED and not data.confirm else []
        outcome = await form_flow.attempt(request, lambda: services.change_status(
            caller, ticket_id, data.status, comment=data.comment.strip() or None),
            found=found + await services.status_errors(caller, ticket_id, data.status, data.comment))
        if isinstance(outcome, form_flow.Refused):
            typed, found = shown_again(data, outcome.found)
            return await self._ticket_page(caller, ticket_id, status_code=outcome.status, found=found,
                                           problem=outcome.problem, status_form=typed)
        return Redirect(path=f"/tickets/{ticket_id}", status_code=303)

    @post("/{ticket_id:int}/comment", opt=REPORT_FORM, status_code=303)
    async def comment(self, request: Request[Any, Any, Any], caller: Caller, ticket_id: FromPath[int],
                      data: URLEncodedBody[CommentForm]) -> Response[Any]:
        outcome = await form_flow.attempt(request, lambda: services.add_comment(
            caller, ticket_id, data.body, public=data.visibility != "internal"))
        if isinstance(outcome, form_flow.Refused):  # the text comes back as typed: a long comment is not lost
            typed, found = shown_again(data, outcome.found)
            return await self._ticket_page(caller, ticket_id, status_code=outcome.status, found=found,
                                           problem=outcome.problem, comment_form=typed)
        return Redirect(path=f"/tickets/{ticket_id}", status_code=303)

    @post("/{ticket_id:int}/time", opt=WORK_FORM, status_code=303)
    async def log_time(self, request: Request[Any, Any, Any], caller: Caller, ticket_id: FromPath[int],
                       data: URLEncodedBody[TimeForm]) -> Response[Any]:
        """Book time from the ticket page. Every field is checked at once; a refusal shows the page again
        (422) with what was typed and each reason at its field, and books nothing."""
        found: list[FieldError] = []
        minutes = _whole_number(data.minutes)
        if minutes is None:
            found.append(FieldError("minutes", NOT_MINUTES))
        day = rules.day(found, "worked_on", data.worked_on)
        if not data.worked_on.strip():
            found.append(FieldError("worked_on", rules.REQUIRED))  # the form offers today
        outcome = await form_flow.attempt(
            request, lambda: worktime.log_time(caller, ticket_id, minutes or 0, worked_on=day, note=data.note),
            found=found + await worktime.time_errors(caller, ticket_id, minutes, day))
        if isinstance(outcome, form_flow.Refused):
            typed, found = shown_again(data, outcome.found)
            return await self._ticket_page(caller, ticket_id, status_code=outcome.status, found=found,
                                           problem=outcome.problem,
                                           time_form={name: getattr(typed, name) for name in TIME_FIELDS},
                                           time_refused=True)
        # Back at the time section; the form's own address has no fragment, which would keep a refused
        # form's error summary from taking the focus (autofocus yields to a fragment's target).
        return Redirect(path=f"/tickets/{ticket_id}#time", status_code=303)

    @post("/{ticket_id:int}/priority", opt=requires(Permission.TICKETS_WORK), status_code=303)
    async def priority(self, request: Request[Any, Any, Any], caller: Caller, ticket_id: FromPath[int],
                       data: URLEncodedBody[PriorityForm]) -> Response[Any]:
        return await self._act(request, caller, ticket_id, lambda: services.reprioritise(
            caller, ticket_id, impact=data.impact or None, urgency=data.urgency or None))

    @post("/{ticket_id:int}/attachments", opt=requires(Permission.TICKETS_REPORT), status_code=303,
          request_max_body_size=uploads.UPLOAD_LIMIT)
    async def upload(self, request: Request[Any, Any, Any], caller: Caller, ticket_id: FromPath[int],
                     data: MultipartBody[uploads.UploadForm]) -> Response[Any]:
        content = await data.file.read()
        return await self._act(request, caller, ticket_id, lambda: add_attachment(
            caller, ticket_id, data.file.filename or "datei", content))

    @get("/attachments/{attachment_id:int}", opt=requires(Permission.TICKETS_READ))
    async def download(self, caller: Caller, attachment_id: FromPath[int]) -> Response[bytes]:
        return uploads.download(*await get_attachment(caller, attachment_id))


CATEGORY_FORM = CATEGORY.form()
NEW_CATEGORY_SHOWS = ("name",)  # the new category's row asks for its name; it starts active at position 0
if TYPE_CHECKING:
    CategoryForm = msgspec.Struct
else:
    CategoryForm = CATEGORY.form_struct("CategoryForm", extra=("id",))


class TicketAdminPages(Controller):
    """The admins' categories: one form per category and one for a new one, their fields derived from
    the category's description; a bad value comes back next to its field (422)."""

    path = "/admin/ticket-categories"
    include_in_schema = False

    async def _page(self, *, status_code: int = 200, posted_id: int | None = None,
                    posted: Mapping[str, Any] | None = None,
                    errors: Mapping[str, tuple[str, str]] | None = None) -> Template:
        """Every category's form (the one posted, `posted_id` or None for the new one, with what was sent
        and its errors: field -> (label, reason), message ids)."""
        def shown(category_id: int | None, row: Mapping[str, Any]) -> list[dict[str, Any]]:
            mine = posted is not None and category_id == posted_id
            values = posted if mine and posted is not None else forms.from_row(CATEGORY_FORM, row)
            skip = () if category_id is not None else tuple(f.name for f in CATEGORY_FORM
                                                           if f.name not in NEW_CATEGORY_SHOWS)
            shown_errors = {name: message for name, (_label, message) in (errors or {}).items()} if mine else {}
            return forms.fields(CATEGORY_FORM, values, shown_errors, skip=skip)

        categories = await list_categories(active_only=False)
        flash = [f"{gettext(label)}: {gettext(message)}" for label, message in (errors or {}).values()]
        return Template("tickets/categories.html", status_code=status_code, context={
            "categories": [{"id": c["id"], "fields": shown(c["id"], c)} for c in categories],
            "new": shown(None, {}), "errors": flash})

    @get("/", name="ticket_categories", opt=requires(Permission.USERS_MANAGE))
    async def categories(self, caller: Caller) -> Template:
        return await self._page()

    @post("/", opt=requires(Permission.USERS_MANAGE), status_code=303)
    async def save(self, request: Request[Any, Any, Any], caller: Caller,
                   data: URLEncodedBody[CategoryForm]) -> Response[Any]:
        posted = msgspec.structs.asdict(data)
        category_id = _int_or_none(posted.pop("id"))
        outcome = await form_flow.attempt(request, lambda: save_category(caller, posted, category_id=category_id))
        if isinstance(outcome, form_flow.Refused):
            return await self._page(status_code=outcome.status, posted_id=category_id, posted=posted,
                                    errors={e.field: (e.label or e.field, e.message) for e in outcome.found})
        return Redirect(path="/admin/ticket-categories", status_code=303)


# --- public pages --------------------------------------------------------------------------------


class ReplyForm(msgspec.Struct):
    body: str = ""


class PublicPages(Controller):
    include_in_schema = False

    async def _form(self, form: ReportForm, *, status_code: int = 200, errors: list[FieldError] | None = None,
                    headers: dict[str, str] | None = None, school: dict[str, Any] | None = None) -> Template:
        return Template("tickets/report.html", status_code=status_code, headers=headers, context={
            "form": form, "errors": {e.field: e.message for e in errors or []},
            "problems": form_flow.summary(errors or [], public_services.FIELD_LABELS),
            "field_labels": public_services.FIELD_LABELS, "school": school, "categories": await list_categories(),
            "retention_days": get_settings().ticket_retention_days, **LABELS})

    @get("/report", name="report", opt=public())
    async def report_form(self, request: Request[Any, Any, Any],
                          school: Annotated[str, QueryParameter(required=False)] = "") -> Template:
        """The fault form; a logged-in school contact finds their school, name and address filled in."""
        user = current_user(request)
        if user and user.get("role") == "school" and user.get("school_id") and not school.strip():
            found = await public_services.school_by_id(user["school_id"])
            form = ReportForm(name=user.get("display_name") or "", email=user.get("email") or "")
        else:
            found = await public_services.school_by_number(school) if school.strip().isdigit() else None
            form = ReportForm()
        form.school_number = found["school_number"] if found else ""
        return await self._form(form, school=found)

    @post("/report", opt=form_limits.at_fields(public()), status_code=201)
    async def report(self, request: Request[Any, Any, Any], data: URLEncodedBody[ReportForm]) -> Template:
        """A refused report comes back with what was typed and each reason at its field; the school number
        is the service's to judge (stripped, five digits, a school's), whatever its length."""
        user = current_user(request)
        try:
            outcome = await form_flow.attempt(request, lambda: public_services.submit_report(
                data, client_ip=client_ip(request), user_id=user["id"] if user else None,
                request_id=request_id(request)), left_to_service=("school_number",))
        except public_services.RateLimited as exc:
            minutes = max(1, math.ceil(exc.retry_after / 60))
            message = ngettext("You have sent too many reports. Please try again in %(num)s minute.",
                               "You have sent too many reports. Please try again in %(num)s minutes.", minutes) \
                if exc.per_user else \
                ngettext("Too many reports from your network. Please try again in %(num)s minute.",
                         "Too many reports from your network. Please try again in %(num)s minutes.", minutes)
            shown, errors = shown_again(data, [FieldError("form", message)])
            return await self._form(shown, status_code=429, headers={"Retry-After": str(exc.retry_after)},
                                    errors=errors, school=await self._school_of(shown))
        if isinstance(outcome, form_flow.Refused):
            shown, errors = shown_again(data, outcome.found)
            return await self._form(shown, status_code=outcome.status, errors=errors,
                                    school=await self._school_of(shown))
        ticket, token = outcome.value
        return Template("tickets/report_done.html", status_code=201, context={
            "ticket": ticket, "tracking_path": f"/track/{token}", "tracking_url": services.tracking_url(token)})

    @staticmethod
    async def _school_of(form: ReportForm) -> dict[str, Any] | None:
        """The school a form that comes back names, shown next to its number."""
        number = form.school_number.strip()
        return await public_services.school_by_number(number) if number.isdigit() else None

    @get("/track/{token:str}", name="track", opt=public())
    async def track(self, token: FromPath[str]) -> Template:
        return await self._tracking_page(token, 200, {})

    @post("/track/{token:str}", opt=public(), status_code=303)
    async def reply(self, request: Request[Any, Any, Any], token: FromPath[str],
                    data: URLEncodedBody[ReplyForm]) -> Response[Any]:
        try:
            outcome = await form_flow.attempt(request, lambda: public_services.reply(
                token, data.body, client_ip=client_ip(request), request_id=request_id(request)))
        except public_services.RateLimited as exc:
            return await self._tracking_page(token, 429, {"body": N_("Too many replies from your network. Please "
                                                                     "try again in a few minutes.")},
                                             headers={"Retry-After": str(exc.retry_after)}, body=data.body)
        if isinstance(outcome, form_flow.Refused):
            return await self._tracking_page(token, outcome.status, outcome.errors, body=data.body)
        return Redirect(path=f"/track/{token}", status_code=303)

    async def _tracking_page(self, token: str, status_code: int, errors: dict[str, str],
                             headers: dict[str, str] | None = None, body: str = "") -> Template:
        """The tracking page; after a refused reply, with the reply as it was typed and why."""
        ticket, events = await public_services.tracking_view(token)
        return Template("tickets/track.html", status_code=status_code, headers=headers, context={
            "ticket": ticket, "events": events, "token": token, "errors": errors, "body": body,
            "max_reply": public_services.MAX_REPLY, **LABELS})
