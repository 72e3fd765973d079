"""SLA arithmetic in business hours: pure functions, no database, no clock of their own.

A business calendar has working weekdays, daily hours in a time zone (Europe/Berlin) and holidays.
Business intervals are built from local dates and times and then compared as absolute instants, so
daylight-saving changes never shift a working day. Periods in which the clock is paused (a ticket
waiting for someone else) are added on top of a target: the due time moves by the business time the
pause covered.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

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


def sla_state(now: dt.datetime, due: dt.datetime | None, warn: dt.datetime | None, *, paused: bool = False,
              done_at: dt.datetime | None = None) -> str:
    """'ok', 'warning' (80 % used), 'breached' or 'paused' for a due time at `now` (or when done)."""
    if due is None:
        return "ok"
    moment = done_at or now
    if moment > due:
        return "breached"
    if paused and done_at is None:
        return "paused"
    if warn is not None and moment >= warn:
        return "warning"
    return "ok"


# --- holidays ------------------------------------------------------------------------------------


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def rlp_public_holidays(year: int) -> list[tuple[dt.date, str]]:
    """The statutory public holidays of Rheinland-Pfalz in a year."""
    easter = easter_sunday(year)
    days = [
        (dt.date(year, 1, 1), "Neujahr"),
        (easter - dt.timedelta(days=2), "Karfreitag"),
        (easter + dt.timedelta(days=1), "Ostermontag"),
        (dt.date(year, 5, 1), "Tag der Arbeit"),
        (easter + dt.timedelta(days=39), "Christi Himmelfahrt"),
        (easter + dt.timedelta(days=50), "Pfingstmontag"),
        (easter + dt.timedelta(days=60), "Fronleichnam"),
        (dt.date(year, 10, 3), "Tag der Deutschen Einheit"),
        (dt.date(year, 11, 1), "Allerheiligen"),
        (dt.date(year, 12, 25), "1. Weihnachtstag"),
        (dt.date(year, 12, 26), "2. Weihnachtstag"),
    ]
    return sorted(days)


_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})")


def _unfold(text: str) -> Iterable[str]:
    """iCalendar content lines: a line starting with a space or tab continues the previous one."""
    current: str | None = None
    for raw in text.splitlines():
        if raw[:1] in (" ", "\t") and current is not None:
            current += raw[1:]
            continue
        if current is not None:
            yield current
        current = raw
    if current is not None:
        yield current


def _unescape(value: str) -> str:
    return value.replace("\\n", " ").replace("\\N", " ").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")


def parse_ical_holidays(text: str) -> list[tuple[dt.date, str]]:
    """(date, name) of every VEVENT's DTSTART in an iCalendar file (RFC 5545), sorted and unique.

    Date values (`DTSTART;VALUE=DATE:20261003`) and date-times (the date part is taken) are both
    accepted; events without a DTSTART are skipped. Raises ValueError for text that is no calendar.
    """
    if "BEGIN:VCALENDAR" not in text.upper():
        raise ValueError("not an iCalendar file (BEGIN:VCALENDAR missing)")
    found: dict[dt.date, str] = {}
    in_event = False
    start: dt.date | None = None
    summary = ""
    for line in _unfold(text):
        name, _, value = line.partition(":")
        key = name.split(";", 1)[0].strip().upper()
        if key == "BEGIN" and value.strip().upper() == "VEVENT":
            in_event, start, summary = True, None, ""
        elif key == "END" and value.strip().upper() == "VEVENT":
            if in_event and start is not None:
                found.setdefault(start, summary.strip()[:120])
            in_event = False
        elif in_event and key == "DTSTART":
            match = _DATE.match(value.strip())
            if match:
                try:
                    start = dt.date(int(match[1]), int(match[2]), int(match[3]))
                except ValueError:
                    start = None
        elif in_event and key == "SUMMARY":
            summary = _unescape(value)
    return sorted(found.items())
