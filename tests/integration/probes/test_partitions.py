"""Day partitions of the sample table: created ahead, rescued from the default partition, expired."""

from __future__ import annotations

import datetime as dt

from schoolit.probes.choices import AssetKind
from schoolit.probes.partitions import create_partition, drop_expired, ensure_partitions, existing_partitions
from schoolit.sql import fetch

TODAY = dt.date(2031, 5, 12)  # far from any real data in the test database


async def _where(polled_at: dt.datetime) -> str:
    rows = await fetch("SELECT tableoid::regclass::text AS part FROM probe_sample WHERE polled_at = {}", polled_at)
    return str(rows[0]["part"])


async def _insert(polled_at: dt.datetime) -> None:
    await fetch("INSERT INTO probe_sample (polled_at, asset_kind, asset_id, county_id, probe_id, reachable) "
                "VALUES ({}, 1, 1, 1, 1, true)", polled_at)


async def test_partitions_ahead_and_samples_land_in_them() -> None:
    assert await ensure_partitions(TODAY, days_ahead=2) == 4  # yesterday, today, +1, +2
    assert await ensure_partitions(TODAY, days_ahead=2) == 0
    days = await existing_partitions()
    assert [d for d in days if d >= TODAY - dt.timedelta(days=1)][:4] == [
        TODAY + dt.timedelta(days=n) for n in (-1, 0, 1, 2)]
    moment = dt.datetime(2031, 5, 12, 23, 59, 59, tzinfo=dt.UTC)
    await _insert(moment)
    assert await _where(moment) == "probe_sample_20310512"


async def test_rows_in_the_default_partition_move_into_a_new_partition() -> None:
    stray = dt.datetime(2031, 6, 1, 10, 0, tzinfo=dt.UTC)
    await _insert(stray)
    assert await _where(stray) == "probe_sample_default"
    assert await create_partition(stray.date())
    assert await _where(stray) == "probe_sample_20310601"
    assert len(await fetch("SELECT 1 FROM probe_sample WHERE polled_at = {}", stray)) == 1


async def test_expiry_drops_old_partitions_and_rollups() -> None:
    await ensure_partitions(TODAY - dt.timedelta(days=20), days_ahead=0)
    await ensure_partitions(TODAY, days_ahead=0)
    old = dt.datetime.combine(TODAY - dt.timedelta(days=20), dt.time(9), tzinfo=dt.UTC)
    recent = dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC)
    await _insert(old)
    await _insert(recent)
    for hour in (old, recent):
        await fetch("INSERT INTO probe_rollup_hourly (asset_kind, asset_id, hour, county_id, school_id, samples, "
                    "up_samples, clients_sum, rate_samples, in_mbps_sum, out_mbps_sum) "
                    "VALUES (1, 1, {}, 1, 1, 1, 1, 0, 0, 0, 0)", hour)
    # Daily rollups of finished days, and open days in state rows (asset 2 fell silent 401 days ago).
    for day in (TODAY - dt.timedelta(days=401), TODAY):
        await fetch("INSERT INTO probe_rollup_daily (asset_kind, asset_id, day, county_id, school_id) "
                    "VALUES (1, 1, {}, 1, 1)", day)
    for asset_id, day in ((1, TODAY), (2, TODAY - dt.timedelta(days=401))):
        await fetch("INSERT INTO probe_asset_state (asset_kind, asset_id, county_id, school_id, day, day_samples, "
                    "hour_at, hour_samples) VALUES (1, {}, 1, 1, {}, 3, {}, 3)", asset_id, day,
                    dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC))
    expired = await drop_expired(raw_days=14, hourly_days=8, ap_hourly_days=1, daily_days=400, today=TODAY)
    assert expired.partitions >= 2 and expired.hourly_rows == 2 and expired.daily_rows == 2
    assert await fetch("SELECT day FROM probe_rollup_days WHERE asset_id = 1") == [{"day": TODAY}] * 2
    assert await fetch("SELECT day FROM probe_rollup_days WHERE asset_id = 2") == []
    assert await fetch("SELECT hour FROM probe_rollup_hours WHERE asset_id = 2") == []
    assert (await fetch("SELECT day_samples, hour_samples FROM probe_asset_state WHERE asset_id = 2")) == [
        {"day_samples": 0, "hour_samples": 0}]  # the state row stays, its old open periods are gone
    assert await fetch("SELECT 1 FROM probe_sample WHERE polled_at = {}", old) == []
    assert len(await fetch("SELECT 1 FROM probe_sample WHERE polled_at = {}", recent)) == 1
    assert TODAY - dt.timedelta(days=20) not in await existing_partitions()


async def _hourly(asset_kind: int, hour: dt.datetime) -> None:
    await fetch("INSERT INTO probe_rollup_hourly (asset_kind, asset_id, hour, county_id, school_id, samples, "
                "up_samples, clients_sum, rate_samples, in_mbps_sum, out_mbps_sum) "
                "VALUES ({}, 7, {}, 1, 1, 12, 12, 0, 0, 0, 0)", asset_kind, hour)


async def test_access_points_keep_hourly_rollups_a_day_uplinks_eight() -> None:
    # Midnight UTC one day back is the access points' cut; eight days back the uplinks'.
    day_cut = dt.datetime.combine(TODAY - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    week_cut = dt.datetime.combine(TODAY - dt.timedelta(days=8), dt.time(), tzinfo=dt.UTC)
    for kind in (int(AssetKind.ACCESS_POINT), int(AssetKind.UPLINK)):
        for hour in (day_cut - dt.timedelta(hours=1), day_cut, week_cut - dt.timedelta(hours=1), week_cut):
            await _hourly(kind, hour)
    expired = await drop_expired(raw_days=14, hourly_days=8, ap_hourly_days=1, daily_days=400, today=TODAY)
    assert expired.hourly_rows == 4
    kept = await fetch("SELECT asset_kind, hour FROM probe_rollup_hourly WHERE asset_id = 7 ORDER BY asset_kind, hour")
    assert [(r["asset_kind"], r["hour"]) for r in kept] == [
        (AssetKind.ACCESS_POINT, day_cut), (AssetKind.UPLINK, week_cut),
        (AssetKind.UPLINK, day_cut - dt.timedelta(hours=1)), (AssetKind.UPLINK, day_cut)]
