"""Day partitions of `probe_sample`, created ahead and dropped after the retention period.

Partitions are days in UTC. A partition for a day whose rows already sit in the default partition
(a probe's clock was off, or maintenance did not run) is built beside it, filled from the default
partition and attached, so no sample is lost. The app's database role owns no table, so the DDL runs in
two SECURITY DEFINER functions of the owner (`probe_sample_partition_create`/`_drop`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from schoolit.db import atomic
from schoolit.probes.choices import AssetKind
from schoolit.probes.derivation import OPEN_KEY, ROLLUP_FIGURES
from schoolit.sql import fetch

_NAME = re.compile(r"^probe_sample_(\d{8})$")


def partition_name(day: dt.date) -> str:
    return f"probe_sample_{day:%Y%m%d}"


async def existing_partitions() -> list[dt.date]:
    rows = await fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'probe_sample'::regclass")
    days = []
    for row in rows:
        match = _NAME.match(row["relname"])
        if match:
            days.append(dt.datetime.strptime(match.group(1), "%Y%m%d").date())
    return sorted(days)


async def create_partition(day: dt.date) -> bool:
    """Create the partition of one day; False when it existed already. The DDL runs in a function of the
    owner of the tables (the app's role owns none; probes migration of 2026-12-05T22:00:02)."""
    rows = await fetch("SELECT probe_sample_partition_create({}) AS created", day)
    return bool(rows[0]["created"])


async def ensure_partitions(today: dt.date | None = None, days_ahead: int = 3) -> int:
    """Partitions from yesterday to `days_ahead` days ahead; returns how many were created."""
    today = today or dt.datetime.now(dt.UTC).date()
    created = 0
    for offset in range(-1, days_ahead + 1):
        created += await create_partition(today + dt.timedelta(days=offset))
    return created


@dataclass
class Expired:
    partitions: int = 0
    default_rows: int = 0
    hourly_rows: int = 0
    daily_rows: int = 0
    batches: int = 0


async def drop_expired(*, raw_days: int, hourly_days: int, ap_hourly_days: int, daily_days: int,
                       today: dt.date | None = None) -> Expired:
    """Drop raw samples older than `raw_days` (whole partitions), and old rollups and batch keys.

    Hourly rollups are kept `hourly_days` (uplinks: the 7-day utilisation chart), those of access
    points only `ap_hourly_days` (their 24 h figure): they are by far the most assets.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    raw_cut = today - dt.timedelta(days=raw_days)
    result = Expired()
    async with atomic():
        for day in await existing_partitions():
            if day < raw_cut:
                rows = await fetch("SELECT probe_sample_partition_drop({}) AS dropped", day)
                result.partitions += bool(rows[0]["dropped"])
        cut_time = dt.datetime.combine(raw_cut, dt.time(), tzinfo=dt.UTC)
        result.default_rows = len(await fetch(
            "DELETE FROM probe_sample_default WHERE polled_at < {} RETURNING 1", cut_time))
        result.batches = len(await fetch(
            "DELETE FROM probe_ingest_batch WHERE received_at < {} RETURNING 1", cut_time))
        hourly_cut = dt.datetime.combine(today - dt.timedelta(days=hourly_days), dt.time(), tzinfo=dt.UTC)
        ap_hourly_cut = dt.datetime.combine(today - dt.timedelta(days=ap_hourly_days), dt.time(), tzinfo=dt.UTC)
        daily_cut = today - dt.timedelta(days=daily_days)
        # The finished periods' rows, and an open period that old in the state row of an asset that fell silent.
        for kind, hours_cut in ((None, hourly_cut), (int(AssetKind.ACCESS_POINT), ap_hourly_cut)):
            kind_only = "" if kind is None else f"asset_kind = {kind} AND "
            result.hourly_rows += len(await fetch(
                f"DELETE FROM probe_rollup_hourly WHERE {kind_only}hour < {{}} RETURNING 1", hours_cut))  # noqa: S608
            result.hourly_rows += len(await fetch(
                f"UPDATE probe_asset_state SET {_closed('hour')} WHERE {kind_only}hour_at < {{}} RETURNING 1",  # noqa: S608
                hours_cut))
        result.daily_rows += len(await fetch("DELETE FROM probe_rollup_daily WHERE day < {} RETURNING 1", daily_cut))
        result.daily_rows += len(await fetch(
            f"UPDATE probe_asset_state SET {_closed('day')} WHERE day < {{}} RETURNING 1", daily_cut))  # noqa: S608
    return result


def _closed(period: str) -> str:
    """The SET list that empties a state row's open `period` ("hour" or "day")."""
    return ", ".join([f"{OPEN_KEY[period]} = NULL", *(f"{period}_{name} = DEFAULT" for name in ROLLUP_FIGURES)])
