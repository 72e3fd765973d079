"""The public side: the fault form for school staff (with or without an account), and the tracking page.

These services act as an anonymous Scope limited to the one school (the form) or the one ticket (the
tracking token). Both writes are open to anyone on the internet, so they are rate limited against spam
and abuse, with the attempts kept in PostgreSQL (`report_attempt`, schoolit.throttle) so the limits hold
across worker processes and under concurrency:

- a signed-in user (a school contact, a supporter) files at most USER_REPORT_LIMIT reports per window,
  counted per account: their address does not matter;
- an anonymous reporter is counted per address, and a school's staff usually share one (NAT at the
  school's uplink), so the budget is sized for a whole school: REPORT_LIMIT reports filed per window, and
  separately FAILED_LIMIT refused attempts (invalid form, honeypot) per window, the ceiling that stops a
  bot from hammering the form without ever filing anything. A refused attempt does not use up the
  budget for filed reports;
- replies on the tracking page: REPLY_RATE_LIMIT replies sent per address and window; their refused
  attempts (and tokens that open nothing) count against the same FAILED_LIMIT ceiling as the form's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from schoolit import limits, rules, throttle
from schoolit.accounts.choices import ActorKind, Role
from schoolit.accounts.scope import Actor, Scope
from schoolit.accounts.security import digest
from schoolit.db import atomic
from schoolit.describe import identifiers
from schoolit.errors import FieldError, NotFound, ValidationFailed
from schoolit.inventory import services as inventory
from schoolit.inventory.resources.school import UNKNOWN_SCHOOL_NUMBER
from schoolit.kernel.i18n import N_, gettext
from schoolit.sql import fetch
from schoolit.tickets import notifications, workflow
from schoolit.tickets.choices import REPORTER_LABEL, EventKind, Happening, Source, Status
from schoolit.tickets.schemas import ReportForm
from schoolit.tickets.services import (
    PLEASE_CHOOSE,
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

RATE_WINDOW = dt.timedelta(minutes=10)
REPORT_LIMIT = 20  # reports filed per address and window (anonymous: a whole school behind one address)
FAILED_LIMIT = 30  # refused attempts per address and window (anonymous): the abuse ceiling
USER_REPORT_LIMIT = 30  # reports filed per signed-in user and window
REPLY_RATE_LIMIT = 20  # replies sent per address and window (refused ones count against FAILED_LIMIT)
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


class RateLimited(Exception):
    """Too many submissions from one address (or, `per_user`, one account); `retry_after` in seconds."""

    def __init__(self, retry_after: int, *, per_user: bool = False) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after
        self.per_user = per_user


def anonymous(label: str, county_id: int | None = None, school_id: int | None = None, *,
              request_id: str = "", client_ip: str | None = None) -> Scope:
    counties = frozenset({county_id}) if county_id is not None else frozenset()
    return Scope(role=Role.SCHOOL, actor=Actor(ActorKind.ANONYMOUS, label=label[:254]), county_ids=counties,
                 school_id=school_id, request_id=request_id, client_ip=client_ip)


async def school_by_number(number: str) -> dict[str, Any] | None:
    return await inventory.school_summary(school_number=number.strip())


async def school_by_id(school_id: int) -> dict[str, Any] | None:
    return await inventory.school_summary(school_id=school_id)


async def _recent(client_key: str, since: dt.datetime) -> list[dt.datetime]:
    rows = await fetch("SELECT at FROM report_attempt WHERE client_key = {} AND at > {} ORDER BY at",
                       client_key, since)
    return [row["at"] for row in rows]


async def _record(client_key: str, moment: dt.datetime) -> None:
    await fetch("INSERT INTO report_attempt (client_key, at) VALUES ({}, {})", client_key, moment)
    await fetch("DELETE FROM report_attempt WHERE at < {}", moment - 2 * RATE_WINDOW)


async def check_rate(client_key: str, moment: dt.datetime, *, limit: int, per_user: bool = False) -> None:
    """Count this write against its key; RateLimited when the key used up its quota in the window
    (schoolit.throttle: counted and recorded atomically)."""
    wait = await throttle.admit("report:" + client_key, limit=limit, window=RATE_WINDOW, moment=moment,
                                recent=lambda since: _recent(client_key, since),
                                record=lambda: _record(client_key, moment))
    if wait is not None:
        raise RateLimited(wait, per_user=per_user)


async def check_ceiling(client_key: str, moment: dt.datetime, *, limit: int) -> None:
    """RateLimited when the key already has `limit` attempts in the window; records nothing (the
    refused attempts are recorded one by one, `_record`). Parallel requests may each pass before
    either records, so a burst can overshoot by its parallelism: fine for a ceiling against abuse."""
    times = await _recent(client_key, moment - RATE_WINDOW)
    if len(times) >= limit:
        raise RateLimited(throttle.retry_after(times[-limit], RATE_WINDOW, moment))


def _in_form_order(errors: list[FieldError]) -> list[FieldError]:
    """One error per field (the first), fields in the form's order; `reporter_email` is the form's `email`."""
    order = list(FIELD_LABELS)
    shown: dict[str, FieldError] = {}
    for error in errors:
        field = "email" if error.field == "reporter_email" else error.field
        shown.setdefault(field, FieldError(field, error.message, FIELD_LABELS.get(field)))
    return sorted(shown.values(), key=lambda e: order.index(e.field) if e.field in order else len(order))


async def submit_report(form: ReportForm, *, client_ip: str | None, user_id: int | None = None,
                        request_id: str = "") -> tuple[dict[str, Any], str]:
    """Validate the form and open a ticket; returns the ticket and its tracking token.

    ValidationFailed lists every problem at once, each with its field's label. A signed-in user
    (`user_id`) is limited per account, an anonymous reporter per address (see the module docstring)."""
    moment = now()
    failed_key = None if user_id is not None else digest("failed:" + (client_ip or "unknown"))
    if failed_key:
        await check_ceiling(failed_key, moment, limit=FAILED_LIMIT)
    if form.website.strip():
        if failed_key:
            await _record(failed_key, moment)
        raise ValidationFailed([FieldError("form", N_("the form could not be processed"))])
    school, data, errors = await _checked(form, user_id)
    if errors or school is None:
        if failed_key:
            await _record(failed_key, moment)
        raise ValidationFailed(_in_form_order(errors))
    if user_id is not None:
        await check_rate(digest(f"user:{user_id}"), moment, limit=USER_REPORT_LIMIT, per_user=True)
    else:
        await check_rate(digest(client_ip or "unknown"), moment, limit=REPORT_LIMIT)
    scope = anonymous(form.email.strip() or REPORTER_LABEL, school["county_id"], school["id"],
                      request_id=request_id, client_ip=client_ip)
    return await insert_ticket(scope, data, school)


async def _checked(form: ReportForm, user_id: int | None) -> tuple[dict[str, Any] | None, NewTicket,
                                                                    list[FieldError]]:
    """The school, the ticket to open (reported by `user_id`, the signed-in person, if any) and every problem
    with the form (all fields, even when the school number is unknown; the form names no asset, so the
    school's own checks are its number's)."""
    errors: list[FieldError] = []
    school = None
    try:  # spaces around it are what a paste brings; the number itself is the school's rule
        school = await school_by_number(identifiers.school_number(form.school_number))
    except ValueError as exc:
        errors.append(FieldError("school_number", PLEASE_ENTER if not form.school_number.strip() else str(exc)))
    else:
        if school is None:
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
                     room_text=form.room, reporter_user_id=user_id)
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
    """The reporter answers on the tracking page; a ticket resolved in the last 14 days reopens.

    Replies sent count per address (a key of their own, so a school's reports and its staff's replies do
    not use up each other's quota); refused attempts (empty, too long, a token that opens nothing, a
    closed ticket) count apart, against the abuse ceiling the fault form's refused attempts count
    against too: a colleague's typo does not lock the school out, a bot guessing tokens is stopped."""
    moment = now()
    failed_key = digest("failed:" + (client_ip or "unknown"))
    await check_ceiling(failed_key, moment, limit=FAILED_LIMIT)
    errors: list[FieldError] = []
    body = rules.not_empty(errors, "body", body)
    if len(body) > MAX_REPLY:
        errors.append(FieldError("body", gettext(limits.TOO_LONG, max=MAX_REPLY)))
    try:
        found = await ticket_by_token(token)
        if errors:
            raise ValidationFailed(errors)
        await check_rate(digest("reply:" + (client_ip or "unknown")), moment, limit=REPLY_RATE_LIMIT)
        async with atomic():
            await lock_ticket(found["id"])
            ticket = await ticket_by_token(token)
            scope = anonymous(ticket["reporter_email"] or REPORTER_LABEL, ticket["county_id"], ticket["school_id"],
                              request_id=request_id, client_ip=client_ip)
            await record_reply(scope, ticket, body)
    except (NotFound, ValidationFailed):
        await _record(failed_key, moment)
        raise
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
