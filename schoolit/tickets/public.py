"""The public side: the fault form for school staff without an account, and the tracking page.

Nobody is logged in here, so these services act as an anonymous Scope limited to the one school (the
form) or the one ticket (the tracking token). Both anonymous writes (reports and replies) have a
per-address rate limit kept in PostgreSQL (schoolit.throttle), so it holds across worker processes
and under concurrency.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from schoolit import rules, throttle
from schoolit.accounts.choices import ActorKind, Role
from schoolit.accounts.scope import Actor, Scope
from schoolit.accounts.security import digest
from schoolit.db import atomic
from schoolit.errors import FieldError, NotFound, ValidationFailed
from schoolit.inventory import services as inventory
from schoolit.inventory.resources.school import UNKNOWN_SCHOOL_NUMBER
from schoolit.kernel.i18n import N_
from schoolit.sql import fetch
from schoolit.tickets import notifications, workflow
from schoolit.tickets.choices import EventKind, Happening, Source, Status
from schoolit.tickets.schemas import ReportForm
from schoolit.tickets.services import (
    TICKET_SELECT,
    NewTicket,
    add_event,
    apply_status,
    input_errors,
    insert_ticket,
    lock_ticket,
    now,
    public_timeline,
    with_sla_state,
)

RATE_LIMIT = 5
REPLY_RATE_LIMIT = 20
RATE_WINDOW = dt.timedelta(minutes=10)
MAX_REPLY = 5_000

# The form's fields in the order it shows them: errors are listed in this order, each with its label.
FIELD_LABELS = {
    "school_number": N_("School number"),
    "category_id": N_("Category"),
    "urgency": N_("How urgent is it?"),
    "subject": N_("Subject"),
    "description": N_("What is wrong?"),
    "device_serial": N_("Device serial number (optional)"),
    "room": N_("Room (optional)"),
    "name": N_("Your name (optional)"),
    "email": N_("Your e-mail address"),
    "consent": N_("Consent"),
}
PLEASE_ENTER = N_("please enter")
PLEASE_CHOOSE = N_("please choose")


class RateLimited(Exception):
    """Too many submissions from one address; `retry_after` in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


def anonymous(label: str, county_id: int | None = None, school_id: int | None = None, *,
              request_id: str = "", client_ip: str | None = None) -> Scope:
    counties = frozenset({county_id}) if county_id is not None else frozenset()
    return Scope(role=Role.SCHOOL, actor=Actor(ActorKind.ANONYMOUS, label=label[:254]), county_ids=counties,
                 school_id=school_id, request_id=request_id, client_ip=client_ip)


async def school_by_number(number: str) -> dict[str, Any] | None:
    return await inventory.school_summary(school_number=number.strip())


async def school_by_id(school_id: int) -> dict[str, Any] | None:
    return await inventory.school_summary(school_id=school_id)


async def check_rate(client_key: str, moment: dt.datetime, *, limit: int = RATE_LIMIT) -> None:
    """Count this anonymous write against its key; RateLimited when the key used up its quota in
    the window (schoolit.throttle: counted and recorded atomically)."""
    async def recent(since: dt.datetime) -> list[dt.datetime]:
        rows = await fetch("SELECT at FROM report_attempt WHERE client_key = {} AND at > {} ORDER BY at",
                           client_key, since)
        return [row["at"] for row in rows]

    async def record() -> None:
        await fetch("INSERT INTO report_attempt (client_key, at) VALUES ({}, {})", client_key, moment)
        await fetch("DELETE FROM report_attempt WHERE at < {}", moment - 2 * RATE_WINDOW)

    wait = await throttle.admit("report:" + client_key, limit=limit, window=RATE_WINDOW, moment=moment,
                                recent=recent, record=record)
    if wait is not None:
        raise RateLimited(wait)


def _in_form_order(errors: list[FieldError]) -> list[FieldError]:
    """One error per field (the first), fields in the form's order; `reporter_email` is the form's `email`."""
    order = list(FIELD_LABELS)
    shown: dict[str, FieldError] = {}
    for error in errors:
        field = "email" if error.field == "reporter_email" else error.field
        shown.setdefault(field, FieldError(field, error.message, FIELD_LABELS.get(field)))
    return sorted(shown.values(), key=lambda e: order.index(e.field) if e.field in order else len(order))


async def submit_report(form: ReportForm, *, client_ip: str | None, request_id: str = "") -> tuple[dict[str, Any], str]:
    """Validate the form and open a ticket; returns the ticket and its tracking token.

    ValidationFailed lists every problem at once, each with its field's label. The rate limit counts
    every submission that passes the honeypot, valid or not (it runs in its own transaction, so a
    rejected form still counts)."""
    moment = now()
    if form.website.strip():
        raise ValidationFailed([FieldError("form", N_("the form could not be processed"))])
    await check_rate(digest(client_ip or "unknown"), moment)
    school, data, errors = await _checked(form)
    if errors or school is None:
        raise ValidationFailed(_in_form_order(errors))
    scope = anonymous(form.email.strip() or "anonymous", school["county_id"], school["id"],
                      request_id=request_id, client_ip=client_ip)
    return await insert_ticket(scope, data, school)


async def _checked(form: ReportForm) -> tuple[dict[str, Any] | None, NewTicket, list[FieldError]]:
    """The school, the ticket to open and every problem with the form (all fields, even when the
    school number is unknown; the form names no asset, so the school's own checks are its number's)."""
    errors: list[FieldError] = []
    school = await school_by_number(form.school_number) if form.school_number.strip() else None
    if not form.school_number.strip():
        errors.append(FieldError("school_number", PLEASE_ENTER))
    elif school is None:
        errors.append(FieldError("school_number", UNKNOWN_SCHOOL_NUMBER))
    if not form.category_id.strip():
        errors.append(FieldError("category_id", PLEASE_CHOOSE))
    if not form.description.strip():
        errors.append(FieldError("description", N_("please describe the fault")))
    if not form.email.strip():
        errors.append(FieldError("email", N_("an e-mail address is needed for replies")))
    if not form.consent.strip():
        errors.append(FieldError("consent", N_("please agree to the processing of your details")))
    category_id = int(form.category_id) if form.category_id.strip().isdigit() else 0
    subject = form.subject.strip() or form.description.strip().splitlines()[0][:120] if (
        form.subject.strip() or form.description.strip()) else ""
    data = NewTicket(school_id=school["id"] if school else 0, category_id=category_id, subject=subject,
                     description=form.description, urgency=form.urgency, source=Source.WEB_FORM,
                     reporter_email=form.email.strip(), reporter_name=form.name, device_serial=form.device_serial,
                     room_text=form.room)
    more = await input_errors(data)
    # A subject left empty is taken from the description, a category left unchosen is reported above.
    errors += [e for e in more if (e.field != "subject" or subject)
               and (e.field != "category_id" or form.category_id.strip())]
    return school, data, errors


async def ticket_by_token(token: str) -> dict[str, Any]:
    """The ticket a tracking token opens (404 for any other string)."""
    if not token or len(token) > 100:
        raise NotFound(rules.TICKET_NOT_FOUND)
    rows = await fetch(TICKET_SELECT + " WHERE t.tracking_hash = {}", digest(token))
    if not rows:
        raise NotFound(rules.TICKET_NOT_FOUND)
    return with_sla_state(rows[0])


async def tracking_view(token: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What the tracking page shows: the ticket and its public events."""
    ticket = await ticket_by_token(token)
    return ticket, await public_timeline(ticket["id"])


async def reply(token: str, body: str, *, client_ip: str | None, request_id: str = "") -> dict[str, Any]:
    """The reporter answers on the tracking page; a ticket resolved in the last 14 days reopens."""
    # Replies are anonymous writes too: counted per address (a key of their own, so a school's
    # reports and its staff's replies do not use up each other's quota).
    await check_rate(digest("reply:" + (client_ip or "unknown")), now(), limit=REPLY_RATE_LIMIT)
    errors: list[FieldError] = []
    body = rules.not_empty(errors, "body", body)
    if errors:
        raise ValidationFailed(errors)
    if len(body) > MAX_REPLY:
        raise ValidationFailed([FieldError("body", f"at most {MAX_REPLY} characters")])
    async with atomic():
        found = await ticket_by_token(token)
        await lock_ticket(found["id"])
        ticket = await ticket_by_token(token)
        scope = anonymous(ticket["reporter_email"] or "reporter", ticket["county_id"], ticket["school_id"],
                          request_id=request_id, client_ip=client_ip)
        await record_reply(scope, ticket, body)
    return await ticket_by_token(token)


def takes_replies(ticket: dict[str, Any]) -> bool:
    """Whether the reporter may still answer: not closed, and not resolved longer ago than replies reopen."""
    status = Status(ticket["status"])
    return status != Status.CLOSED and (status != Status.RESOLVED or workflow.reopens_on_reply(
        status, ticket["resolved_at"], now()))


async def record_reply(scope: Scope, ticket: dict[str, Any], body: str) -> None:
    """The reporter's reply on a locked ticket (the tracking page, or a mail answering ours): a public
    `reply` event, the handlers told, and a resolved ticket reopened. ValidationFailed when closed."""
    if not takes_replies(ticket):
        raise ValidationFailed([FieldError("body", N_("this ticket is closed; please report a new fault"))])
    await add_event(scope, ticket, EventKind.REPLY, public=True, body=body)
    await notifications.emit(Happening.REPORTER_REPLY, ticket, body=body)
    if ticket["status"] == Status.RESOLVED.value:
        await apply_status(scope, ticket, workflow.reopened_status(ticket["assignee_id"]), reason="ticket.reopen")
    else:
        await fetch("UPDATE ticket SET updated_at = {} WHERE id = {}", now(), ticket["id"])
