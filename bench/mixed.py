"""Mixed-load benchmark: page latency with and without probe ingest, in the same run.

Runs against the dataset of bench/dataset.py (like bench/pages.py: `schoolit_bench` on DATABASE_URL's
server, else the embedded cluster under bench/out/pg). Starts `schoolit serve` (or measures `--url`),
logs in as the role each page is for and measures every page twice — idle, then under ingest:
county dashboard (authority), arrangement dashboard, ticket queue, school page with its sections and a
ticket page (supporter of the arrangement).

Ingest: `--probes` probe tokens, one per county (the counties of the sampled pages first), post samples
of their county's access points at `--rate` samples/s in all (default 16,700: a million access points
polled every minute), in batches of `--batch` samples — each probe sends a batch every
`batch / (rate / probes)` seconds, as a probe that polled that many devices would, with at most
`--in-flight` of its batches unanswered. A probe the server cannot keep up with falls behind its
schedule: that is the client backlog. The probes run in a process of their own, so that building and
sending batches does not slow down the page client. Every second the database is asked for the
derivation backlog (batches and samples stored but not yet derived).

It prints per page p50/p95/p99 idle and under ingest and the ratio of the p95s against the targets
(p95 under ingest at most 1.5 × idle, and under 300 ms for the county dashboard and the school page),
then the ingest rate offered and stored, the client backlog at the end and the derivation backlog
(largest seen, and at the end).

The page clients are a closed loop: `--concurrency` clients, each sending its next view as soon as the last is
answered, which keeps the server as busy as it can be, so any other work (ingest) shows up in full in the
views' times. `--load F` measures every page a second time in each phase, in an open loop: views arrive at
random (a Poisson process, the same schedule in both phases) at F times the rate the idle closed loop served
that page, whether or not earlier views have been answered, as independent users send them; a view's time
runs from when it was due. That is the page's latency at a stated load (F = 0.5: half its capacity).

With DATABASE_READ_URL in the environment the server it starts reads its read-only pages (dashboards,
exports) from that replica.

With `--ingest-workers N` the probes post to a server of their own (N workers, run at `--ingest-nice`; its
derivation worker, woken by the batches it stores, derives them): deploy/schoolit-ingest.service, where
nginx sends `/api/v1/probe/samples` (docs/scaling.md §2).

Run: `.venv/bin/python bench/mixed.py [--requests 100] [--rate 16700] [--probes 4] [--workers 2] [--load 0.5]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import datetime as dt
import multiprocessing
import os
import platform
import random
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dataset import BENCH_SECRET_KEY  # noqa: E402
from bench.pages import (  # noqa: E402
    Page,
    bench_dsn,
    capacity,
    choose,
    measure_pages,
    measure_pages_at_rate,
    percentile,
)
from bench.support import own_cpu, tree_cpu  # noqa: E402
from schoolit.accounts.probes import register_probe  # noqa: E402
from schoolit.accounts.scope import Scope  # noqa: E402
from schoolit.db import connected  # noqa: E402
from schoolit.probes.simulators import stop_process  # noqa: E402
from schoolit.settings import load_settings  # noqa: E402
from schoolit.sql import fetch  # noqa: E402
from tests.support import run_cli, start_server  # noqa: E402

RATE = 16_700  # 1,000,000 access points polled every minute
BACKLOG_QUERY = ("SELECT count(*) AS batches, coalesce(sum(samples), 0) AS samples "
                 "FROM probe_ingest_batch WHERE derived_at IS NULL")


@dataclass
class Probe:
    token: str
    access_points: list[int]


@dataclass
class IngestResult:
    offered: int  # samples the schedule asked for
    stored: int  # samples answered 200
    seconds: float
    behind: float  # seconds the slowest probe was behind its schedule at the end
    errors: int
    cpu: float  # CPU seconds of the probe process (user + system) while it posted


class Bodies:
    """A probe's batch bodies, encoded ahead as the agent sends them (samples as columns, `SampleColumns`): every
    access point's id and client count once as JSON bytes, so a batch is a few `bytes.join`s of `batch` of them
    with the poll time, the uptime and a fresh idempotency key — about a tenth of a millisecond of the load
    generator's CPU per batch instead of building and encoding 2,000 samples, so that the generator competes
    with the server little more than a remote probe would."""

    def __init__(self, access_points: list[int], batch: int) -> None:
        self.batch = batch
        self.ids = [str(ap).encode() for ap in access_points]
        self.clients = [str(ap % 40).encode() for ap in access_points]
        # The same value for every sample of a batch, encoded once.
        self.same = {name: b"[" + b",".join([value] * batch) + b"]" for name, value in (
            ("asset_kind", b'"access_point"'), ("reachable", b"true"), ("response_ms", b"2.5"),
            ("radio_up", b"true"))}
        self.offset = 0

    def _chosen(self, values: list[bytes], start: int) -> bytes:
        chosen = values[start:start + self.batch]
        if len(chosen) < self.batch:  # round the end of the county's list
            chosen = [values[(start + i) % len(values)] for i in range(self.batch)]
        return b"[" + b",".join(chosen) + b"]"

    def next(self) -> bytes:
        """The next batch: the following `batch` access points (round the county), polled now."""
        start = self.offset % len(self.ids)
        self.offset += self.batch
        now = dt.datetime.now(dt.UTC)
        polled_at_us = str((now - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)).encode()
        uptime = str(1_000_000 + self.offset).encode()
        columns = b"".join((
            b'{"asset_kind":', self.same["asset_kind"], b',"asset_id":', self._chosen(self.ids, start),
            b',"polled_at_us":[', b",".join([polled_at_us] * self.batch), b'],"reachable":', self.same["reachable"],
            b',"response_ms":', self.same["response_ms"], b',"uptime_ticks":[', b",".join([uptime] * self.batch),
            b'],"clients":', self._chosen(self.clients, start), b',"radio_up":', self.same["radio_up"], b"}"))
        return b"".join((b'{"idempotency_key":"', str(uuid.uuid4()).encode(), b'","sent_at":"',
                         now.isoformat().encode(), b'","columns":', columns, b"}"))


class Poster:
    """POST /api/v1/probe/samples over kept-alive HTTP/1.1 connections (one per unanswered batch), written
    by hand on asyncio streams: an httpx request cost the probes' process about 2 ms of CPU, several times
    what encoding the batch costs now."""

    def __init__(self, base: str, token: str) -> None:
        address = urlsplit(base)
        self.host, self.port = address.hostname or "127.0.0.1", address.port or 80
        self.head = (f"POST /api/v1/probe/samples HTTP/1.1\r\nHost: {address.netloc}\r\n"
                     f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n").encode()
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def __aenter__(self) -> Poster:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for _, writer in self.idle:
            writer.close()

    async def post(self, body: bytes) -> int:
        """The answer's status code (its body read and dropped). A kept connection the server has closed
        meanwhile (its keep-alive timeout) is replaced by a new one."""
        request = b"".join((self.head, b"Content-Length: ", str(len(body)).encode(), b"\r\n\r\n", body))
        while self.idle:
            reader, writer = self.idle.pop()
            try:
                writer.write(request)
                return await self._answer(reader, writer)
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.write(request)
        return await self._answer(reader, writer)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        headers = head.lower()
        length = re.search(rb"\r\ncontent-length: *(\d+)", headers)
        if length is not None:
            await reader.readexactly(int(length.group(1)))
        else:  # chunked
            while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                await reader.readexactly(size + 2)
            await reader.readuntil(b"\r\n")
        if b"\r\nconnection: close" in headers:
            writer.close()
        else:
            self.idle.append((reader, writer))
        return status


def _probe_process(base: str, probes: list[Probe], rate: float, batch: int, in_flight: int,
                   stop: Any, results: Any) -> None:
    """The probes, in a process of their own until `stop` is set; the result into `results`."""
    results.put(asyncio.run(_post(base, probes, rate, batch, in_flight, stop)))


def cpu_seconds() -> float:
    """This process's CPU time so far (user + system)."""
    times = os.times()
    return times.user + times.system


async def _post(base: str, probes: list[Probe], rate: float, batch: int, in_flight: int,
                stop: Any) -> IngestResult:
    interval = batch / (rate / len(probes))
    encoded = [Bodies(one.access_points, batch) for one in probes]  # before the clock and the CPU count
    offered = stored = errors = 0
    behind = 0.0
    cpu = cpu_seconds()
    started = time.perf_counter()

    async def probe(one: Probe, bodies: Bodies, phase: float) -> None:
        nonlocal offered, stored, errors, behind
        gate = asyncio.Semaphore(in_flight)
        pending: set[asyncio.Task[None]] = set()
        async with Poster(base, one.token) as poster:

            async def send(body: bytes) -> None:
                nonlocal stored, errors
                try:
                    if await poster.post(body) == 200:
                        stored += batch
                    else:
                        errors += 1
                except (OSError, asyncio.IncompleteReadError):
                    errors += 1
                finally:
                    gate.release()

            due = started + phase
            while not stop.is_set():
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(min(wait, 0.5))
                    continue
                await gate.acquire()  # at most in_flight unanswered: a slow server makes this probe late
                offered += batch
                task = asyncio.create_task(send(bodies.next()))
                pending.add(task)
                task.add_done_callback(pending.discard)
                due += interval
            behind = max(behind, time.perf_counter() - due)
            await asyncio.gather(*pending)

    await asyncio.gather(*(probe(one, bodies, n * batch / rate)
                           for n, (one, bodies) in enumerate(zip(probes, encoded, strict=True))))
    return IngestResult(offered, stored, time.perf_counter() - started, max(0.0, behind), errors,
                        cpu_seconds() - cpu)


@contextlib.contextmanager
def ingesting(base: str, probes: list[Probe], args: argparse.Namespace) -> Iterator[list[IngestResult]]:
    """The probes posting while inside; their result in the list afterwards."""
    context = multiprocessing.get_context("fork")
    stop, results = context.Event(), context.Queue()
    process = context.Process(target=_probe_process, daemon=True,
                              args=(base, probes, args.rate, args.batch, args.in_flight, stop, results))
    outcome: list[IngestResult] = []
    process.start()
    try:
        yield outcome
    finally:
        stop.set()
        outcome.append(results.get(timeout=600))
        process.join(timeout=60)


async def county_fleets(dsn: str, sampled: list[str], count: int) -> dict[str, list[int]]:
    """The access points of `count` counties, the sampled pages' counties first, the others in id order."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT c.slug, array_agg(ap.id ORDER BY ap.id) AS ids FROM county c "
                                "JOIN access_point ap ON ap.county_id = c.id AND ap.status IN ('active', 'faulty') "
                                "GROUP BY c.id, c.slug ORDER BY c.id")
    finally:
        await conn.close()
    fleets = {row["slug"]: list(row["ids"]) for row in rows}
    order = [slug for slug in sampled if slug in fleets] + [slug for slug in fleets if slug not in sampled]
    return {slug: fleets[slug] for slug in order[:count]}


def county_probe_tokens(dsn: str, env: dict[str, str], slugs: list[str]) -> dict[str, str]:
    """A probe token per county, registered in this process through the function `schoolit probe register`
    calls (a command per probe takes a second or two: all 400 counties would take ten minutes); the sample
    partitions around today first, through the command."""
    full_env = {**env, "DATABASE_URL": dsn, "SECRET_KEY": BENCH_SECRET_KEY}
    run_cli("maintenance", "partitions", env=full_env).check_returncode()

    async def register() -> dict[str, str]:
        async with connected(load_settings(full_env)):
            counties = {row["slug"]: row["id"] for row in await fetch("SELECT id, slug FROM county")}
            scope, tokens = Scope.system("bench"), {}
            for slug in slugs:
                name = f"bench-load-{uuid.uuid4().hex[:6]}"
                tokens[slug] = (await register_probe(scope, name=name, county_id=counties[slug]))[0]
            return tokens

    return asyncio.run(register())


def statement_class(backend_type: str, query: str) -> str:
    """What a PostgreSQL process was doing, from pg_stat_activity: its kind, and for a client backend its
    (last) statement: the derivation pass, the outage checks after the passes, a sample COPY, the rest of ingest,
    this benchmark's own reads, or the pages (everything else)."""
    if backend_type != "client backend":
        return f"pg {backend_type}"
    if "WITH pass AS" in query or "WITH one AS" in query:
        return "pg derivation pass"
    if query.startswith("COPY"):
        return "pg ingest COPY"
    if "outage_ticket_id" in query or "FROM probe WHERE" in query:
        return "pg outage checks after the passes"
    if ("probe_ingest_batch" in query or "probe_run" in query or "pg_advisory" in query
            or query.startswith("SELECT kind, county_id, school_id, array_agg(id)")):  # ingest's scope check
        return "pg ingest and derivation, other statements"
    if "pg_stat_activity" in query or query.startswith("SELECT count(*) AS batches"):
        return "pg benchmark's own reads"
    return PAGES


PAGES = "pg pages and the rest"


@dataclass
class CpuWatch:
    """Where a phase's CPU went: the app server's processes, and PostgreSQL's processes by what each was doing
    when looked at (pg_stat_activity every `every` seconds; a backend's CPU since the last look counts for the
    statement it ran or last ran then), the exited ones (autovacuum workers, say) from the postmaster's
    reaped children."""

    servers: dict[str, int]  # the app servers' processes by name
    every: float = 0.1
    seconds: dict[str, float] = field(default_factory=dict)
    page: str = ""  # the page being measured: the pages' statements and the page server count for it apart

    async def run(self, dsn: str, done: asyncio.Event) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            checkpointer = await conn.fetchval("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
            postmaster = psutil.Process(checkpointer).ppid()

            def reaped() -> float:
                return own_cpu(postmaster, reaped=True) - own_cpu(postmaster)

            exited, app = reaped(), {name: tree_cpu(pid) for name, pid in self.servers.items()}
            last: dict[int, float] = {}
            pages = next((pid for name, pid in self.servers.items() if "ingest" not in name), None)
            pages_cpu = tree_cpu(pages) if pages else 0.0
            while not done.is_set():
                rows = await conn.fetch("SELECT pid, backend_type, left(query, 60) AS query FROM pg_stat_activity")
                for row in rows:
                    now = own_cpu(row["pid"])
                    if row["pid"] in last:
                        part = statement_class(row["backend_type"] or "", row["query"] or "")
                        if part == PAGES and self.page:
                            part = f"  of which {self.page}"
                        self.seconds[part] = self.seconds.get(part, 0.0) + now - last[row["pid"]]
                    last[row["pid"]] = now
                if pages and self.page:
                    now = tree_cpu(pages)
                    name = f"  app page server for {self.page}"
                    self.seconds[name] = self.seconds.get(name, 0.0) + now - pages_cpu
                    pages_cpu = now
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), self.every)
            self.seconds["pg exited processes (autovacuum workers, backends)"] = reaped() - exited
            for name, pid in self.servers.items():
                self.seconds[name] = tree_cpu(pid) - app[name]
        finally:
            await conn.close()


@dataclass
class Phase:
    """What the main process saw during a phase: the derivation backlog every second, its own CPU, and where
    the server's and the database's CPU went."""

    backlog: list[tuple[float, int, int]] = field(default_factory=list)  # (seconds in, batches, samples)
    cpu: float = 0.0  # CPU seconds of the page clients (and this watcher)
    seconds: float = 0.0
    watch: CpuWatch | None = None

    def largest(self) -> tuple[int, int]:
        return max(((b, s) for _, b, s in self.backlog), key=lambda seen: seen[1])

    def per_minute(self) -> list[tuple[int, int, int]]:
        """(minute, largest samples, samples at its last reading) of the backlog."""
        minutes: dict[int, list[int]] = {}
        for at, _, samples in self.backlog:
            minutes.setdefault(int(at // 60), []).append(samples)
        return [(minute, max(seen), seen[-1]) for minute, seen in sorted(minutes.items())]


async def watch_backlog(dsn: str, done: asyncio.Event, phase: Phase) -> None:
    """The derivation backlog every second until done (and once more at the end)."""
    conn = await asyncpg.connect(dsn)
    started = time.perf_counter()
    try:
        while True:
            row = await conn.fetchrow(BACKLOG_QUERY)
            phase.backlog.append((time.perf_counter() - started, int(row["batches"]), int(row["samples"])))
            if done.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 1.0)
    finally:
        await conn.close()


async def measure_with_backlog(base: str, dsn: str, pages: list[Page], args: argparse.Namespace,
                               phase: Phase, at_rate: list[Page] | None = None) -> None:
    """The pages in a closed loop (`--concurrency` clients back to back), then with `--load` the `at_rate` pages in
    an open loop (arrivals at that share of each page's idle capacity, `args.rates`)."""
    done = asyncio.Event()
    cpu, started = cpu_seconds(), time.perf_counter()
    watcher = asyncio.create_task(watch_backlog(dsn, done, phase))
    profiler = asyncio.create_task(phase.watch.run(dsn, done)) if phase.watch else None
    try:
        measuring = (lambda page: setattr(phase.watch, "page", page.name)) if phase.watch else None
        await measure_pages(base, pages, args.requests, args.concurrency, args.warmup, measuring)
        if phase.watch:
            phase.watch.page = ""  # the open loop's views count for the pages together
        if at_rate is not None:
            if not args.rates:  # the idle phase's closed loop tells each page's capacity
                args.rates = {page.name: args.load * capacity(page, args.concurrency) for page in pages
                              if not page.missing}
            await measure_pages_at_rate(base, at_rate, args.requests, args.rates, args.seed)
    finally:
        done.set()
        await watcher
        if profiler:
            await profiler
        phase.cpu, phase.seconds = cpu_seconds() - cpu, time.perf_counter() - started


async def tickets_of(dsn: str, arrangements: list[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    """A ticket page per sampled arrangement, for its supporter."""
    conn = await asyncpg.connect(dsn)
    try:
        visits = []
        for path, email in arrangements:
            rows = await conn.fetch("SELECT t.id FROM ticket t JOIN arrangement_member m ON m.county_id = t.county_id "
                                    "WHERE m.arrangement_id = $1 ORDER BY t.id DESC LIMIT 200",
                                    int(path.rsplit("/", 1)[1]))
            if rows:
                visits.append((f"/tickets/{rng.choice(rows)['id']}", email))
        return visits
    finally:
        await conn.close()


def report(idle: list[Page], loaded: list[Page], heading: str) -> None:
    print(heading)
    print(f"{'page':<38} {'idle p50/p95/p99 ms':>22} {'ingest p50/p95/p99 ms':>24} {'p95 ×':>6}  verdict")
    for quiet, busy in zip(idle, loaded, strict=True):
        if quiet.missing or busy.missing:
            print(f"{quiet.name:<38} missing (404)")
            continue
        a, b = quiet.totals, busy.totals

        def cells(times: list[float]) -> str:
            return "/".join(f"{percentile(times, share):.0f}" for share in (0.5, 0.95, 0.99))

        ratio = percentile(b, 0.95) / percentile(a, 0.95)
        verdicts = ["ok" if ratio <= 1.5 else "over 1.5×"]
        if busy.target_ms is not None:
            verdicts.append("ok" if percentile(b, 0.95) < busy.target_ms else f"over {busy.target_ms:.0f} ms")
        print(f"{quiet.name:<38} {cells(a):>22} {cells(b):>24} {ratio:>6.2f}  {', '.join(verdicts)}")


def report_ingest(result: IngestResult, idle: Phase, busy: Phase) -> None:
    print(f"ingest: offered {result.offered / result.seconds:,.0f} samples/s, stored "
          f"{result.stored / result.seconds:,.0f} samples/s ({result.stored:,} samples in "
          f"{result.seconds:.1f} s, {result.errors} refused); client backlog at the end "
          f"{result.behind:.1f} s behind schedule")
    print(f"load generator: the probes' process {result.cpu:.1f} CPU s ({result.cpu / result.seconds:.1%} of a "
          f"core); the page clients {idle.cpu:.1f} CPU s idle ({idle.cpu / idle.seconds:.1%}), "
          f"{busy.cpu:.1f} CPU s under ingest ({busy.cpu / busy.seconds:.1%})")
    batches, samples = busy.largest()
    print(f"derivation backlog: largest {batches:,} batches / {samples:,} samples, at the end of the pages "
          f"{busy.backlog[-1][1]:,} / {busy.backlog[-1][2]:,} (idle phase: largest {idle.largest()[1]:,} samples)")
    print("derivation backlog per minute of the ingest phase (samples, largest / at its end): " + ", ".join(
        f"{minute + 1}: {largest:,} / {last:,}" for minute, largest, last in busy.per_minute()))
    if idle.watch and busy.watch:
        print(f"CPU by part, seconds and share of the two cores (idle {idle.seconds:.0f} s, under ingest "
              f"{busy.seconds:.0f} s):")
        parts = set(idle.watch.seconds) | set(busy.watch.seconds)
        order = sorted((part for part in parts if not part.startswith("  ")),
                       key=lambda name: -busy.watch.seconds.get(name, 0.0))  # type: ignore[union-attr]
        # Below the pages' statements and the page server: their seconds by the page measured then.
        below = {PAGES: "  of which ", "app page server (workers)": "  app page server for ",
                 "app server (workers)": "  app page server for "}
        for part in [p for top in order for p in [top, *sorted(q for q in parts if q.startswith(below.get(top, "-")))]]:
            quiet, loaded = idle.watch.seconds.get(part, 0.0), busy.watch.seconds.get(part, 0.0)
            if quiet or loaded:
                print(f"  {part:<52} idle {quiet:7.1f} s {quiet / idle.seconds / 2:6.1%}   under ingest "
                      f"{loaded:7.1f} s {loaded / busy.seconds / 2:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="measure this running server instead of starting one")
    parser.add_argument("--requests", type=int, default=100, help="measured requests per page and phase")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=2, help="page requests in flight (clients)")
    parser.add_argument("--workers", type=int, default=2, help="`schoolit serve --workers`")
    parser.add_argument("--ingest-workers", type=int, default=0,
                        help="serve ingest (and derivation) from a server of its own with this many workers")
    parser.add_argument("--ingest-nice", type=int, default=10, help="the niceness of that server's processes")
    parser.add_argument("--sample", type=int, default=8, help="how many counties, arrangements, schools")
    parser.add_argument("--rate", type=float, default=RATE, help="samples per second from all probes")
    parser.add_argument("--probes", type=int, default=4, help="probe tokens, one per county")
    parser.add_argument("--batch", type=int, default=2000, help="samples per batch")
    parser.add_argument("--in-flight", type=int, default=2, help="unanswered batches per probe at most")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--load", type=float, default=0.0,
                        help="also measure every page in an open loop at this share of its idle capacity (0.5: "
                             "views arrive at half the rate the closed loop served), idle and under ingest")
    parser.add_argument("--profile", action="store_true",
                        help="also print where the server's and the database's CPU went in each phase")
    args = parser.parse_args()
    if not 0 <= args.load <= 1:
        parser.error("--load is a share of the capacity: between 0 and 1")
    args.rates = {}
    rng = random.Random(args.seed)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.requests} requests per page "
          f"and phase, {args.concurrency} in flight, {args.workers} worker(s); ingest {args.rate:,.0f} samples/s "
          f"from {args.probes} probes in batches of {args.batch:,}"
          + (f"; ingest served apart: {args.ingest_workers} worker(s) at nice {args.ingest_nice}"
             if args.ingest_workers else "")
          + ("; read replica: DATABASE_READ_URL" if os.environ.get("DATABASE_READ_URL") else ""))
    with bench_dsn() as dsn:
        targets = asyncio.run(choose(dsn, args.sample, rng))
        idle = [
            Page("county dashboard (authority)", 300, targets["county"]),
            Page("arrangement dashboard (supporter)", None, targets["arrangement"]),
            Page("ticket queue (supporter)", None, targets["queue"]),
            Page("school page + sections (supporter)", 300, targets["school"]),
            Page("ticket page (supporter)", None, asyncio.run(tickets_of(dsn, targets["arrangement"], rng))),
        ]
        for page in idle:
            if not page.visits:
                print(f"{page.name}: none in this dataset, not measured")
        idle = [page for page in idle if page.visits]
        loaded = [copy.deepcopy(page) for page in idle]
        idle_open = [copy.deepcopy(page) for page in idle] if args.load else None
        loaded_open = [copy.deepcopy(page) for page in idle] if args.load else None
        sampled = list(dict.fromkeys(path.rsplit("/", 1)[1] for path, _ in targets["county"]))
        with tempfile.TemporaryDirectory() as data_dir, serving(args, dsn, data_dir) as (base, ingest_base, servers):
            fleets = asyncio.run(county_fleets(dsn, sampled, args.probes))
            tokens = county_probe_tokens(dsn, {"DATA_DIR": data_dir}, list(fleets))
            probes = [Probe(tokens[slug], access_points) for slug, access_points in fleets.items()]
            polled = sum(len(probe.access_points) for probe in probes)
            print(f"probes: {len(probes)} counties, {polled:,} access points, "
                  f"each polled {args.rate * 60 / polled:.1f} times a minute")
            idle_phase, busy_phase = Phase(), Phase()
            if args.profile:
                idle_phase.watch, busy_phase.watch = CpuWatch(servers), CpuWatch(servers)
            asyncio.run(measure_with_backlog(base, dsn, idle, args, idle_phase, idle_open))
            with ingesting(ingest_base, probes, args) as outcome:
                asyncio.run(measure_with_backlog(base, dsn, loaded, args, busy_phase, loaded_open))
            report(idle, loaded, f"closed loop: {args.concurrency} clients, each sending its next view when the "
                                 "last has been answered")
            if idle_open and loaded_open:
                report(idle_open, loaded_open, f"open loop at {args.load:.0%} of each page's idle capacity "
                       "(views per second: " + ", ".join(f"{name.split(' (')[0]} {rate:.1f}"
                                                         for name, rate in args.rates.items()) + ")")
            report_ingest(outcome[0], idle_phase, busy_phase)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


@contextlib.contextmanager
def serving(args: argparse.Namespace, dsn: str, data_dir: str) -> Iterator[tuple[str, str, dict[str, int]]]:
    """The page server's and the ingest server's base URLs (the same one unless `--ingest-workers`), and the
    processes started, by name."""
    if args.url:
        yield args.url.rstrip("/"), args.url.rstrip("/"), {}
        return
    env = {"DATABASE_URL": dsn, "SECRET_KEY": BENCH_SECRET_KEY, "DATA_DIR": data_dir, "LOG_LEVEL": "warning",
           "SCHEDULER": "off", "DB_POOL_MAX": "10"}
    proc, base = start_server(env, "--workers", str(args.workers))
    try:
        if not args.ingest_workers:
            yield base, base, {"app server (workers)": proc.pid}
            return
        ingest, ingest_base = start_server(env, "--workers", str(args.ingest_workers))
        try:
            for process in [psutil.Process(ingest.pid), *psutil.Process(ingest.pid).children(recursive=True)]:
                process.nice(args.ingest_nice)
            yield base, ingest_base, {"app page server (workers)": proc.pid, "app ingest server": ingest.pid}
        finally:
            stop_process(ingest)
    finally:
        stop_process(proc)


if __name__ == "__main__":
    main()
