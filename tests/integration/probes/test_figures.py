"""Availability windows: 24 h from hourly rollups, 7 d and 30 d from daily ones (Europe/Berlin days)."""

from __future__ import annotations

import datetime as dt

import pytest

from schoolit.probes.choices import AssetKind
from schoolit.probes.figures import availability
from schoolit.sql import fetch

NOW = dt.datetime(2031, 3, 20, 12, 0, tzinfo=dt.UTC)  # far from any real data in the test database
SCHOOL = 987_654  # rollups carry plain ids: no school row is needed to read them back


async def _daily(asset_id: int, days_ago: int, samples: int, up: int) -> None:
    await fetch("INSERT INTO probe_rollup_daily (asset_kind, asset_id, day, county_id, school_id, samples, up_samples, "
                "clients_sum, rate_samples, in_mbps_sum, out_mbps_sum) VALUES ({}, {}, {}, 1, {}, {}, {}, 0, 0, 0, 0)",
                int(AssetKind.ACCESS_POINT), asset_id, NOW.date() - dt.timedelta(days=days_ago), SCHOOL, samples, up)


async def _hourly(asset_id: int, hours_ago: int, samples: int, up: int) -> None:
    await fetch("INSERT INTO probe_rollup_hourly (asset_kind, asset_id, hour, county_id, school_id, samples, "
                "up_samples, clients_sum, rate_samples, in_mbps_sum, out_mbps_sum) "
                "VALUES ({}, {}, {}, 1, {}, {}, {}, 0, 0, 0, 0)",
                int(AssetKind.ACCESS_POINT), asset_id, NOW - dt.timedelta(hours=hours_ago), SCHOOL, samples, up)


async def test_week_and_month_come_from_daily_rollups_the_day_from_hourly() -> None:
    await _hourly(1, 2, 12, 6)  # the last 24 h: half up
    await _hourly(1, 30, 12, 0)  # older than 24 h: not in the day's figure
    await _daily(1, 0, 144, 72)
    await _daily(1, 6, 288, 288)  # inside the week (today and six days back)
    await _daily(1, 7, 288, 0)  # outside the week, inside the month
    await _daily(1, 29, 288, 288)
    await _daily(1, 30, 288, 0)  # outside the month
    shares = (await availability(SCHOOL, AssetKind.ACCESS_POINT, NOW))[1]
    assert shares["24h"] == pytest.approx(0.5)
    assert shares["7d"] == pytest.approx((72 + 288) / (144 + 288))
    assert shares["30d"] == pytest.approx((72 + 288 + 288) / (144 + 288 * 3))


async def test_the_day_is_the_hours_after_24_hours_ago_up_to_the_next_hour() -> None:
    await _hourly(2, 24, 10, 0)  # began exactly 24 h ago: not after it
    await _hourly(2, 23, 10, 10)
    await _hourly(2, 0, 10, 10)  # the current hour
    await _hourly(2, -1, 10, 0)  # the next hour: a probe whose clock runs a little ahead
    await _hourly(2, -2, 10, 0)  # further ahead than that: not read
    shares = (await availability(SCHOOL, AssetKind.ACCESS_POINT, NOW))[2]
    assert shares["24h"] == pytest.approx(20 / 30)
    half_past = await availability(SCHOOL, AssetKind.ACCESS_POINT, NOW + dt.timedelta(minutes=30))
    assert half_past[2]["24h"] == pytest.approx(20 / 30)  # 12:30 yesterday: its hour began before, so not after
