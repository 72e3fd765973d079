"""Time booked on tickets: minutes of work per entry, an internal event on the ticket's timeline and
an audit row each; the monthly reports sum them (`reports.py`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from schoolit import limits
from schoolit.accounts import audit
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import FieldError, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, gettext
from schoolit.kernel.times import BERLIN, day_text
from schoolit.tickets.choices import INTERNAL_KINDS, EventKind
from schoolit.tickets.services import add_event, get_ticket, mark_worked, now, sees_internal
from schoolit.tickets.tables import TimeEntry

MIN_MINUTES, MAX_MINUTES = 1, 1440  # one entry: at least a minute, at most a whole day
NOTE_LENGTH = 300  # TimeEntry.note
IN_THE_FUTURE = N_("must not be in the future")
BEFORE_OPENED = N_("must not be before %(day)s, the day the ticket was opened")


def today() -> dt.date:
    """The day in Germany, which a time entry's day is (the page's default)."""
    return now().astimezone(BERLIN).date()


def latest_day() -> dt.date:
    """The latest day an entry may name: tomorrow, for work done after midnight elsewhere."""
    return today() + dt.timedelta(days=1)


def opened_on(ticket: dict[str, Any]) -> dt.date:
    """The day in Germany the ticket was opened: the earliest day time may be booked on it (the page's
    earliest choice)."""
    opened: dt.datetime = ticket["created_at"]
    return opened.astimezone(BERLIN).date()


def entry_errors(minutes: int | None, worked_on: dt.date | None, ticket: dict[str, Any]) -> list[FieldError]:
    """Why minutes and a day cannot be booked on the ticket ([] when they can); a value that is None is not
    checked (the caller has its own error for it). The range is named as every limit is ("at least 1"); the
    day lies from the day the ticket was opened up to tomorrow."""
    errors = []
    if minutes is not None and minutes < MIN_MINUTES:
        errors.append(FieldError("minutes", gettext(limits.TOO_SMALL, min=MIN_MINUTES)))
    elif minutes is not None and minutes > MAX_MINUTES:
        errors.append(FieldError("minutes", gettext(limits.TOO_LARGE, max=MAX_MINUTES)))
    if worked_on is not None and worked_on > latest_day():
        errors.append(FieldError("worked_on", IN_THE_FUTURE))
    elif worked_on is not None and worked_on < opened_on(ticket):
        errors.append(FieldError("worked_on", gettext(BEFORE_OPENED, day=day_text(opened_on(ticket)))))
    return errors


async def time_errors(scope: Scope, ticket_id: int, minutes: int | None,
                      worked_on: dt.date | None) -> list[FieldError]:
    """`entry_errors` for a ticket in the caller's scope, before booking (a form that names every problem
    at once, those it finds itself too)."""
    scope.require(Permission.TICKETS_WORK)
    return entry_errors(minutes, worked_on, await get_ticket(scope, ticket_id))


async def log_time(scope: Scope, ticket_id: int, minutes: int, *, worked_on: dt.date | None = None,
                   note: str = "") -> dict[str, Any]:
    """Book minutes of work on a ticket (1 to 1440 per entry) on a day from the day it was opened up to
    tomorrow (default today)."""
    scope.require(Permission.TICKETS_WORK)
    day = worked_on or today()
    async with atomic():
        ticket = await get_ticket(scope, ticket_id, lock=True)
        if errors := entry_errors(minutes, day, ticket):
            raise ValidationFailed(errors)
        rows = await TimeEntry.insert(TimeEntry(ticket_id=ticket_id, county_id=ticket["county_id"],
                                                user_id=scope.actor.user_id, minutes=minutes, worked_on=day,
                                                note=note.strip()[:NOTE_LENGTH])).returning(*TimeEntry.all_columns())
        await mark_worked(scope, ticket_id)
        await add_event(scope, ticket, EventKind.TIME, public=False, body=note.strip()[:NOTE_LENGTH],
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
