"""The shared queue: filtered ticket lists and views, claim-next, saved views and presence.

A supporter of an arrangement sees the tickets of every member county (the Scope does that).
`claim_next` hands out the most urgent unassigned ticket with one UPDATE whose sub-select locks the
row with FOR UPDATE SKIP LOCKED: concurrent claimers skip each other's rows instead of waiting, and
the status re-check under the lock means no ticket is ever claimed twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import msgspec

from schoolit import lists, rules
from schoolit.accounts import audit, directory
from schoolit.accounts.choices import Role
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import FieldError, Forbidden, NotFound, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import Fragment, all_of, fetch, fragment
from schoolit.tickets import overdue
from schoolit.tickets.choices import OPEN_STATUSES
from schoolit.tickets.services import TICKET_SELECT, get_ticket, now, status_named, with_sla_state
from schoolit.tickets.tables import SavedView

PRESENCE_WINDOW = dt.timedelta(seconds=45)  # a page polls every 15 s; three misses and it is gone

# Every built-in view: name -> label. "county" and "school" group the open tickets by where they are;
# "mine" are the caller's to work on (assigned to them), "reported" those the caller reported.
VIEWS = {
    "open": N_("All open"),
    "mine": N_("Mine"),
    "unassigned": N_("Unassigned"),
    "breaching": N_("Overdue or due soon"),
    "county": N_("By county"),
    "school": N_("By school"),
    "reported": N_("Reported by me"),
    "all": N_("All, including closed"),
}
VIEW_NOT_OFFERED = N_("this view is not offered to your role")


@dataclass(frozen=True)
class RoleQueue:
    """What the ticket list is for a role: its heading, the views it offers (name -> label, in the order
    shown; any other view is refused), and whether it filters by county and keeps saved views."""

    heading: str
    views: dict[str, str]
    counties: bool = True
    saved_views: bool = True


def _views(*names: str, **labels: str) -> dict[str, str]:
    """The views named, in that order, each with its label in VIEWS unless `labels` gives another."""
    return {name: labels.get(name, VIEWS[name]) for name in names}


_WORKERS = RoleQueue(N_("Ticket queue"), _views("open", "mine", "unassigned", "breaching", "county", "school", "all"))
# The views of each role, here in one place. Supporters and admins work the queue: the tickets assigned to
# them, those nobody has yet. The school authority oversees it read-only and is never assigned a ticket, so
# it has neither. A school contact follows their own school's tickets, those they reported among them; one
# school lies in one county, and nobody works or claims tickets from their list.
QUEUES: dict[Role, RoleQueue] = {
    Role.ADMIN: _WORKERS,
    Role.SUPPORTER: _WORKERS,
    Role.AUTHORITY: RoleQueue(N_("Ticket queue"), _views("open", "breaching", "county", "school", "all")),
    Role.SCHOOL: RoleQueue(N_("Our school's tickets"), _views("open", "reported", "all", open=N_("Open")),
                           counties=False, saved_views=False),
}
_NONE = RoleQueue("", {}, counties=False, saved_views=False)


def queue_of(scope: Scope) -> RoleQueue:
    """The ticket list the caller's role has (`QUEUES`)."""
    return QUEUES.get(scope.role, _NONE)


def view_errors_of(scope: Scope, view: str) -> list[FieldError]:
    """Why the caller's list has no view of that name ([] when it has)."""
    if view in queue_of(scope).views:
        return []
    return [FieldError("view", VIEW_NOT_OFFERED if view in VIEWS else rules.NOT_ALLOWED)]


# "county" and "school" group by where the tickets are before any sort; ties go most urgent first.
GROUPS = {"county": "c.name", "school": "c.name, s.name"}
URGENCY = "t.priority, t.resolution_due_at NULLS LAST, t.id"
# The queue's sort keys (its column headers): key -> SQL expression; "-key" sorts descending.
SORTS = {"number": "t.number", "priority": "t.priority", "subject": "lower(t.subject)", "category": "lower(cat.name)",
         "school": "lower(s.name)", "county": "c.name", "status": "t.status", "assignee": "lower(u.display_name)",
         "due": "t.resolution_due_at"}
DEFAULT_SORT = "priority"


def order_by(view: str, sort: str | None) -> str:
    """The ORDER BY of a view sorted by `sort` (a key of SORTS, "-key" descending)."""
    key, descending = lists.sort_key(sort, SORTS, DEFAULT_SORT)
    direction = "DESC" if descending else "ASC"
    return ", ".join([*([GROUPS[view]] if view in GROUPS else []), f"{SORTS[key]} {direction} NULLS LAST", URGENCY])


@dataclass(frozen=True)
class Filters:
    view: str = "open"
    status: str | None = None
    county_id: int | None = None
    school_id: int | None = None
    category_id: int | None = None
    assignee_id: int | None = None
    q: str | None = None  # the search text: at most lists.SEARCH_LENGTH characters (`lists.search_errors`)
    source: str | None = None  # how the ticket came in (schoolit.tickets.choices.Source), e.g. probe outages


def _where(scope: Scope, filters: Filters, moment: dt.datetime) -> Fragment:
    parts = [scope.where("t.county_id", school="t.school_id")]
    open_values = [s.value for s in OPEN_STATUSES]
    if errors := lists.search_errors(filters.q):
        raise ValidationFailed(errors)
    if errors := view_errors_of(scope, filters.view):
        raise ValidationFailed(errors)
    if filters.status:
        parts.append(fragment("t.status = {}", status_named(filters.status).value))
    elif filters.view != "all":
        parts.append(fragment("t.status = ANY({})", open_values))
    if filters.view == "mine":
        parts.append(fragment("t.assignee_id = {}", scope.actor.user_id or -1))
    elif filters.view == "unassigned":
        parts.append(fragment("t.assignee_id IS NULL"))
    elif filters.view == "reported":
        parts.append(fragment("t.reporter_user_id = {}", scope.actor.user_id or -1))
    elif filters.view == "breaching":
        parts.append(overdue.due_soon(moment))
    for column, value in (("t.county_id", filters.county_id), ("t.school_id", filters.school_id),
                          ("t.category_id", filters.category_id), ("t.assignee_id", filters.assignee_id)):
        if value is not None:
            parts.append(fragment(f"{column} = {{}}", value))
    if filters.source:
        parts.append(fragment("t.source = {}", filters.source))
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        parts.append(fragment("(t.number ILIKE {} OR t.subject ILIKE {} OR s.name ILIKE {})",
                              pattern, pattern, pattern))
    return all_of(*parts)


async def list_tickets(scope: Scope, filters: Filters, *, limit: int = 50, offset: int = 0,
                       sort: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """Tickets in scope matching the filters, most urgent first unless sorted otherwise (`sort`, a key of
    SORTS); and how many match in total."""
    scope.require(Permission.TICKETS_READ)
    moment = now()
    where = _where(scope, filters, moment)
    order = order_by(filters.view, sort)
    rows = await fetch(TICKET_SELECT + f" WHERE {{}} ORDER BY {order} LIMIT {{}} OFFSET {{}}", where, limit, offset)
    total = await fetch("SELECT count(*) AS n FROM ticket t JOIN school_directory s ON s.id = t.school_id WHERE {}",
                        where)
    return [with_sla_state(row, moment) for row in rows], int(total[0]["n"])


# The caller's values come once, in `caller`; the scope's condition follows. Constants are inlined and
# times come from now() (the statement's transaction time): fewer parameters to encode keep the hot
# path close to the bare UPDATE.
_CLAIM_AUDITED = audit.insert_sql(
    "claimed, caller", at="now()", actor_kind="caller.actor_kind", actor_id="caller.actor_id",
    actor_label="caller.label", request_id="caller.request_id", client_ip="caller.client_ip",
    action="'ticket.claim'", object_type="'ticket'", object_id="claimed.id::text", county_id="claimed.county_id",
    before="""'{{"status": "new", "assignee_id": null}}'::jsonb""",
    after="jsonb_build_object('status', 'assigned', 'assignee_id', caller.user_id)")
CLAIM_SQL = """
WITH caller AS (
    SELECT {}::int AS user_id, {}::text AS label, {}::text AS actor_kind, {}::int AS actor_id,
           {}::text AS request_id, {}::inet AS client_ip
), claimed AS (
    UPDATE ticket SET assignee_id = caller.user_id, status = 'assigned', updated_at = now(), worked_by_person = true,
           first_response_at = coalesce(first_response_at, now()),
           sla_breached = sla_breached OR coalesce(first_response_at IS NULL AND response_due_at < now(), false)
      FROM caller
     WHERE ticket.id = (SELECT id FROM ticket t
                         WHERE t.status = 'new' AND t.assignee_id IS NULL AND {}
                         ORDER BY t.priority, t.resolution_due_at NULLS LAST, t.id
                         LIMIT 1 FOR UPDATE SKIP LOCKED)
       AND ticket.status = 'new' AND ticket.assignee_id IS NULL
    RETURNING ticket.id, ticket.number, ticket.county_id, ticket.school_id, ticket.priority, ticket.status,
              ticket.assignee_id
), event AS (
    INSERT INTO ticket_event (ticket_id, county_id, at, kind, public, actor_id, actor_label, body, data)
    SELECT claimed.id, claimed.county_id, now(), 'status', true, caller.user_id, caller.label, '',
           '{{"from": "new", "to": "assigned", "claimed": true}}'::jsonb FROM claimed, caller
), audited AS (
    """ + _CLAIM_AUDITED + """
)
SELECT * FROM claimed
"""  # noqa: S608 (constants)


async def claim_next(scope: Scope) -> dict[str, Any] | None:
    """Assign the most urgent unassigned ticket in scope to the caller; None when the queue is empty.

    One statement claims, writes the timeline event and appends the audit row (the columns
    `audit.record` writes; nothing in it is secret): a claim is a single round trip, atomic on its
    own, so 32 supporters claiming at once cost little more than the bare UPDATE (bench/claim.py)."""
    scope.require(Permission.TICKETS_WORK)
    user_id = scope.actor.user_id
    if user_id is None:
        raise ValidationFailed([FieldError("caller", N_("only people claim tickets"))])
    rows = await fetch(CLAIM_SQL, user_id, scope.actor.label[:254], scope.actor.kind.value, scope.actor.id,
                       scope.request_id[:64], scope.client_ip, scope.where("t.county_id", school="t.school_id"))
    return rows[0] if rows else None


# --- saved views ---------------------------------------------------------------------------------


async def saved_views(scope: Scope) -> list[dict[str, Any]]:
    if scope.actor.user_id is None or not queue_of(scope).saved_views:
        return []
    return await SavedView.select(SavedView.id, SavedView.name, SavedView.filters).where(
        SavedView.user_id == scope.actor.user_id).order_by(SavedView.name).output(load_json=True)


VIEW_NAME_LENGTH = 80  # SavedView.name


def view_errors(scope: Scope, name: str, filters: Filters) -> list[FieldError]:
    """Why filters cannot be saved under a name ([] when they can), every field at once: a name of 1 to
    80 characters, a view of the caller's list, a known status, a search text the list takes."""
    errors: list[FieldError] = []
    rules.one_to(errors, "name", name, VIEW_NAME_LENGTH)
    errors += view_errors_of(scope, filters.view)
    errors += lists.search_errors(filters.q)
    if filters.status:
        try:
            status_named(filters.status)
        except ValidationFailed as exc:
            errors += exc.errors
    return errors


async def save_view(scope: Scope, name: str, filters: Filters) -> dict[str, Any]:
    """Keep the current filters under a name (per person; the same name replaces)."""
    scope.require(Permission.TICKETS_READ)
    if scope.actor.user_id is None:
        raise ValidationFailed([FieldError("caller", N_("only people save views"))])
    if not queue_of(scope).saved_views:
        raise Forbidden(N_("your ticket list keeps no saved views"))
    if errors := view_errors(scope, name, filters):
        raise ValidationFailed(errors)
    name = name.strip()
    _where(scope, filters, now())  # what else the list refuses
    encoded = msgspec.json.encode({k: v for k, v in asdict(filters).items() if v is not None}).decode()
    async with atomic():
        await fetch("DELETE FROM saved_view WHERE user_id = {} AND lower(name) = lower({})",
                    scope.actor.user_id, name)
        row = (await SavedView.insert(SavedView(user_id=scope.actor.user_id, name=name, filters=encoded))
               .returning(SavedView.id, SavedView.name))[0]
        await audit.record(scope, "ticket_view.save", object_type="saved_view", object_id=row["id"],
                           after={"name": name, "filters": encoded})
    return row


async def delete_view(scope: Scope, view_id: int) -> None:
    async with atomic():
        rows = await SavedView.delete().where(
            (SavedView.id == view_id) & (SavedView.user_id == (scope.actor.user_id or -1))).returning(SavedView.id)
        if not rows:
            raise NotFound(N_("view not found"))
        await audit.record(scope, "ticket_view.delete", object_type="saved_view", object_id=view_id)


def filters_of(saved: dict[str, Any]) -> Filters:
    known = {k: v for k, v in (saved or {}).items() if k in Filters.__dataclass_fields__}
    return Filters(**known)


# --- presence ------------------------------------------------------------------------------------


async def touch_presence(scope: Scope, ticket_id: int) -> list[dict[str, Any]]:
    """Record that the caller has the ticket open; returns the others who have it open right now."""
    ticket = await get_ticket(scope, ticket_id)
    user_id = scope.actor.user_id
    moment = now()
    if user_id is not None:
        await fetch("INSERT INTO ticket_presence (ticket_id, user_id, last_seen_at) VALUES ({}, {}, {}) "
                    "ON CONFLICT (ticket_id, user_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
                    ticket["id"], user_id, moment)
    present = await fetch("SELECT user_id FROM ticket_presence WHERE ticket_id = {} AND user_id <> {} "
                          "AND last_seen_at > {}", ticket["id"], user_id or -1, moment - PRESENCE_WINDOW)
    return await directory.display_names(row["user_id"] for row in present)
