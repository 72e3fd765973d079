"""The hours a window of hourly rollups reads: after its start, up to the hour after its end's."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from schoolit.probes.figures import hours_after

UTC = dt.UTC


def test_hours_after_a_moment_within_an_hour_begin_with_the_next_hour() -> None:
    since = dt.datetime(2026, 12, 6, 10, 30, tzinfo=UTC)
    hours = hours_after(since, since + dt.timedelta(hours=24))
    assert hours[0] == dt.datetime(2026, 12, 6, 11, tzinfo=UTC)
    assert hours[-1] == dt.datetime(2026, 12, 7, 11, tzinfo=UTC)  # the hour after the one holding 10:30
    assert len(hours) == 25
    assert all(b - a == dt.timedelta(hours=1) for a, b in itertools.pairwise(hours))


def test_an_hour_that_begins_at_the_moment_is_not_after_it() -> None:
    since = dt.datetime(2026, 12, 6, 10, tzinfo=UTC)
    assert hours_after(since, since) == [dt.datetime(2026, 12, 6, 11, tzinfo=UTC)]


def test_hours_are_utc_hours_whatever_the_zone_of_the_moment() -> None:
    berlin = dt.datetime(2026, 3, 29, 3, 15, tzinfo=ZoneInfo("Europe/Berlin"))  # just after the clocks went forward
    assert hours_after(berlin, berlin) == [dt.datetime(2026, 3, 29, 2, tzinfo=UTC)]


def test_an_end_before_the_start_reads_no_hours() -> None:
    since = dt.datetime(2026, 12, 6, 10, 30, tzinfo=UTC)
    assert hours_after(since, since - dt.timedelta(hours=3)) == []
