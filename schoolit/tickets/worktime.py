"""Time booked on tickets: minutes of work per entry, an internal event on the ticket's timeline and
an audit row each; the monthly reports sum them (`reports.py`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from schoolit.accounts import audit
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import FieldError, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.kernel.times import BERLIN
from schoolit.tickets.choices import INTERNAL_KINDS, EventKind
from schoolit.tickets.services import add_event, get_ticket, mark_worked, now, sees_internal
from schoolit.tickets.tables import TimeEntry


async def log_time(scope: Scope, ticket_id: int, minutes: int, *, worked_on: dt.date | None = None,
                   note: str = "") -> dict[str, Any]:
    """Book minutes of work on a ticket (1 to 1440 per entry)."""
    scope.require(Permission.TICKETS_WORK)
    errors = []
    if not 1 <= minutes <= 1440:
        errors.append(FieldError("minutes", N_("must be between 1 and 1440")))
    day = worked_on or now().astimezone(BERLIN).date()
    if day > now().astimezone(BERLIN).date() + dt.timedelta(days=1):
        errors.append(FieldError("worked_on", N_("must not be in the future")))
    if errors:
        raise ValidationFailed(errors)
    async with atomic():
        ticket = await get_ticket(scope, ticket_id, lock=True)
        rows = await TimeEntry.insert(TimeEntry(ticket_id=ticket_id, county_id=ticket["county_id"],
                                                user_id=scope.actor.user_id, minutes=minutes, worked_on=day,
                                                note=note.strip()[:300])).returning(*TimeEntry.all_columns())
        await mark_worked(scope, ticket_id)
        await add_event(scope, ticket, EventKind.TIME, public=False, body=note.strip()[:300],
                        data={"minutes": minutes, "worked_on": day.isoformat()})
        await audit.record(scope, "ticket.time", object_type="ticket", object_id=ticket_id,
                           county_id=ticket["county_id"], after={"minutes": minutes, "worked_on": day})
    return rows[0]


async def time_entries(scope: Scope, ticket_id: int) -> list[dict[str, Any]]:
    """The time booked on a ticket: internal (`EventKind.TIME`), so none for school contacts."""
    return await entries_of(scope, await get_ticket(scope, ticket_id))


async def entries_of(scope: Scope, ticket: dict[str, Any]) -> list[dict[str, Any]]:
    """`time_entries` of a ticket `get_ticket` has read for this scope (the ticket page reads it once)."""
    if EventKind.TIME in INTERNAL_KINDS and not sees_internal(scope):
        return []
    return await TimeEntry.select(*TimeEntry.all_columns()).where(TimeEntry.ticket_id == ticket["id"]).order_by(
        TimeEntry.id)
