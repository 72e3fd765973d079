"""Ingest benchmark: samples/s through `POST /api/v1/probe/samples` next to a bare COPY of the same rows.

A throw-away PostgreSQL (pgserver) gets one county, one school with N access points and a probe.
`schoolit serve` (one worker) runs against it on 127.0.0.1. Each round posts B batches of S samples
(every access point polled repeatedly, 5 minutes apart, a few unreachable; each round continues the
polls of the one before) with httpx, C batches in flight. The server stores each batch (msgspec
validation, scope check, idempotency key, COPY of the raw samples, one transaction) and its
derivation worker derives reboots and rates, state, hourly and daily rollups and outages from the
stored batches. Two times are taken from the first request: until the last answer, and until the
derivation has caught up with everything posted (polled in the database every 5 ms); the verdict
uses the second. The rollups must then count every posted sample exactly once.

The reference is asyncpg `copy_records_to_table` of the same rows (same columns, batch ids
included) into the same partitioned sample table, one transaction per batch, over one connection:
the fastest way PostgreSQL takes rows. Rounds alternate API and COPY, so both see the same outside
load on a shared machine.

Run: `.venv/bin/python bench/ingest.py [--access-points 2000] [--batches 40] [--batch-size 5000]
[--concurrency 2] [--rounds 3]`. Results go to docs/performance.md ("Probe ingest").
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import msgspec
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import tree_cpu  # noqa: E402
from schoolit.probes.agent.wire import SampleBatch, columns_of  # noqa: E402
from schoolit.probes.ingest import SAMPLE_COLUMNS  # noqa: E402
from schoolit.probes.simulators import stop_process  # noqa: E402
from tests.support import register_probe, run_cli, start_server, throwaway_cluster  # noqa: E402

T0 = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=1)


class CpuMeter:
    """CPU seconds of the database server, the app server and this process between two readings."""

    def __init__(self, postmaster: int, server: int) -> None:
        self.pids = {"database": postmaster, "app": server}
        self.start: dict[str, float] = {}

    def __enter__(self) -> dict[str, float]:
        self.start = {name: tree_cpu(pid) for name, pid in self.pids.items()}
        own = psutil.Process().cpu_times()
        self.start["client"] = own.user + own.system
        self.used: dict[str, float] = {}
        return self.used

    def __exit__(self, *exc: object) -> None:
        own = psutil.Process().cpu_times()
        now = {**{name: tree_cpu(pid) for name, pid in self.pids.items()}, "client": own.user + own.system}
        self.used.update({name: now[name] - self.start[name] for name in now})


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


def make_batches(ap_ids: list[int], batches: int, batch_size: int, first_sample: int) -> list[dict[str, object]]:
    """Polls in time order: each round polls every AP once, 5 minutes after the previous round."""
    result = []
    sample_index = first_sample
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


def encode(batch: dict[str, object], form: str) -> bytes:
    """A batch's body, its samples as objects or as columns."""
    if form == "rows":
        return msgspec.json.encode(batch)
    decoded = msgspec.convert(batch, SampleBatch)
    return msgspec.json.encode(msgspec.structs.replace(decoded, samples=[], columns=columns_of(decoded.samples)))


async def post_all(base: str, token: str, bodies: list[bytes], concurrency: int, dsn: str) -> tuple[float, float]:
    """Seconds until the last answer, and until every stored batch is derived."""
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

        conn = await asyncpg.connect(dsn)
        try:
            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            answered = time.perf_counter() - started
            # The database is the only witness of the server's derivation: poll it.
            while await conn.fetchval("SELECT count(*) FROM probe_ingest_batch WHERE derived_at IS NULL"):  # noqa: ASYNC110
                await asyncio.sleep(0.005)
            return answered, time.perf_counter() - started
        finally:
            await conn.close()


async def copy_reference(dsn: str, batches: list[dict[str, object]], county_id: int, first_batch_id: int) -> float:
    """COPY of the same rows (shifted by a year, into their own partitions) over one connection."""
    conn = await asyncpg.connect(dsn)
    try:
        year_later = T0 + dt.timedelta(days=366)
        for offset in range(0, 5):
            day = (year_later + dt.timedelta(days=offset)).date()
            start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            end = start + dt.timedelta(days=1)
            await conn.execute(f"CREATE TABLE IF NOT EXISTS probe_sample_ref_{day:%Y%m%d} PARTITION OF probe_sample "
                               f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')")
        records = []
        for batch_id, batch in enumerate(batches, start=first_batch_id):
            for s in batch["samples"]:  # type: ignore[attr-defined]
                polled = dt.datetime.fromisoformat(s["polled_at"]) + dt.timedelta(days=366)
                records.append((polled, 1, s["asset_id"], county_id, 1, batch_id, s["reachable"],
                                s.get("response_ms"), s.get("uptime_ticks"), s.get("clients"), s.get("radio_up"),
                                None, None, None, None, None, None, None))
        columns = SAMPLE_COLUMNS  # what ingest writes, batch id included
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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--format", choices=("columns", "rows"), default="columns",
                        help="how batches carry their samples: as columns (as the agent sends them) or objects")
    args = parser.parse_args()
    total = args.batches * args.batch_size
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"each round: {total:,} samples in {args.batches} batches of {args.batch_size:,} "
          f"({args.access_points:,} access points), {args.concurrency} in flight, samples as {args.format}")
    answered_rates, derived_rates, copy_rates = [], [], []
    api_cpu: list[dict[str, float]] = []
    copy_cpu: list[dict[str, float]] = []
    with throwaway_cluster() as cluster, tempfile.TemporaryDirectory() as data_dir:
        dsn = str(cluster.get_uri())
        env = {"DATABASE_URL": dsn, "DATA_DIR": data_dir, "LOG_LEVEL": "warning",
               "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-" + "k" * 40}
        run_cli("migrate", env=env).check_returncode()
        run_cli("seed", "--demo", env=env).check_returncode()
        ap_ids = asyncio.run(prepare(dsn, args.access_points))
        token = register_probe(env, "--name", "bench", "--school", "51600")
        county_id = asyncio.run(_county(dsn))
        server, base = start_server(env, "--workers", "1")
        postmaster = cluster.get_pid()
        try:
            for round_no in range(args.rounds):
                batches = make_batches(ap_ids, args.batches, args.batch_size, round_no * total)
                bodies = [encode(b, args.format) for b in batches]
                load = os.getloadavg()[0]
                with CpuMeter(postmaster, server.pid) as used:
                    answered, derived = asyncio.run(post_all(base, token, bodies, args.concurrency, dsn))
                api_cpu.append(used)
                stored, counted = asyncio.run(_counts(dsn))
                passes = asyncio.run(_passes(dsn, round_no * args.batches))
                assert stored == counted == (round_no + 1) * total, f"stored {stored}, derived {counted}"
                with CpuMeter(postmaster, server.pid) as used:
                    copy_seconds = asyncio.run(copy_reference(dsn, batches, county_id, 10**6 + round_no * args.batches))
                copy_cpu.append(used)
                answered_rates.append(total / answered)
                derived_rates.append(total / derived)
                copy_rates.append(total / copy_seconds)
                print(f"round {round_no + 1} (load {load:.2f}): HTTP until last answer {answered:6.2f} s "
                      f"{answered_rates[-1]:>9,.0f}/s | until derived {derived:6.2f} s {derived_rates[-1]:>9,.0f}/s | "
                      f"bare COPY {copy_seconds:6.2f} s {copy_rates[-1]:>9,.0f}/s | "
                      f"ratio derived/COPY {derived_rates[-1] / copy_rates[-1]:.2f}")
                print(f"  derivation passes this round: {len(passes)}, batches per pass: {passes}")
                print(f"  CPU s: API database {api_cpu[-1]['database']:.2f} + app {api_cpu[-1]['app']:.2f} "
                      f"(+ client {api_cpu[-1]['client']:.2f}) | COPY database {copy_cpu[-1]['database']:.2f} "
                      f"+ client {copy_cpu[-1]['client']:.2f}")
        finally:
            stop_process(server)
    answered_rate, derived_rate = statistics.median(answered_rates), statistics.median(derived_rates)
    copy_rate = statistics.median(copy_rates)
    print(f"median HTTP until answered : {answered_rate:>10,.0f} samples/s ({answered_rate / copy_rate:.2f} of COPY)")
    print(f"median HTTP until derived  : {derived_rate:>10,.0f} samples/s ({derived_rate / copy_rate:.2f} of COPY)")
    print(f"median bare COPY           : {copy_rate:>10,.0f} samples/s")
    ratios = sorted(d / c for d, c in zip(derived_rates, copy_rates, strict=True))
    print(f"ratio derived/COPY by round: {', '.join(f'{r:.2f}' for r in ratios)}  (target at least 0.70)")
    # CPU per 100,000 samples, which another session's load does not change as much as wall time: the
    # API's database and app server against the COPY's database and client (which encodes the rows).
    per = 100_000 / total
    api_db = statistics.median(u["database"] for u in api_cpu) * per
    api_app = statistics.median(u["app"] for u in api_cpu) * per
    copy_db = statistics.median(u["database"] for u in copy_cpu) * per
    copy_client = statistics.median(u["client"] for u in copy_cpu) * per
    print(f"median CPU per 100,000 samples: API database {api_db:.2f} s + app {api_app:.2f} s = "
          f"{api_db + api_app:.2f} s | COPY database {copy_db:.2f} s + client {copy_client:.2f} s = "
          f"{copy_db + copy_client:.2f} s | CPU ratio COPY/API {(copy_db + copy_client) / (api_db + api_app):.2f}")


async def _county(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT county_id FROM school WHERE school_number = '51600'"))
    finally:
        await conn.close()


async def _passes(dsn: str, before: int) -> list[int]:
    """Batches per derivation pass of the last round (a pass marks its batches with one time)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT count(*) AS n FROM (SELECT derived_at FROM probe_ingest_batch ORDER BY id "
                                "OFFSET $1) b GROUP BY derived_at ORDER BY derived_at", before)
        return [row["n"] for row in rows]
    finally:
        await conn.close()


async def _counts(dsn: str) -> tuple[int, int]:
    """Samples stored by ingest, and samples counted in the hourly rollups (each exactly once)."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow("SELECT (SELECT count(*) FROM probe_sample WHERE batch_id < 1000000) AS stored, "
                                  "(SELECT coalesce(sum(samples), 0) FROM probe_rollup_hours) AS counted")
        return int(row["stored"]), int(row["counted"])
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
