"""The ticket status state machine: which role may move a ticket from which status to which.

Pure rules, no database. Supporters work tickets; admins may also reopen a closed one; a school
contact may confirm a resolution (close); the reporter's reply reopens a ticket resolved recently.
Closing is for good (only admins reopen), so a ticket closed without having been resolved — spam, a
duplicate, closed straight from new — tells its reporter why.
"""

from __future__ import annotations

import datetime as dt

from schoolit.accounts.choices import Role
from schoolit.tickets.choices import Status

REOPEN_WINDOW = dt.timedelta(days=14)

_WORKER: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED, Status.CLOSED}),
    Status.ASSIGNED: frozenset({Status.NEW, Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED}),
    Status.IN_PROGRESS: frozenset({Status.ASSIGNED, Status.WAITING, Status.RESOLVED}),
    Status.WAITING: frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

TRANSITIONS: dict[Role, dict[Status, frozenset[Status]]] = {
    Role.SUPPORTER: _WORKER,
    Role.ADMIN: {**_WORKER, Status.CLOSED: frozenset({Status.IN_PROGRESS})},
    Role.SCHOOL: {Status.RESOLVED: frozenset({Status.CLOSED})},
    Role.AUTHORITY: {},
    Role.PROBE: {},
}
# The system (probes' outage tickets, the close-resolved job) moves along the worker's paths.
SYSTEM_TRANSITIONS = _WORKER


def allowed_targets(role: Role, current: Status) -> frozenset[Status]:
    return TRANSITIONS.get(role, {}).get(current, frozenset())


def may_transition(role: Role, current: Status, target: Status) -> bool:
    return target in allowed_targets(role, current)


def needs_reason(current: Status, target: Status) -> bool:
    """Whether the change must come with a comment for the reporter: closing a ticket that was not
    resolved (the reporter heard of no solution; the comment says why, e.g. "reported twice (SIT-…)")."""
    return target == Status.CLOSED and current != Status.RESOLVED


def needs_assignee(status: Status) -> bool:
    """Assigned and in-progress tickets have somebody on them."""
    return status in (Status.ASSIGNED, Status.IN_PROGRESS)


def reopens_on_reply(status: Status, resolved_at: dt.datetime | None, now: dt.datetime) -> bool:
    """A reporter's reply reopens a ticket resolved within the last 14 days."""
    return status == Status.RESOLVED and resolved_at is not None and now - resolved_at <= REOPEN_WINDOW


def reopened_status(assignee_id: int | None) -> Status:
    """Where a reopened ticket goes: back to its supporter, or to the queue."""
    return Status.IN_PROGRESS if assignee_id is not None else Status.NEW
