"""Services of the tickets domain: creating and reading tickets, the status machine with its SLA
bookkeeping, assignment and comments. The tickets the probes domain opens and resolves for outages
are in `outages.py`, time booked on tickets in `worktime.py`, the categories in `categories.py`, the
queue and claim in `queue.py`, the public form in `public.py`, the reports in `reports.py`, e-mail in
`mail.py`.

Every function takes the caller's Scope first; every change is audited in its own transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import msgspec

from schoolit import rules
from schoolit.accounts import audit, directory, tenants
from schoolit.accounts.choices import ActorKind, Role
from schoolit.accounts.scope import Scope
from schoolit.accounts.security import digest
from schoolit.db import atomic
from schoolit.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from schoolit.inventory import services as inventory
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.kernel.i18n import gettext as _
from schoolit.kernel.times import BERLIN
from schoolit.settings import get_settings
from schoolit.sql import concurrently, fetch
from schoolit.tickets import mail, notifications, overdue, workflow
from schoolit.tickets.choices import (
    INTERNAL_KINDS,
    OPEN_STATUSES,
    PAUSED_STATUSES,
    PROBE_PREFIX,
    PUBLIC_KINDS,
    REPORTER_LABEL,
    STATUS_LABELS,
    SYSTEM_ACTORS,
    AssetKind,
    EventKind,
    Happening,
    Level,
    Source,
    Status,
)
from schoolit.tickets.policy import Policy, policy_for_county
from schoolit.tickets.sla import business_seconds_between, due_times, priority_of
from schoolit.tickets.tables import TicketCategory, TicketEvent

TRACKING_PREFIX = "trk_"
NOT_A_LEVEL = N_("must be low, medium or high")
UNKNOWN_CATEGORY = N_("unknown category")
UNKNOWN_STATUS = N_("unknown status")
# A choice left at "– please choose –" (the fault form's category, a new status).
PLEASE_CHOOSE = N_("please choose")
CLOSING_REASON = N_("please tell the reporter why the ticket is closed without a solution")

TICKET_SELECT = """
SELECT t.id, t.number, t.county_id, c.name AS county_name, t.school_id, s.name AS school_name,
       s.school_number, t.category_id, cat.name AS category, t.source, t.subject, t.description, t.urgency,
       t.impact, t.priority, t.status, t.assignee_id, u.display_name AS assignee_name, t.reporter_email,
       t.reporter_name, t.reporter_user_id, t.access_point_id, t.device_id, t.uplink_id, t.room_id,
       t.device_serial, t.room_text, t.response_due_at, t.resolution_due_at, t.resolution_warn_at,
       t.paused_seconds, t.paused_since, t.first_response_at, t.sla_breached, t.worked_by_person,
       t.resolved_at, t.closed_at, t.created_at, t.updated_at
  FROM ticket t
  JOIN school_directory s ON s.id = t.school_id
  JOIN county_directory c ON c.id = t.county_id
  JOIN ticket_category cat ON cat.id = t.category_id
  LEFT JOIN user_directory u ON u.id = t.assignee_id
"""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def with_sla_state(row: dict[str, Any], moment: dt.datetime | None = None) -> dict[str, Any]:
    """The ticket row as a dict with its `sla_state` (ok, warning, breached, paused) by the rule every figure
    counts by (`overdue.state_of`), and which deadlines a breach missed (`sla_missed`, `sla_breach`)."""
    row = dict(row)
    moment = moment or now()
    row["sla_state"] = overdue.state_of(row, moment)
    # For words next to the colour: every missed deadline (the ticket's rows), the first names it alone (the queue).
    row["sla_missed"] = overdue.missed_deadlines(row, moment)
    row["sla_breach"] = row["sla_missed"][0] if row["sla_missed"] else None
    return row


async def lock_ticket(ticket_id: int) -> None:
    """Lock the ticket's row until the transaction ends (the row only: what a listing joins is read, not
    locked)."""
    await fetch("SELECT id FROM ticket WHERE id = {} FOR UPDATE", ticket_id)


async def ticket_row(ticket_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    if lock:
        await lock_ticket(ticket_id)
    rows = await fetch(TICKET_SELECT + " WHERE t.id = {}", ticket_id)
    return dict(rows[0]) if rows else None


async def get_ticket(scope: Scope, ticket_id: int, *, lock: bool = False) -> dict[str, Any]:
    """One ticket in the caller's scope (404 otherwise)."""
    scope.require(Permission.TICKETS_READ)
    row = await ticket_row(ticket_id, lock=lock)
    if row is None:
        raise NotFound(rules.TICKET_NOT_FOUND)
    scope.check(row["county_id"], row["school_id"], missing=rules.TICKET_NOT_FOUND)
    return with_sla_state(row)


def label_of(scope: Scope) -> str:
    """How the timeline and attachments name who acted."""
    return scope.actor.label or scope.actor.kind.value


async def add_event(scope: Scope, ticket: dict[str, Any], kind: EventKind, *, public: bool, body: str = "",
                    data: dict[str, Any] | None = None, actor_label: str | None = None) -> None:
    await TicketEvent.insert(TicketEvent(
        ticket_id=ticket["id"], county_id=ticket["county_id"], kind=kind.value, public=public,
        actor_id=scope.actor.user_id, actor_label=(actor_label if actor_label is not None else label_of(scope)),
        body=body, data=msgspec.json.encode(data, enc_hook=str).decode() if data is not None else None,
    ))


def audit_view(ticket: dict[str, Any]) -> dict[str, Any]:
    keys = ("number", "status", "priority", "urgency", "impact", "assignee_id", "category_id", "school_id",
            "sla_breached")
    return {key: ticket.get(key) for key in keys}


def _is_worker(scope: Scope) -> bool:
    return scope.can(Permission.TICKETS_WORK)


def _person_acts(scope: Scope) -> bool:
    return scope.actor.kind in (ActorKind.USER, ActorKind.TOKEN)


async def mark_worked(scope: Scope, ticket_id: int) -> None:
    """A person's work on a ticket (not a probe's) keeps the probes from resolving it by themselves."""
    if _person_acts(scope):
        await update_ticket(ticket_id, {"worked_by_person": True})


# --- numbers and tokens --------------------------------------------------------------------------


async def next_number(moment: dt.datetime) -> str:
    """SIT-<year>-<5 digits>: the year's counter row is bumped in the caller's transaction, so the
    row lock orders concurrent creators and a rolled-back ticket gives its number back."""
    year = moment.astimezone(BERLIN).year
    rows = await fetch(
        "INSERT INTO ticket_counter (year, last_value) VALUES ({}, 1) ON CONFLICT (year) "
        "DO UPDATE SET last_value = ticket_counter.last_value + 1 RETURNING last_value", year)
    return f"SIT-{year}-{rows[0]['last_value']:05d}"


def new_tracking_token() -> tuple[str, str]:
    token = TRACKING_PREFIX + secrets.token_urlsafe(24)
    return token, digest(token)


def tracking_url(token: str) -> str:
    return f"{get_settings().public_url}/track/{token}"


# --- creating ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewTicket:
    school_id: int
    category_id: int
    subject: str
    description: str = ""
    urgency: str = Level.MEDIUM.value
    impact: str | None = None
    source: Source = Source.UI
    reporter_email: str = ""
    reporter_name: str = ""
    asset_kind: str | None = None
    asset_id: int | None = None
    device_serial: str = ""
    room_text: str = ""
    # The account of the person who reports, when they are signed in but act through the public form (its
    # Scope is anonymous): their list's "Reported by me" finds the ticket.
    reporter_user_id: int | None = None


async def check_asset(kind: str | None, asset_id: int | None, school_id: int, errors: list[FieldError]) -> None:
    if kind is None and asset_id is None:
        return
    if kind not in {k.value for k in AssetKind} or asset_id is None:
        errors.append(FieldError("asset_kind", N_("give asset_kind (access_point, device, uplink, room) and asset_id")))
        return
    if not await inventory.asset_at_school(kind, asset_id, school_id):
        errors.append(FieldError("asset_id", N_("no such asset at this school")))


def level_errors(**given: str | None) -> list[FieldError]:
    """A field error for each given impact or urgency that is no level (None: not given)."""
    levels = {level.value for level in Level}
    return [FieldError(name, NOT_A_LEVEL) for name, value in given.items() if value is not None and value not in levels]


def status_named(value: str) -> Status:
    """The status a filter or a change names; "please choose" for none, "unknown status" for any other
    text."""
    if not value.strip():
        raise ValidationFailed([FieldError("status", PLEASE_CHOOSE)])
    try:
        return Status(value)
    except ValueError:
        raise ValidationFailed([FieldError("status", UNKNOWN_STATUS)]) from None


async def input_errors(data: NewTicket) -> list[FieldError]:
    """Every problem with the input that does not depend on the school (the public form checks these
    even when its school number is unknown, so one answer lists everything)."""
    errors: list[FieldError] = []
    rules.not_empty(errors, "subject", data.subject)
    if len(data.subject) > 200:
        errors.append(FieldError("subject", N_("at most 200 characters")))
    if len(data.description) > 10_000:
        errors.append(FieldError("description", N_("at most 10,000 characters")))
    errors += level_errors(urgency=data.urgency, impact=data.impact)
    if data.reporter_email and not rules.is_email(data.reporter_email):
        errors.append(FieldError("reporter_email", rules.NOT_AN_EMAIL))
    category = await TicketCategory.select(TicketCategory.active).where(TicketCategory.id == data.category_id).first()
    if category is None or not category["active"]:
        errors.append(FieldError("category_id", UNKNOWN_CATEGORY))
    return errors


async def validate_new(scope: Scope, data: NewTicket) -> tuple[dict[str, Any], list[FieldError]]:
    """The school row and every problem with the input (the school must be in scope: 404)."""
    errors = await input_errors(data)
    school = await inventory.school_summary(school_id=data.school_id)
    if school is None or not scope.sees(school["county_id"], school["id"]):
        raise NotFound(rules.SCHOOL_NOT_FOUND)
    await check_asset(data.asset_kind, data.asset_id, data.school_id, errors)
    return school, errors


async def create_ticket(scope: Scope, data: NewTicket) -> tuple[dict[str, Any], str]:
    """Open a ticket; returns it and its tracking token (shown once, only the digest is kept)."""
    scope.require(Permission.TICKETS_REPORT)
    school, errors = await validate_new(scope, data)
    if errors:
        raise ValidationFailed(errors)
    return await insert_ticket(scope, data, school)


async def insert_ticket(scope: Scope, data: NewTicket, school: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Write a validated ticket (callers check input and scope first) with its event, audit row and mail."""
    impact = data.impact if data.impact and _is_worker(scope) else Level.MEDIUM.value
    moment = now()
    policy = await policy_for_county(school["county_id"])
    priority = priority_of(data.urgency, impact, policy.matrix)
    due = due_times(policy.calendar, moment, policy.target(priority))
    token, token_hash = new_tracking_token()
    assets = {f"{k.value}_id": data.asset_id if data.asset_kind == k.value else None for k in AssetKind}
    reporter_user_id = data.reporter_user_id or (scope.actor.user_id if scope.role == Role.SCHOOL else None)
    async with atomic():
        number = await next_number(moment)
        rows = await fetch(
            "INSERT INTO ticket (number, county_id, school_id, category_id, source, subject, description, urgency, "
            "impact, priority, status, reporter_user_id, reporter_email, reporter_name, tracking_hash, "
            "device_serial, room_text, response_due_at, resolution_due_at, resolution_warn_at, created_at, "
            "updated_at, access_point_id, device_id, uplink_id, room_id) VALUES ({}, {}, {}, {}, {}, {}, {}, "
            "{}, {}, {}, 'new', {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id",
            number, school["county_id"], school["id"], data.category_id, data.source.value, data.subject.strip(),
            data.description.strip(), data.urgency, impact, int(priority), reporter_user_id,
            data.reporter_email.strip().lower(), data.reporter_name.strip()[:120], token_hash,
            data.device_serial.strip()[:80], data.room_text.strip()[:60], due.response_due_at, due.resolution_due_at,
            due.resolution_warn_at, moment, moment, assets["access_point_id"], assets["device_id"],
            assets["uplink_id"], assets["room_id"])
        ticket = await ticket_row(rows[0]["id"])
        assert ticket is not None
        await add_event(scope, ticket, EventKind.CREATED, public=True, data={"source": data.source.value})
        await audit.record(scope, "ticket.create", object_type="ticket", object_id=ticket["id"],
                           county_id=ticket["county_id"], after=audit_view(ticket))
        await notifications.emit(Happening.TICKET_CREATED, ticket, actor_user_id=scope.actor.user_id)
        if ticket["reporter_email"]:
            await mail.enqueue(ticket["reporter_email"], _("Your fault report %(number)s", number=number),
                               _("Thank you for your report. Your ticket number is %(number)s.\n\n"
                                 "Follow it and reply here:\n%(url)s\n", number=number, url=tracking_url(token)),
                               ticket_id=ticket["id"])
    return with_sla_state(ticket, moment), token


# --- status, assignment, priority ----------------------------------------------------------------


def sla_changes(ticket: dict[str, Any], target: Status, moment: dt.datetime, policy: Policy) -> dict[str, Any]:
    """Column changes a status change makes to the SLA bookkeeping (pure)."""
    changes: dict[str, Any] = {"status": target.value, "updated_at": moment}
    was_paused = Status(ticket["status"]) in PAUSED_STATUSES
    paused = target in PAUSED_STATUSES
    paused_seconds = ticket["paused_seconds"]
    if paused and not was_paused:
        changes["paused_since"] = moment
    elif was_paused and not paused:
        since = ticket["paused_since"] or moment
        paused_seconds += int(business_seconds_between(policy.calendar, since, moment))
        changes.update(paused_since=None, paused_seconds=paused_seconds)
        due = due_times(policy.calendar, ticket["created_at"], policy.target(ticket["priority"]), paused_seconds)
        changes.update(response_due_at=due.response_due_at, resolution_due_at=due.resolution_due_at,
                       resolution_warn_at=due.resolution_warn_at)
    if target == Status.RESOLVED:
        changes["resolved_at"] = moment
        if ticket["resolution_due_at"] is not None and moment > ticket["resolution_due_at"]:
            changes["sla_breached"] = True
    elif target != Status.CLOSED:
        changes["resolved_at"] = None
    changes["closed_at"] = moment if target == Status.CLOSED else None
    return changes


def response_changes(ticket: dict[str, Any], scope: Scope, moment: dt.datetime) -> dict[str, Any]:
    """A supporter acting on a ticket for the first time answers it (the response SLA)."""
    if not (_person_acts(scope) and _is_worker(scope)):
        return {}
    changes: dict[str, Any] = {"worked_by_person": True}
    if ticket["first_response_at"] is None:
        changes["first_response_at"] = moment
        if ticket["response_due_at"] is not None and moment > ticket["response_due_at"]:
            changes["sla_breached"] = True
    return changes


async def update_ticket(ticket_id: int, changes: dict[str, Any]) -> None:
    if not changes:
        return
    columns = list(changes)
    assignments = ", ".join(f"{column} = {{}}" for column in columns)
    await fetch(f"UPDATE ticket SET {assignments} WHERE id = {{}}", *changes.values(), ticket_id)  # noqa: S608 (column names are ours)


async def _notify_reporter(ticket: dict[str, Any], status: Status, comment: str | None = None) -> None:
    """Mail the reporter the new status, with the comment that came with it (why a ticket was closed)."""
    if ticket["reporter_email"]:
        await mail.enqueue(
            ticket["reporter_email"], _("Ticket %(number)s: %(status)s", number=ticket["number"],
                                        status=_(STATUS_LABELS[status])),
            _("The status of your ticket %(number)s (%(subject)s) is now: %(status)s.\n",
              number=ticket["number"], subject=ticket["subject"], status=_(STATUS_LABELS[status]))
            + (f"\n{comment}\n" if comment else ""),
            ticket_id=ticket["id"])


async def apply_status(scope: Scope, ticket: dict[str, Any], target: Status, *, comment: str | None = None,
                       extra: dict[str, Any] | None = None, reason: str = "ticket.status") -> dict[str, Any]:
    """Move a locked ticket to `target` (the caller has checked the transition) with its SLA bookkeeping,
    timeline event, audit row and reporter mail."""
    moment = now()
    current = Status(ticket["status"])
    policy = await policy_for_county(ticket["county_id"])
    changes = {**sla_changes(ticket, target, moment, policy), **response_changes(ticket, scope, moment),
               **(extra or {})}
    if workflow.needs_assignee(target) and ticket["assignee_id"] is None and "assignee_id" not in changes:
        if scope.actor.user_id is None or not _is_worker(scope):
            raise Conflict(N_("an assigned ticket needs an assignee"))
        changes["assignee_id"] = scope.actor.user_id
    if target == Status.NEW:
        changes["assignee_id"] = None
    await update_ticket(ticket["id"], changes)
    await add_event(scope, ticket, EventKind.STATUS, public=True, body=comment or "",
                    data={"from": current.value, "to": target.value})
    if "assignee_id" in changes and changes["assignee_id"] != ticket["assignee_id"]:
        await add_event(scope, ticket, EventKind.ASSIGNMENT, public=False,
                        data={"from": ticket["assignee_id"], "to": changes["assignee_id"]})
    after = {**ticket, **changes}
    await audit.record(scope, reason, object_type="ticket", object_id=ticket["id"], county_id=ticket["county_id"],
                       before=audit_view(ticket), after=audit_view(after))
    if target != current:
        await _notify_reporter(ticket, target, comment)
        await notifications.emit(Happening.STATUS_CHANGED, ticket, actor_user_id=scope.actor.user_id,
                                 **{"from": current.value, "to": target.value})
    return after


def reason_errors(current: Status, target: Status, comment: str | None) -> list[FieldError]:
    """A change that must tell the reporter why (`workflow.needs_reason`: closed unresolved) and has no
    comment: the comment's field error."""
    if workflow.needs_reason(current, target) and not (comment or "").strip():
        return [FieldError("comment", CLOSING_REASON)]
    return []


async def status_errors(scope: Scope, ticket_id: int, target: str, comment: str | None) -> list[FieldError]:
    """The field errors `change_status` would refuse the change with (a page shows them beside its own
    checks): no status or an unknown one, a reason missing. Whether the role may make it is not a field's."""
    try:
        status = status_named(target)
    except ValidationFailed as exc:
        return list(exc.errors)
    ticket = await get_ticket(scope, ticket_id)
    return reason_errors(Status(ticket["status"]), status, comment)


async def change_status(scope: Scope, ticket_id: int, target: str, *, comment: str | None = None) -> dict[str, Any]:
    """A status change by a person, within the transitions their role may make; one that closes an unresolved
    ticket says why in `comment` (the reporter reads it)."""
    scope.require(Permission.TICKETS_READ)
    status = status_named(target)
    async with atomic():
        ticket = await get_ticket(scope, ticket_id, lock=True)
        current = Status(ticket["status"])
        if status == current:
            return ticket
        if not workflow.may_transition(scope.role, current, status):
            if not _is_worker(scope) and not workflow.allowed_targets(scope.role, current):
                raise Forbidden(N_("your role may not change this ticket's status"))
            raise Conflict(N_("a ticket cannot go from %(current)s to %(status)s"), current=STATUS_LABELS[current],
                           status=STATUS_LABELS[status])
        if errors := reason_errors(current, status, comment):
            raise ValidationFailed(errors)
        await apply_status(scope, ticket, status, comment=(comment or "").strip() or None)
    return await get_ticket(scope, ticket_id)


async def eligible_assignees(scope: Scope, county_id: int) -> list[dict[str, Any]]:
    """Active supporters (and admins) whose scope covers the county."""
    scope.check(county_id, missing=rules.COUNTY_NOT_FOUND)
    return await directory.supporters_of_county(county_id)


async def assign(scope: Scope, ticket_id: int, assignee_id: int | None) -> dict[str, Any]:
    """Give a ticket to a supporter (or back to the queue with None)."""
    scope.require(Permission.TICKETS_WORK)
    async with atomic():
        ticket = await get_ticket(scope, ticket_id, lock=True)
        if assignee_id is not None and assignee_id not in {
                u["id"] for u in await eligible_assignees(scope, ticket["county_id"])}:
            raise ValidationFailed([FieldError("assignee_id", N_("not a supporter of this ticket's county"))])
        if assignee_id == ticket["assignee_id"]:
            return ticket
        current = Status(ticket["status"])
        if current == Status.CLOSED:
            raise Conflict(N_("a closed ticket cannot be assigned"))
        if assignee_id is not None and current == Status.NEW:
            await apply_status(scope, ticket, Status.ASSIGNED, extra={"assignee_id": assignee_id},
                               reason="ticket.assign")
        elif assignee_id is None and workflow.needs_assignee(current):
            await apply_status(scope, ticket, Status.NEW, reason="ticket.assign")
        else:
            moment = now()
            await update_ticket(ticket_id, {"assignee_id": assignee_id, "updated_at": moment,
                                      **response_changes(ticket, scope, moment)})
            await add_event(scope, ticket, EventKind.ASSIGNMENT, public=False,
                            data={"from": ticket["assignee_id"], "to": assignee_id})
            await audit.record(scope, "ticket.assign", object_type="ticket", object_id=ticket_id,
                               county_id=ticket["county_id"], before=audit_view(ticket),
                               after=audit_view({**ticket, "assignee_id": assignee_id}))
        if assignee_id is not None:
            await notifications.emit(Happening.ASSIGNED, ticket, actor_user_id=scope.actor.user_id, to=assignee_id)
    return await get_ticket(scope, ticket_id)


async def priority_changes(scope: Scope, ticket: dict[str, Any], impact: str, urgency: str,
                            moment: dt.datetime) -> dict[str, Any]:
    """New impact and urgency: the priority follows and, when it changes, the due times (with the time
    paused so far) and a priority event on the timeline."""
    policy = await policy_for_county(ticket["county_id"])
    priority = int(priority_of(urgency, impact, policy.matrix))
    changes: dict[str, Any] = {"impact": impact, "urgency": urgency, "priority": priority, "updated_at": moment}
    if priority != ticket["priority"]:
        paused = ticket["paused_seconds"]
        if ticket["paused_since"] is not None:
            paused += int(business_seconds_between(policy.calendar, ticket["paused_since"], moment))
        due = due_times(policy.calendar, ticket["created_at"], policy.target(priority), paused)
        changes.update(response_due_at=due.response_due_at, resolution_due_at=due.resolution_due_at,
                       resolution_warn_at=due.resolution_warn_at)
        await add_event(scope, ticket, EventKind.PRIORITY, public=False,
                        data={"from": ticket["priority"], "to": priority})
    return changes


async def reprioritise(scope: Scope, ticket_id: int, *, impact: str | None = None, urgency: str | None = None,
                       category_id: int | None = None) -> dict[str, Any]:
    """Change impact, urgency or category; the priority and the due times follow."""
    scope.require(Permission.TICKETS_WORK)
    errors = level_errors(impact=impact, urgency=urgency)
    if category_id is not None and not await TicketCategory.exists().where(TicketCategory.id == category_id):
        errors.append(FieldError("category_id", UNKNOWN_CATEGORY))
    if errors:
        raise ValidationFailed(errors)
    async with atomic():
        ticket = await get_ticket(scope, ticket_id, lock=True)
        moment = now()
        changes = {**await priority_changes(scope, ticket, impact or ticket["impact"], urgency or ticket["urgency"],
                                             moment), **response_changes(ticket, scope, moment)}
        if category_id is not None:
            changes["category_id"] = category_id
        await update_ticket(ticket_id, changes)
        await audit.record(scope, "ticket.update", object_type="ticket", object_id=ticket_id,
                           county_id=ticket["county_id"], before=audit_view(ticket),
                           after=audit_view({**ticket, **changes}))
    return await get_ticket(scope, ticket_id)


# --- comments ----------------------------------------------------------------


async def add_comment(scope: Scope, ticket_id: int, body: str, *, public: bool = True) -> dict[str, Any]:
    """A public comment (the reporter sees it) or an internal note (supporters only)."""
    scope.require(Permission.TICKETS_REPORT)
    if not public and not _is_worker(scope):
        raise Forbidden(N_("only supporters write internal notes"))
    errors: list[FieldError] = []
    rules.not_empty(errors, "body", body)
    if errors:
        raise ValidationFailed(errors)
    async with atomic():
        ticket = await get_ticket(scope, ticket_id, lock=True)
        moment = now()
        await update_ticket(ticket_id, {"updated_at": moment, **(response_changes(ticket, scope, moment) if public else
                                                           {"worked_by_person": _person_acts(scope)})})
        await add_event(scope, ticket, EventKind.COMMENT if public else EventKind.NOTE, public=public,
                        body=body.strip())
        await audit.record(scope, "ticket.comment" if public else "ticket.note", object_type="ticket",
                           object_id=ticket_id, county_id=ticket["county_id"], after={"public": public})
        if public and not _is_worker(scope):  # the school answers on its own ticket
            await notifications.emit(Happening.REPORTER_REPLY, ticket, actor_user_id=scope.actor.user_id,
                                     body=body.strip())
        if public and _is_worker(scope) and ticket["reporter_email"]:
            await mail.enqueue(ticket["reporter_email"], _("Ticket %(number)s: new reply", number=ticket["number"]),
                               _("%(number)s (%(subject)s):\n\n%(body)s\n", number=ticket["number"],
                                 subject=ticket["subject"], body=body.strip()), ticket_id=ticket_id)
    return await get_ticket(scope, ticket_id)


async def timeline(scope: Scope, ticket_id: int) -> list[dict[str, Any]]:
    """Events of a ticket, oldest first; internal ones (`INTERNAL_KINDS`) only for the team."""
    return await events_of(scope, await get_ticket(scope, ticket_id))


async def events_of(scope: Scope, ticket: dict[str, Any]) -> list[dict[str, Any]]:
    """`timeline` of a ticket `get_ticket` has read for this scope (the ticket page reads it once), each
    event with its author's name (`actor_name`, see `actor_names`)."""
    query = TicketEvent.select(TicketEvent.id, TicketEvent.at, TicketEvent.kind, TicketEvent.public,
                               TicketEvent.actor_id, TicketEvent.actor_label, TicketEvent.body,
                               TicketEvent.data).where(TicketEvent.ticket_id == ticket["id"]).order_by(TicketEvent.id)
    if not sees_internal(scope):
        query = query.where((TicketEvent.public == True)  # noqa: E712
                            & TicketEvent.kind.not_in([k.value for k in INTERNAL_KINDS]))
    return await actor_names(ticket, await query.output(load_json=True))


def by_reporter(event: dict[str, Any]) -> bool:
    """Whether the reporter wrote the event: no account of ours, and an e-mail address or REPORTER_LABEL as
    its author (`choices.REPORTER_LABEL`)."""
    label = event["actor_label"] or ""
    return event["actor_id"] is None and ("@" in label or label == REPORTER_LABEL)


async def actor_names(ticket: dict[str, Any], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events with `actor_name`, how people see who wrote them — never an e-mail address: a person with
    an account by their display name, the reporter by the name they gave ("the reporter" without one), the
    system and a probe in the reader's language (`choices.SYSTEM_ACTORS`). The recorded `actor_label` (an
    address, for the reporter) is dropped: no reader gets it."""
    names = {row["id"]: row["display_name"]
             for row in await directory.display_names(e["actor_id"] for e in events if e["actor_id"] is not None)}
    reporter = ticket["reporter_name"] or _("the reporter")

    def name(event: dict[str, Any]) -> str:
        if event["actor_id"] is not None:
            return names.get(event["actor_id"]) or "–"  # accounts are deactivated, never deleted
        if by_reporter(event):
            return reporter
        label = event["actor_label"]
        if label in SYSTEM_ACTORS:
            return _(SYSTEM_ACTORS[label])
        if label.startswith(PROBE_PREFIX):
            return _("probe %(name)s", name=label.removeprefix(PROBE_PREFIX))
        return label

    return [{**{k: v for k, v in event.items() if k != "actor_label"}, "actor_name": name(event)}
            for event in events]


def sees_internal(scope: Scope) -> bool:
    """Whether the caller sees the team's internal events (`INTERNAL_KINDS`): school contacts (and
    reporters, who act as anonymous school scopes) do not."""
    return scope.role != Role.SCHOOL


async def public_timeline(ticket_id: int) -> list[dict[str, Any]]:
    """What the reporter sees: public comments, replies and status changes, never internal notes."""
    return await TicketEvent.select(TicketEvent.at, TicketEvent.kind, TicketEvent.body, TicketEvent.data,
                                    TicketEvent.actor_id).where(
        (TicketEvent.ticket_id == ticket_id) & (TicketEvent.public == True)  # noqa: E712
        & TicketEvent.kind.is_in([k.value for k in PUBLIC_KINDS])).order_by(TicketEvent.id).output(load_json=True)


# --- for other domains: the school page and the probes ------------------------------------------


async def tickets_for_school(scope: Scope, school_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """A school's open tickets first, then the latest closed ones (for the school page's partial);
    a school outside the scope is NotFound, not an empty list."""
    scope.require(Permission.TICKETS_READ)
    school = await inventory.school_summary(school_id=school_id)
    scope.check(school["county_id"] if school else None, school_id, missing=rules.SCHOOL_NOT_FOUND)
    rows = await fetch(
        TICKET_SELECT + " WHERE t.school_id = {} AND {} "
        "ORDER BY (t.status IN ('resolved', 'closed')), t.priority, t.created_at DESC LIMIT {}",
        school_id, scope.where("t.county_id", school="t.school_id"), limit)
    return [with_sla_state(row) for row in rows]


async def reporter_history(scope: Scope, ticket: dict[str, Any], limit: int = 10) -> list[dict[str, Any]]:
    """Other tickets of the same reporter (by account or e-mail address) in the caller's scope, newest
    first: what they reported before helps to judge this one."""
    scope.require(Permission.TICKETS_WORK)
    if not ticket["reporter_user_id"] and not ticket["reporter_email"]:
        return []
    rows = await fetch(
        TICKET_SELECT + " WHERE t.id <> {} AND (t.reporter_user_id = {} OR lower(t.reporter_email) = lower({})) "
        "AND {} ORDER BY t.created_at DESC LIMIT {}",
        ticket["id"], ticket["reporter_user_id"] or -1, ticket["reporter_email"] or "",
        scope.where("t.county_id", school="t.school_id"), limit)
    return [with_sla_state(row) for row in rows]


async def tickets_for_asset(scope: Scope, kind: str, asset_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The tickets about one access point, device, uplink or room (open ones first), in the caller's scope."""
    scope.require(Permission.TICKETS_READ)
    if kind not in {k.value for k in AssetKind} or not await inventory.asset_visible(scope, kind, asset_id):
        raise NotFound(N_("unknown asset"))
    rows = await fetch(
        TICKET_SELECT + f" WHERE t.{kind}_id = {{}} AND {{}} "  # the column of a known kind (checked above)
        "ORDER BY (t.status IN ('resolved', 'closed')), t.created_at DESC LIMIT {}",
        asset_id, scope.where("t.county_id", school="t.school_id"), limit)
    return [with_sla_state(row) for row in rows]


async def ticket_assets(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    """The ticket's asset with its label and page, for links: kind, id, label, href."""
    pages = {"access_point": "/access-points/{id}", "device": "/devices/{id}",
             "uplink": "/schools/{school}?section=network#uplink", "room": "/schools/{school}?section=rooms#rooms"}
    named = [(kind.value, ticket[f"{kind.value}_id"]) for kind in AssetKind
             if ticket.get(f"{kind.value}_id") is not None]
    labels = await concurrently(*(inventory.asset_label(kind, asset_id, ticket["school_id"])
                                  for kind, asset_id in named))
    return [{"kind": kind, "id": asset_id, "label": label,
             "href": pages[kind].format(id=asset_id, school=ticket["school_id"])}
            for (kind, asset_id), label in zip(named, labels, strict=True) if label is not None]


# --- tenants -----------------------------------------------------------------------------------


@tenants.hold_county_retirement
async def open_tickets_in_county(scope: Scope, county_id: int) -> tuple[int, str]:
    """How many tickets of a county are still open (new, assigned, in progress, waiting): a county
    with open tickets is not retired."""
    scope.check(county_id, missing=rules.COUNTY_NOT_FOUND)
    rows = await fetch("SELECT count(*)::int AS n FROM ticket WHERE county_id = {} AND status = ANY({})",
                       county_id, [s.value for s in OPEN_STATUSES])
    return rows[0]["n"], N_("open tickets")


# --- maintenance ---------------------------------------------------------------------------------


async def close_resolved(scope: Scope, moment: dt.datetime | None = None) -> int:
    """Close tickets resolved longer ago than their county's policy allows; returns how many."""
    moment = moment or now()
    resolved = await fetch("SELECT id, county_id, resolved_at FROM ticket WHERE status = 'resolved' "
                           "AND resolved_at IS NOT NULL ORDER BY id")
    policies: dict[int, Policy] = {}
    closed = 0
    for item in resolved:
        county_id = item["county_id"]
        if county_id not in policies:
            policies[county_id] = await policy_for_county(county_id)
        if moment - item["resolved_at"] < dt.timedelta(days=policies[county_id].close_after_days):
            continue
        async with atomic():
            ticket = await ticket_row(item["id"], lock=True)
            if ticket is None or ticket["status"] != Status.RESOLVED.value:
                continue
            await apply_status(scope, ticket, Status.CLOSED, reason="ticket.autoclose")
            closed += 1
    return closed


async def flag_breaches(scope: Scope, moment: dt.datetime | None = None) -> int:
    """Set the breach flag on running tickets past a due time (`overdue.past_sla`, which every figure also
    works out live): a breach stays one when the clock is paused and runs again."""
    moment = moment or now()
    async with atomic():
        rows = await fetch(
            "UPDATE ticket SET sla_breached = true WHERE NOT sla_breached AND {} RETURNING id, county_id, school_id",
            overdue.past_sla(moment, "ticket"))
        for row in rows:
            await audit.record(scope, "ticket.sla_breach", object_type="ticket", object_id=row["id"],
                               county_id=row["county_id"], after={"sla_breached": True})
            await notifications.emit(Happening.SLA_BREACH, row)
    return len(rows)


async def flag_warnings(scope: Scope, moment: dt.datetime | None = None) -> int:
    """Record the 80 % warning once per ticket: running, not yet breached tickets past their
    `resolution_warn_at` get `sla_warned_at` and an internal `sla_warning` event (the notifications send
    mail for these events)."""
    moment = moment or now()
    async with atomic():
        rows = await fetch(
            "UPDATE ticket SET sla_warned_at = {} WHERE sla_warned_at IS NULL AND NOT sla_breached AND status IN "
            "('new', 'assigned', 'in_progress') AND resolution_warn_at <= {} RETURNING id, county_id, school_id, "
            "resolution_due_at", moment, moment)
        for row in rows:
            await add_event(scope, row, EventKind.SLA_WARNING, public=False,
                            data={"resolution_due_at": row["resolution_due_at"].isoformat()})
            await notifications.emit(Happening.SLA_WARNING, row)
    return len(rows)
