"""SLA arithmetic on fixed dates: working hours, weekends, holidays, DST changes and paused periods."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from schoolit.tickets import overdue
from schoolit.tickets.sla import (
    Calendar,
    Target,
    add_business_time,
    business_seconds_between,
    due_times,
    parse_ical_holidays,
    priority_of,
    public_holidays,
    validate_matrix,
)

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0
# Mon–Fri 08:00–16:00 Berlin, with the RLP holidays of 2026.
CAL = Calendar(holidays=frozenset(day for day, _ in public_holidays("RP", 2026)))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def test_within_one_working_day() -> None:
    assert add_business_time(CAL, at(2026, 11, 23, 9), 4 * HOUR) == at(2026, 11, 23, 13)


def test_before_opening_starts_at_opening() -> None:
    assert add_business_time(CAL, at(2026, 11, 23, 6, 30), 1 * HOUR) == at(2026, 11, 23, 9)


def test_friday_afternoon_runs_into_monday() -> None:
    # Friday 27 Nov 2026 15:00 + 4 h: one hour on Friday, three on Monday.
    assert add_business_time(CAL, at(2026, 11, 27, 15), 4 * HOUR) == at(2026, 11, 30, 11)


def test_weekend_start_counts_from_monday() -> None:
    assert add_business_time(CAL, at(2026, 11, 28, 12), 2 * HOUR) == at(2026, 11, 30, 10)


def test_holidays_are_skipped() -> None:
    # Thursday 24 Dec 2026 15:00 + 3 h: 1 h on the 24th; 25th, 26th (Sat) and 27th (Sun) off; 2 h on Monday 28th.
    assert add_business_time(CAL, at(2026, 12, 24, 15), 3 * HOUR) == at(2026, 12, 28, 10)
    # Easter: Good Friday 3 April and Easter Monday 6 April 2026 are holidays in RLP.
    assert add_business_time(CAL, at(2026, 4, 2, 15), 2 * HOUR) == at(2026, 4, 7, 9)


def test_dst_changes_do_not_shift_working_hours() -> None:
    # Clocks go forward on Sunday 29 March 2026 and back on Sunday 25 October 2026.
    assert add_business_time(CAL, at(2026, 3, 27, 15), 2 * HOUR) == at(2026, 3, 30, 9)
    assert add_business_time(CAL, at(2026, 10, 23, 15), 2 * HOUR) == at(2026, 10, 26, 9)
    assert business_seconds_between(CAL, at(2026, 10, 23, 8), at(2026, 10, 26, 16)) == 16 * HOUR
    # In UTC the Monday after the change starts an hour later than the Friday before.
    assert at(2026, 10, 26, 8).astimezone(dt.UTC).hour == 7
    assert at(2026, 10, 23, 8).astimezone(dt.UTC).hour == 6


def test_business_seconds_between() -> None:
    assert business_seconds_between(CAL, at(2026, 11, 27, 15), at(2026, 11, 30, 11)) == 4 * HOUR
    assert business_seconds_between(CAL, at(2026, 11, 28, 0), at(2026, 11, 29, 23)) == 0
    assert business_seconds_between(CAL, at(2026, 11, 30, 11), at(2026, 11, 27, 15)) == 0
    assert business_seconds_between(CAL, at(2026, 12, 23, 12), at(2026, 12, 28, 9)) == (4 + 8 + 1) * HOUR


def test_add_and_between_agree() -> None:
    start = at(2026, 12, 22, 13, 17)
    for hours in (0.5, 3, 8, 17, 40, 77):
        end = add_business_time(CAL, start, hours * HOUR)
        assert business_seconds_between(CAL, start, end) == pytest.approx(hours * HOUR)


def test_waiting_moves_the_resolution_due_time() -> None:
    created = at(2026, 11, 23, 9)  # Monday
    target = Target(response_hours=2, resolution_hours=8)
    plain = due_times(CAL, created, target)
    assert plain.response_due_at == at(2026, 11, 23, 11)
    assert plain.resolution_due_at == at(2026, 11, 24, 9)
    assert plain.resolution_warn_at == add_business_time(CAL, created, 6.4 * HOUR)
    # Waiting from Monday 12:00 to Wednesday 10:00 pauses 4 + 8 + 2 = 14 business hours.
    paused = business_seconds_between(CAL, at(2026, 11, 23, 12), at(2026, 11, 25, 10))
    assert paused == 14 * HOUR
    moved = due_times(CAL, created, target, paused)
    assert moved.resolution_due_at == at(2026, 11, 25, 15)
    assert moved.response_due_at == plain.response_due_at  # a first answer is owed regardless


def _ticket(status: str, *, answered: bool = True, flagged: bool = False,
            done_at: dt.datetime | None = None, answered_at: dt.datetime | None = None) -> dict[str, object]:
    return {"status": status, "sla_breached": flagged,
            "first_response_at": (answered_at or at(2026, 11, 23, 9)) if answered else None,
            "response_due_at": at(2026, 11, 23, 12), "resolution_warn_at": at(2026, 11, 23, 14),
            "resolution_due_at": at(2026, 11, 24, 9), "resolved_at": done_at, "closed_at": None}


def test_the_deadline_state_of_a_ticket() -> None:
    state = overdue.state_of
    assert state(_ticket("in_progress"), at(2026, 11, 23, 10)) == "ok"
    assert state(_ticket("in_progress"), at(2026, 11, 23, 15)) == "warning"
    assert state(_ticket("in_progress"), at(2026, 11, 24, 10)) == "breached"
    assert state(_ticket("in_progress", flagged=True), at(2026, 11, 23, 10)) == "breached"  # a late answer stays
    assert state(_ticket("new", answered=False), at(2026, 11, 23, 13)) == "breached"  # no first response in time
    # Waiting, the clock stands: neither due soon nor past its due time, even if flagged before.
    assert state(_ticket("waiting"), at(2026, 11, 23, 15)) == "paused"
    assert state(_ticket("waiting", answered=False, flagged=True), at(2026, 11, 30)) == "paused"
    # Done: whether it was done in time, however long ago.
    assert state(_ticket("resolved", done_at=at(2026, 11, 23, 10)), at(2026, 11, 30)) == "ok"
    assert state(_ticket("resolved", done_at=at(2026, 11, 24, 10)), at(2026, 11, 30)) == "breached"


def test_which_deadlines_a_breach_missed() -> None:
    def missed(ticket: dict[str, object], moment: dt.datetime) -> tuple[tuple[str, ...], str | None]:
        """Every missed deadline (as a set: the ticket's rows) and the one a single badge names (the first)."""
        found = overdue.missed_deadlines(ticket, moment)
        assert len(set(found)) == len(found)
        return tuple(sorted(found, key=("response", "resolution").index)), found[0] if found else None

    late = at(2026, 11, 23, 13)  # the first answer after its due time (12:00), flagged when it was given
    assert missed(_ticket("in_progress"), at(2026, 11, 23, 15)) == ((), None)  # a warning is no breach
    assert missed(_ticket("new", answered=False), at(2026, 11, 23, 13)) == (("response",), "response")
    assert missed(_ticket("in_progress", answered_at=late, flagged=True), at(2026, 11, 23, 15)) == (
        ("response",), "response")
    assert missed(_ticket("in_progress"), at(2026, 11, 24, 10)) == (("resolution",), "resolution")
    # Both: answered late, or not at all, and now past the resolution too. One badge names the resolution, unless
    # the first answer is still owed.
    assert missed(_ticket("in_progress", answered_at=late, flagged=True), at(2026, 11, 24, 10)) == (
        ("response", "resolution"), "resolution")
    assert missed(_ticket("new", answered=False), at(2026, 11, 24, 10)) == (("response", "resolution"), "response")
    # Done: answered late but resolved in time, or resolved late.
    assert missed(_ticket("resolved", answered_at=late, flagged=True, done_at=at(2026, 11, 23, 16)),
                  at(2026, 11, 30)) == (("response",), "response")
    assert missed(_ticket("resolved", done_at=at(2026, 11, 24, 10)), at(2026, 11, 30)) == (
        ("resolution",), "resolution")
    # Flagged before a pause moved the due times: nothing tells which, so the resolution's (as ever).
    assert missed(_ticket("in_progress", flagged=True), at(2026, 11, 23, 10)) == (("resolution",), "resolution")
    assert missed(_ticket("waiting", flagged=True), at(2026, 11, 23, 10)) == ((), None)  # paused


def test_other_calendars() -> None:
    saturday_team = Calendar(weekdays=frozenset({5}), start=dt.time(9), end=dt.time(12))
    assert add_business_time(saturday_team, at(2026, 11, 23, 9), 4 * HOUR) == at(2026, 12, 5, 10)
    with pytest.raises(ValueError):
        Calendar(start=dt.time(16), end=dt.time(8))
    with pytest.raises(ValueError):
        add_business_time(CAL, dt.datetime(2026, 11, 23, 9), HOUR)  # naive


def test_priority_matrix() -> None:
    assert priority_of("high", "high") == 1
    assert priority_of("high", "medium") == 2
    assert priority_of("medium", "medium") == 3
    assert priority_of("low", "low") == 4
    custom = {u: {i: 2 for i in ("low", "medium", "high")} for u in ("low", "medium", "high")}
    assert priority_of("low", "low", custom) == 2
    assert validate_matrix(custom) == []
    assert validate_matrix({"high": {"low": 7}}) != []


def test_rlp_holidays() -> None:
    days = dict(public_holidays("RP", 2027))
    assert days[dt.date(2027, 3, 26)] == "Karfreitag"
    assert days[dt.date(2027, 3, 28) + dt.timedelta(days=1)] == "Ostermontag"  # Easter Sunday 2027 is 28 March
    assert days[dt.date(2027, 5, 27)] == "Fronleichnam"
    assert len(days) == 11
    assert dt.date(2027, 11, 1) not in dict(public_holidays("HE", 2027))  # Allerheiligen is not a Hessian holiday


ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//DE\r\n"
    "BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20261003\r\nSUMMARY:Tag der Deutschen \r\n Einheit\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:2\r\nDTSTART:20261101T000000Z\r\nSUMMARY:Allerheiligen\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:3\r\nSUMMARY:ohne Datum\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:4\r\nDTSTART;TZID=Europe/Berlin:20261225T000000\r\nSUMMARY:Weihnachten\\, 1. Tag\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_ical_holidays() -> None:
    assert parse_ical_holidays(ICS) == [
        (dt.date(2026, 10, 3), "Tag der Deutschen Einheit"),
        (dt.date(2026, 11, 1), "Allerheiligen"),
        (dt.date(2026, 12, 25), "Weihnachten, 1. Tag"),
    ]
    with pytest.raises(ValueError):
        parse_ical_holidays("not a calendar")


def test_ical_school_holidays_cover_every_day() -> None:
    """An all-day event covers DTSTART up to (not including) DTEND: every day of the autumn holidays."""
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//DE\r\nBEGIN:VEVENT\r\nUID:h\r\n"
           "DTSTART;VALUE=DATE:20261012\r\nDTEND;VALUE=DATE:20261024\r\nSUMMARY:Herbstferien\r\nEND:VEVENT\r\n"
           "END:VCALENDAR\r\n")
    days = parse_ical_holidays(ics)
    assert [d for d, _ in days] == [dt.date(2026, 10, 12) + dt.timedelta(days=n) for n in range(12)]
    assert {name for _, name in days} == {"Herbstferien"}
    with pytest.raises(ValueError):
        parse_ical_holidays("BEGIN:VCALENDAR\r\nkaputt")
