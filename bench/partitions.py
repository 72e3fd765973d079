"""Benchmark: raw-sample retention by dropping day partitions, next to DELETE of the same rows.

One day of samples for N access points polled every 5 minutes (default 10,000: 2.88 million rows) is
written into two day partitions, one older than the raw retention (14 days) and one younger. The
nightly job (`schoolit maintenance samples`, the same function) drops the expired day's partition; as
the reference, DELETE removes the other day's rows and VACUUM reclaims them — what retention would cost
without partitions. Prints the size of a day per sample and per access point, the time to create the
partitions ahead (`schoolit maintenance partitions`), both retention times and their ratio, and
projections for a state (40,000 APs) and for the whole country (1,000,000 APs).

Run: `.venv/bin/python bench/partitions.py [--access-points 10000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import sys
import time

import asyncpg
from support import schoolit_environment

POLLS_PER_DAY = 24 * 12  # every 5 minutes

# One day of plausible access-point samples: 2 % unanswered, uptime growing, clients by hour.
FILL_SQL = """
INSERT INTO probe_sample (polled_at, asset_kind, asset_id, county_id, probe_id, reachable, response_ms,
                          uptime_ticks, clients, radio_up, error)
SELECT t, 1, ap, 1 + ap % 40, 1 + ap % 400, ok, CASE WHEN ok THEN 2 + random() * 30 END,
       CASE WHEN ok THEN (extract(epoch FROM t - $1::timestamptz)::bigint + ap * 1000) * 100 END,
       CASE WHEN ok THEN (random() * 40)::int END, CASE WHEN ok THEN true END,
       CASE WHEN NOT ok THEN 'timeout' END
  FROM generate_series($1::timestamptz, $1::timestamptz + interval '1 day' - interval '5 minutes',
                       interval '5 minutes') AS t
 CROSS JOIN generate_series(1, $2::int) AS ap
 CROSS JOIN LATERAL (SELECT random() > 0.02 AS ok) AS answer
"""


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


async def measure(dsn: str, access_points: int) -> None:
    from schoolit import db, sql
    from schoolit.migrations import apply_migrations
    from schoolit.probes import commands, partitions
    from schoolit.settings import get_settings

    settings = get_settings()
    today = dt.datetime.now(dt.UTC).date()
    expired_day = today - dt.timedelta(days=settings.probe_raw_retention_days + 6)
    kept_day = today - dt.timedelta(days=settings.probe_raw_retention_days - 4)
    rows = access_points * POLLS_PER_DAY
    async with db.connected(settings):
        await apply_migrations()
        started = time.perf_counter()
        created = await partitions.ensure_partitions(today)
        ahead_s = time.perf_counter() - started
        for day in (expired_day, kept_day):
            await partitions.create_partition(day)

    conn = await asyncpg.connect(dsn)
    try:
        fill_s = []
        for day in (expired_day, kept_day):
            started = time.perf_counter()
            await conn.execute(FILL_SQL, _midnight(day), access_points)
            fill_s.append(time.perf_counter() - started)
        await conn.execute("VACUUM ANALYZE probe_sample")
        size = await conn.fetchval("SELECT pg_total_relation_size($1::regclass)", partitions.partition_name(kept_day))
        counted = await conn.fetchval("SELECT count(*) FROM probe_sample WHERE polled_at >= $1 AND polled_at < $2",
                                      _midnight(kept_day), _midnight(kept_day + dt.timedelta(days=1)))

        # The reference first, so that the partition drop does not warm anything for it.
        started = time.perf_counter()
        deleted = await conn.execute("DELETE FROM probe_sample WHERE polled_at >= $1 AND polled_at < $2",
                                     _midnight(kept_day), _midnight(kept_day + dt.timedelta(days=1)))
        delete_s = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute("VACUUM probe_sample")
        vacuum_s = time.perf_counter() - started
    finally:
        await conn.close()

    async with db.connected(settings):
        started = time.perf_counter()
        await commands.expire_samples(argparse.Namespace())  # what `schoolit maintenance samples` runs
        drop_s = time.perf_counter() - started
        left = await sql.fetch("SELECT count(*) AS n FROM probe_sample WHERE polled_at < {}",
                              _midnight(kept_day))

    per_sample = size / counted
    per_ap_day = per_sample * POLLS_PER_DAY
    print(f"{access_points:,} access points every 5 minutes: {counted:,} samples a day "
          f"({rows:,} expected), {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(f"day partition: {size / 2**20:,.0f} MiB with its index, {per_sample:.0f} bytes a sample, "
          f"{per_ap_day / 2**10:,.0f} KiB per access point and day; written in {min(fill_s):.1f} s "
          f"({counted / min(fill_s):,.0f} rows/s, INSERT … SELECT in the server)")
    print(f"partitions ahead: {created} created in {ahead_s * 1000:.0f} ms")
    print(f"retention by partition: {drop_s * 1000:,.0f} ms for {counted:,} samples "
          f"(expired rows left: {left[0]['n']})")
    print(f"retention by DELETE:    {delete_s * 1000:,.0f} ms ({deleted}) + VACUUM {vacuum_s * 1000:,.0f} ms")
    print(f"partition drop / DELETE + VACUUM: {drop_s / (delete_s + vacuum_s):.3f}")
    days = settings.probe_raw_retention_days
    for label, fleet in (("a state, 40,000 APs", 40_000), ("the country, 1,000,000 APs", 1_000_000)):
        print(f"{label}: {fleet * per_ap_day / 2**30:,.1f} GiB raw samples a day, "
              f"{fleet * per_ap_day * (days + 1) / 2**30:,.0f} GiB with {days} days kept and today's")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--access-points", type=int, default=10_000, help="access points polled (default 10000)")
    args = parser.parse_args()
    return asyncio.run(_run(args.access_points))


async def _run(access_points: int) -> int:
    async with schoolit_environment() as (dsn, _):
        await measure(dsn, access_points)
    return 0


if __name__ == "__main__":
    sys.exit(main())
