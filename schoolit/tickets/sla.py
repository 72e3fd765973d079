"""SLA arithmetic in business hours: pure functions, no database, no clock of their own.

A business calendar has working weekdays, daily hours in a time zone (Europe/Berlin) and holidays.
Business intervals are built from local dates and times and then compared as absolute instants, so
daylight-saving changes never shift a working day. Periods in which the clock is paused (a ticket
waiting for someone else) are added on top of a target: the due time moves by the business time the
pause covered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays
import icalendar

from schoolit.tickets.choices import Level, Priority

BERLIN = "Europe/Berlin"
MAX_DAYS = 3 * 366  # no target spans more than a few years of calendar days; stops runaway loops
WARNING_FRACTION = 0.8


@dataclass(frozen=True)
class Calendar:
    """When the support team works. `weekdays`: 0 = Monday … 6 = Sunday."""

    timezone: str = BERLIN
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: dt.time = dt.time(8, 0)
    end: dt.time = dt.time(16, 0)
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a working day must end after it starts")
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError("weekdays must be a non-empty subset of 0..6")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def hours_of(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The day's working interval in UTC, or None on a day off. Built from local wall-clock times,
        then made absolute: Python subtracts datetimes of one zone by wall clock, UTC avoids that."""
        if not self.is_working_day(day):
            return None
        zone = self.zone
        return (dt.datetime.combine(day, self.start, zone).astimezone(dt.UTC),
                dt.datetime.combine(day, self.end, zone).astimezone(dt.UTC))


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("SLA arithmetic needs aware datetimes")
    return moment.astimezone(dt.UTC)


def _days_from(calendar: Calendar, moment: dt.datetime) -> Iterator[dt.date]:
    day = moment.astimezone(calendar.zone).date()
    for offset in range(MAX_DAYS):
        yield day + dt.timedelta(days=offset)
    raise ValueError("no working time within the calendar's horizon")


def add_business_time(calendar: Calendar, start: dt.datetime, seconds: float) -> dt.datetime:
    """The instant at which `seconds` of working time have passed since `start`."""
    start = _aware(start)
    remaining = max(0.0, seconds)
    for day in _days_from(calendar, start):
        hours = calendar.hours_of(day)
        if hours is None:
            continue
        opens, closes = hours
        begin = max(opens, start)
        if begin >= closes:
            continue
        available = (closes - begin).total_seconds()
        if remaining <= available:
            return begin + dt.timedelta(seconds=remaining)
        remaining -= available
    raise AssertionError("unreachable")  # _days_from raises first


def business_seconds_between(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> float:
    """Working time between two instants (0 when end is not after start)."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        return 0.0
    total = 0.0
    for day in _days_from(calendar, start):
        if dt.datetime.combine(day, dt.time(0), calendar.zone) > end:
            break
        hours = calendar.hours_of(day)
        if hours is None:
            continue
        begin, finish = max(hours[0], start), min(hours[1], end)
        if finish > begin:
            total += (finish - begin).total_seconds()
    return total


# --- policy: priority matrix and targets ---------------------------------------------------------

Matrix = Mapping[str, Mapping[str, int]]  # urgency -> impact -> priority

DEFAULT_MATRIX: dict[str, dict[str, int]] = {
    Level.HIGH: {Level.LOW: 3, Level.MEDIUM: 2, Level.HIGH: 1},
    Level.MEDIUM: {Level.LOW: 4, Level.MEDIUM: 3, Level.HIGH: 2},
    Level.LOW: {Level.LOW: 4, Level.MEDIUM: 4, Level.HIGH: 3},
}


@dataclass(frozen=True)
class Target:
    """Response and resolution targets of one priority, in business hours."""

    response_hours: float
    resolution_hours: float


DEFAULT_TARGETS: dict[int, Target] = {
    Priority.CRITICAL: Target(1, 4),
    Priority.HIGH: Target(2, 16),
    Priority.MEDIUM: Target(4, 24),
    Priority.LOW: Target(8, 40),
}


def priority_of(urgency: str, impact: str, matrix: Matrix | None = None) -> Priority:
    """matrix[urgency][impact]; unknown levels count as medium."""
    table = matrix or DEFAULT_MATRIX
    row = table.get(urgency) or table.get(Level.MEDIUM) or DEFAULT_MATRIX[Level.MEDIUM]
    value = row.get(impact, row.get(Level.MEDIUM, Priority.MEDIUM))
    return Priority(int(value))


def validate_matrix(matrix: Matrix) -> list[str]:
    """Problems with a configured matrix (every urgency × impact present, values 1..4)."""
    problems = []
    for urgency in Level:
        for impact in Level:
            value = matrix.get(urgency, {}).get(impact)
            if value not in {p.value for p in Priority}:
                problems.append(f"{urgency}/{impact} must be a priority 1 to 4")
    return problems


@dataclass(frozen=True)
class Due:
    """SLA times of a ticket, all computed from its creation and the business time paused since."""

    response_due_at: dt.datetime
    resolution_due_at: dt.datetime
    resolution_warn_at: dt.datetime  # 80 % of the resolution target used


def due_times(calendar: Calendar, created_at: dt.datetime, target: Target, paused_seconds: float = 0.0) -> Due:
    """Due times for a ticket created at `created_at` whose clock has been paused `paused_seconds`
    (business seconds). The response clock is not paused: a first answer is owed regardless."""
    resolution = target.resolution_hours * 3600
    return Due(
        response_due_at=add_business_time(calendar, created_at, target.response_hours * 3600),
        resolution_due_at=add_business_time(calendar, created_at, resolution + paused_seconds),
        resolution_warn_at=add_business_time(calendar, created_at, resolution * WARNING_FRACTION + paused_seconds),
    )


# --- holidays ------------------------------------------------------------------------------------


def public_holidays(state: str, year: int) -> list[tuple[dt.date, str]]:
    """The statutory public holidays of a German Land (ISO 3166-2 suffix, e.g. "RP") in a year, with
    their German names, from the `holidays` library."""
    days = holidays.country_holidays("DE", subdiv=state, years=year, language="de")
    return sorted((day, str(name)) for day, name in days.items())


# A school-holiday event longer than this is a mistake in the file, not a holiday.
MAX_EVENT_DAYS = 120


def parse_ical_holidays(text: str) -> list[tuple[dt.date, str]]:
    """(date, name) of every day an iCalendar file's events cover, sorted and unique.

    Parsed with the `icalendar` library. An all-day event covers DTSTART up to (not including)
    DTEND, so a file of school holidays gives every day of the holidays; an event with a time
    covers the date of its start. Events without a DTSTART are skipped. Raises ValueError for text
    that is no calendar.
    """
    if "BEGIN:VCALENDAR" not in text.upper():
        raise ValueError("not an iCalendar file (BEGIN:VCALENDAR missing)")
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except ValueError as exc:
        raise ValueError(f"not a valid iCalendar file ({exc})") from None
    found: dict[dt.date, str] = {}
    for calendar in calendars:
        for event in calendar.walk("VEVENT"):
            start = event.get("DTSTART")
            if start is None:
                continue
            first = start.dt.date() if isinstance(start.dt, dt.datetime) else start.dt
            end = event.get("DTEND")
            following = first + dt.timedelta(days=1)
            if end is not None and not isinstance(start.dt, dt.datetime) and not isinstance(end.dt, dt.datetime):
                following = max(following, min(end.dt, first + dt.timedelta(days=MAX_EVENT_DAYS)))
            summary = " ".join(str(event.get("SUMMARY", "")).split())[:120]
            day = first
            while day < following:
                found.setdefault(day, summary)
                day += dt.timedelta(days=1)
    return sorted(found.items())
