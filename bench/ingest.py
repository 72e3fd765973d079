"""Ingest benchmark: samples/s through `POST /api/v1/probe/samples` next to a bare COPY of the same rows.

A throw-away PostgreSQL (pgserver) gets one county, one school with N access points and a probe.
`schoolit serve` (one worker) runs against it on 127.0.0.1. The benchmark posts B batches of S
samples each (every access point polled repeatedly, 5 minutes apart, a few unreachable) with httpx,
C batches in flight, and measures samples/s from the first request to the last answer. The server
path is everything ingest does: msgspec validation, scope check, idempotency key, COPY of the raw
samples, the state upsert and the hourly and daily rollup upserts, in one transaction per batch.

The reference is asyncpg `copy_records_to_table` of the same rows into the same partitioned sample
table, over one connection, in the same run: the fastest way PostgreSQL takes rows.

Run: `.venv/bin/python bench/ingest.py [--access-points 2000] [--batches 40] [--batch-size 5000]
[--concurrency 2]`. Results go to docs/performance.md ("Probe ingest").
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schoolit.probes.simulators import stop_process  # noqa: E402
from tests.support import start_server, throwaway_cluster  # noqa: E402

T0 = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=1)


def cli(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, "-m", "schoolit.cli", *args], env={**os.environ, **env},
                            capture_output=True, text=True, check=True)
    return result.stdout


async def prepare(dsn: str, access_points: int) -> list[int]:
    conn = await asyncpg.connect(dsn)
    try:
        school = await conn.fetchrow("SELECT id, county_id FROM school WHERE school_number = '51600'")
        ids = await conn.fetch(
            "INSERT INTO access_point (county_id, school_id, name, vendor, model, serial, snmp_port, status, "
            "funding_programme, created_at, updated_at) "
            "SELECT $1, $2, 'AP ' || n, 'aruba', 'AP-505', 'BENCH' || lpad(n::text, 7, '0'), 161, 'active', "
            "'other', now(), now() FROM generate_series(1, $3) AS n RETURNING id",
            school["county_id"], school["id"], access_points)
        return [r["id"] for r in ids]
    finally:
        await conn.close()


def make_batches(ap_ids: list[int], batches: int, batch_size: int) -> list[dict[str, object]]:
    """Polls in time order: each round polls every AP once, 5 minutes after the previous round."""
    result = []
    sample_index = 0
    for _ in range(batches):
        samples = []
        for _ in range(batch_size):
            round_no, ap_index = divmod(sample_index, len(ap_ids))
            polled_at = T0 + dt.timedelta(minutes=5 * round_no, seconds=ap_index % 60)
            reachable = (ap_index + round_no) % 50 != 0
            sample: dict[str, object] = {"asset_kind": "access_point", "asset_id": ap_ids[ap_index],
                                         "polled_at": polled_at.isoformat(), "reachable": reachable}
            if reachable:
                sample.update(response_ms=2.5, uptime_ticks=100_000 + round_no * 30_000, clients=ap_index % 40,
                              radio_up=True)
            samples.append(sample)
            sample_index += 1
        result.append({"idempotency_key": str(uuid.uuid4()), "sent_at": T0.isoformat(), "samples": samples})
    return result


async def post_all(base: str, token: str, bodies: list[bytes], concurrency: int) -> float:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    async with httpx.AsyncClient(base_url=base, timeout=120,
                                 headers={"authorization": f"Bearer {token}",
                                          "content-type": "application/json"}) as http:

        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                response = await http.post("/api/v1/probe/samples", content=body)
                if response.status_code != 200:
                    raise RuntimeError(f"ingest answered {response.status_code}: {response.text[:300]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


async def copy_reference(dsn: str, batches: list[dict[str, object]], county_id: int) -> float:
    """COPY of the same rows (shifted by a year, into their own partition) over one connection."""
    conn = await asyncpg.connect(dsn)
    try:
        year_later = T0 + dt.timedelta(days=366)
        for offset in range(0, 4):
            day = (year_later + dt.timedelta(days=offset)).date()
            start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            end = start + dt.timedelta(days=1)
            await conn.execute(f"CREATE TABLE IF NOT EXISTS probe_sample_ref_{day:%Y%m%d} PARTITION OF probe_sample "
                               f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')")
        records = []
        for batch in batches:
            for s in batch["samples"]:  # type: ignore[attr-defined]
                polled = dt.datetime.fromisoformat(s["polled_at"]) + dt.timedelta(days=366)
                records.append((polled, 1, s["asset_id"], county_id, 1, s["reachable"], s.get("response_ms"),
                                s.get("uptime_ticks"), s.get("clients"), s.get("radio_up"), None, None, None, None,
                                None))
        columns = ("polled_at", "asset_kind", "asset_id", "county_id", "probe_id", "reachable", "response_ms",
                   "uptime_ticks", "clients", "radio_up", "in_octets", "out_octets", "if_speed_mbps", "oper_status",
                   "error")
        size = len(batches[0]["samples"])  # type: ignore[arg-type]
        started = time.perf_counter()
        for start_index in range(0, len(records), size):
            async with conn.transaction():
                await conn.copy_records_to_table("probe_sample", records=records[start_index:start_index + size],
                                                 columns=columns)
        return time.perf_counter() - started
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--access-points", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    total = args.batches * args.batch_size
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    with throwaway_cluster() as cluster, tempfile.TemporaryDirectory() as data_dir:
        dsn = str(cluster.get_uri())
        env = {"DATABASE_URL": dsn, "DATA_DIR": data_dir, "LOG_LEVEL": "warning",
               "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-" + "k" * 40}
        cli("migrate", env=env)
        cli("seed", "--demo", env=env)
        ap_ids = asyncio.run(prepare(dsn, args.access_points))
        token_line = cli("probe", "register", "--name", "bench", "--school", "51600", env=env)
        token = re.search(r"token \(shown once\): (\S+)", token_line)
        assert token
        batches = make_batches(ap_ids, args.batches, args.batch_size)
        bodies = [msgspec.json.encode(b) for b in batches]
        county_id = asyncio.run(_county(dsn))
        server, base = start_server(env, "--workers", "1")
        try:
            api_seconds = asyncio.run(post_all(base, token.group(1), bodies, args.concurrency))
        finally:
            stop_process(server)
        stored = asyncio.run(_count(dsn))
        assert stored == total, f"stored {stored} of {total}"
        copy_seconds = asyncio.run(copy_reference(dsn, batches, county_id))
    api_rate, copy_rate = total / api_seconds, total / copy_seconds
    print(f"samples: {total:,} in {args.batches} batches of {args.batch_size:,} "
          f"({args.access_points:,} access points), {args.concurrency} in flight")
    print(f"HTTP API ingest : {api_seconds:7.2f} s  {api_rate:>10,.0f} samples/s")
    print(f"bare COPY       : {copy_seconds:7.2f} s  {copy_rate:>10,.0f} samples/s")
    print(f"ratio API/COPY  : {api_rate / copy_rate:.2f}  (target at least 0.50)")


async def _county(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT county_id FROM school WHERE school_number = '51600'"))
    finally:
        await conn.close()


async def _count(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM probe_sample"))
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
