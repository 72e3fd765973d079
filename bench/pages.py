"""Page benchmark on the nationwide dataset: p50/p95/p99 of the county dashboard, the arrangement
dashboard, the ticket queue and a school page (with the htmx sections it loads), next to their targets.

Runs against the database bench/dataset.py made (`schoolit_bench` on DATABASE_URL's server, else the
embedded cluster under bench/out/pg, started here and stopped at the end): starts `schoolit serve`
on a free port of 127.0.0.1 (or measures `--url` of a running server), logs in through the login form
(session cookie + CSRF token) as the role each page is for — the county's authority for its dashboard,
a supporter of the arrangement for the arrangement dashboard, the queue and school pages — warms up,
then requests each page N times, cycling through randomly chosen counties, arrangements and schools,
with `--concurrency` requests in flight. The reference is `GET /health` in the same run: the fixed
cost of the stack (routing, middleware, one database round trip).

A school page is measured as the page plus every section it loads with `hx-trigger="load"`; its
total is the page's time plus its sections' (one after the other, as measured; a browser fetches
the sections in parallel, so it sees less). A page answering 404 (the dashboards before they exist)
is reported as missing.

`--wrk SECONDS` also runs `wrk` (Debian package) against each page with the session cookie, for
requests per second per worker. `--ingest` measures under ingest load: a probe registered for the
first sampled county posts batches of 2,000 samples (its access points, polled "now") to
`/api/v1/probe/samples` of the same server, one batch in flight, for as long as the pages are
measured; the samples per second it achieved are printed. (The samples change that county's rollups
of the current hour and day: the dataset is then no longer exactly as generated.)

Run: `.venv/bin/python bench/pages.py [--requests 200] [--concurrency 1] [--workers 1] [--wrk 10]`.
Results go to docs/performance.md ("Nationwide dataset and pages").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dataset import BENCH_PASSWORD, BENCH_SECRET_KEY, CLUSTER_DIR, DATABASE  # noqa: E402
from schoolit.probes.agent.wire import Sample, SampleBatch, columns_of  # noqa: E402
from schoolit.probes.simulators import stop_process  # noqa: E402
from tests.support import register_probe, run_cli, start_server  # noqa: E402

SECTION = re.compile(r'hx-get="([^"]+)"[^>]*hx-trigger="load"')
CSRF_INPUT = re.compile(r'name="_csrf_token"\s+value="([^"]+)"')
INGEST_BATCH = 2000


@dataclass
class Page:
    """One page to measure: a name, its target p95 in ms, and (path, login) pairs to cycle through."""

    name: str
    target_ms: float | None
    visits: list[tuple[str, str]]
    times: list[float] = field(default_factory=list)
    sections: dict[str, list[float]] = field(default_factory=dict)
    totals: list[float] = field(default_factory=list)
    missing: bool = False


@contextlib.contextmanager
def bench_dsn() -> Iterator[str]:
    """The DSN of the dataset database; the embedded cluster runs while inside."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield urlunsplit(urlsplit(url)._replace(path="/" + DATABASE))
        return
    if not CLUSTER_DIR.exists():
        raise SystemExit("no dataset: run bench/dataset.py first")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(CLUSTER_DIR, cleanup_mode="stop")
    try:
        yield str(server.get_uri(DATABASE))
    finally:
        server.cleanup()


async def choose(dsn: str, count: int, rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """Random counties (with their authority), arrangements and schools (with a supporter)."""
    conn = await asyncpg.connect(dsn)
    try:
        counties = await conn.fetch("SELECT c.slug, u.email FROM county c JOIN app_user u ON u.county_id = c.id "
                                    "AND u.role = 'authority'")
        arrangements = await conn.fetch("SELECT a.id, min(u.email) AS email FROM arrangement a JOIN app_user u "
                                        "ON u.arrangement_id = a.id GROUP BY a.id")
        chosen = rng.sample(list(arrangements), min(count, len(arrangements)))
        schools = []
        for arrangement in chosen:
            school_ids = await conn.fetch(
                "SELECT s.id FROM school s JOIN arrangement_member m ON m.county_id = s.county_id "
                "WHERE m.arrangement_id = $1", arrangement["id"])
            schools.append((f"/schools/{rng.choice(school_ids)['id']}", arrangement["email"]))
    finally:
        await conn.close()
    return {
        "county": [(f"/dashboards/counties/{r['slug']}", r["email"]) for r in rng.sample(list(counties), count)],
        "arrangement": [(f"/dashboards/arrangements/{r['id']}", r["email"]) for r in chosen],
        "queue": [("/tickets", r["email"]) for r in chosen],
        "school": schools,
    }


async def login(base: str, email: str) -> httpx.AsyncClient:
    """A client holding a session made through the login form, as a browser gets one."""
    http = httpx.AsyncClient(base_url=base, timeout=120, follow_redirects=False)
    form = await http.get("/login")
    token = CSRF_INPUT.search(form.text)
    if token is None:
        raise RuntimeError("no CSRF field in the login form")
    answer = await http.post("/login", data={"email": email, "password": BENCH_PASSWORD, "next": "/",
                                             "_csrf_token": token.group(1)})
    if answer.status_code != 303:
        raise RuntimeError(f"login of {email} answered {answer.status_code}")
    return http


async def visit(http: httpx.AsyncClient, page: Page, path: str, record: bool, due: float | None = None) -> None:
    """One page view with its sections; with `due` (open loop) the page's time runs from when it was due."""
    started = time.perf_counter() if due is None else due
    answer = await http.get(path)
    elapsed = time.perf_counter() - started
    if answer.status_code == 404:
        page.missing = True
        return
    if answer.status_code != 200:
        raise RuntimeError(f"{path} answered {answer.status_code}")
    total = elapsed
    for section in SECTION.findall(answer.text):
        begun = time.perf_counter()
        part = await http.get(section, headers={"hx-request": "true"})
        took = time.perf_counter() - begun
        if part.status_code != 200:
            raise RuntimeError(f"{section} answered {part.status_code}")
        total += took
        if record:
            page.sections.setdefault(re.sub(r"\d+", "{id}", section), []).append(took)
    if record:
        page.times.append(elapsed)
        page.totals.append(total)


@dataclass
class IngestLoad:
    """A probe posting samples of its county's access points while the pages are measured."""

    token: str
    access_points: list[int]
    samples: int = 0
    seconds: float = 0.0

    async def run(self, base: str, done: asyncio.Event) -> None:
        started = time.perf_counter()
        async with httpx.AsyncClient(base_url=base, timeout=120,
                                     headers={"authorization": f"Bearer {self.token}"}) as http:
            offset = 0
            while not done.is_set():
                now = dt.datetime.now(dt.UTC)
                chosen = [self.access_points[(offset + i) % len(self.access_points)] for i in range(INGEST_BATCH)]
                offset += INGEST_BATCH
                samples = [Sample(asset_kind="access_point", asset_id=ap, polled_at=now, reachable=True,
                                  response_ms=2.5, uptime_ticks=1_000_000 + offset, clients=ap % 40, radio_up=True)
                           for ap in chosen]  # as the agent sends them: columns
                body = msgspec.to_builtins(SampleBatch(idempotency_key=uuid.uuid4(), sent_at=now,
                                                       columns=columns_of(samples)))
                answer = await http.post("/api/v1/probe/samples", json=body)
                if answer.status_code != 200:
                    raise RuntimeError(f"ingest answered {answer.status_code}: {answer.text[:300]}")
                self.samples += INGEST_BATCH
        self.seconds = time.perf_counter() - started


def county_probe_token(dsn: str, env: dict[str, str], county_slug: str) -> str:
    """A probe token for the county (and sample partitions around today), through our CLI."""
    full_env = {**env, "DATABASE_URL": dsn, "SECRET_KEY": BENCH_SECRET_KEY}
    run_cli("maintenance", "partitions", env=full_env).check_returncode()
    return register_probe(full_env, "--name", f"bench-load-{uuid.uuid4().hex[:6]}", "--county", county_slug)


async def county_access_points(dsn: str, county_slug: str) -> list[int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT ap.id FROM access_point ap JOIN county c ON c.id = ap.county_id "
                                "WHERE c.slug = $1 AND ap.status IN ('active', 'faulty') ORDER BY ap.id", county_slug)
        return [r["id"] for r in rows]
    finally:
        await conn.close()


async def measure(base: str, pages: list[Page], requests: int, concurrency: int, warmup: int,
                  load: IngestLoad | None = None) -> None:
    done = asyncio.Event()
    background = asyncio.create_task(load.run(base, done)) if load else None
    try:
        await measure_pages(base, pages, requests, concurrency, warmup)
    finally:
        done.set()
        if background is not None:
            await background


async def measure_pages(base: str, pages: list[Page], requests: int, concurrency: int, warmup: int,
                        measuring: Callable[[Page], None] | None = None) -> None:
    """Each page in turn, `requests` views by `concurrency` clients back to back (`measuring` is told which)."""
    sessions = {email: await login(base, email) for page in pages for _, email in page.visits}
    try:
        for page in pages:
            if measuring:
                measuring(page)
            visits = [page.visits[i % len(page.visits)] for i in range(warmup + requests)]
            for path, email in visits[:warmup]:
                await visit(sessions[email], page, path, record=False)
                if page.missing:
                    break
            if page.missing:
                continue
            queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
            for item in visits[warmup:]:
                queue.put_nowait(item)

            async def worker(page: Page = page, queue: asyncio.Queue[tuple[str, str]] = queue) -> None:
                while not queue.empty():
                    path, email = queue.get_nowait()
                    await visit(sessions[email], page, path, record=True)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        for http in sessions.values():
            await http.aclose()


def capacity(page: Page, concurrency: int) -> float:
    """Views per second a closed loop of `concurrency` clients got: each client waits for its view, then sends the
    next, so together they served `concurrency` views per mean view time."""
    return concurrency / statistics.fmean(page.totals)


async def measure_pages_at_rate(base: str, pages: list[Page], requests: int, rates: dict[str, float],
                                seed: int) -> None:
    """Open loop: each page's `requests` views start at random times (a Poisson process at `rates[page.name]` per
    second, the same schedule for the same seed), whether or not the views before them have been answered, as
    independent users would. A view's time runs from when it was due, so a server or client that falls behind
    counts its lateness (no coordinated omission)."""
    sessions = {email: await login(base, email) for page in pages for _, email in page.visits}
    try:
        for page in pages:
            if page.missing:
                continue
            rng = random.Random(f"{seed}:{page.name}")
            rate = rates[page.name]
            due, started = 0.0, time.perf_counter()
            views = []
            for index in range(requests):
                due += rng.expovariate(rate)
                path, email = page.visits[index % len(page.visits)]
                wait = started + due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                views.append(asyncio.create_task(visit(sessions[email], page, path, record=True,
                                                       due=started + due)))
            await asyncio.gather(*views)
    finally:
        for http in sessions.values():
            await http.aclose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000


def report(pages: list[Page], reference: Page) -> None:
    health = statistics.median(reference.times) * 1000
    print(f"{'page':<44} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'target p95':>11} {'p50/health':>11}")

    def row(name: str, times: list[float], target: float | None) -> None:
        p95 = percentile(times, 0.95)
        verdict = "" if target is None else ("ok" if p95 < target else "MISSED")
        print(f"{name:<44} {percentile(times, 0.5):>8.1f} {p95:>8.1f} {percentile(times, 0.99):>8.1f} "
              f"{'' if target is None else f'< {target:.0f}':>11} {percentile(times, 0.5) / health:>10.1f}x "
              f"{verdict}")

    row("reference: GET /health", reference.times, None)
    for page in pages:
        if page.missing:
            print(f"{page.name:<44} missing (404)")
            continue
        if page.sections:
            row(f"{page.name}: page alone", page.times, None)
            for section, times in page.sections.items():
                row(f"  section {section}", times, None)
            row(f"{page.name}: total (page + sections)", page.totals, page.target_ms)
        else:
            row(page.name, page.times, page.target_ms)


def run_wrk(base: str, pages: list[Page], cookies: dict[str, str], seconds: int) -> None:
    """Requests per second per page with wrk (2 connections, 1 thread), against the same server."""
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk not installed (apt-get install wrk): skipped")
        return
    for page in pages:
        if page.missing:
            continue
        path, email = page.visits[0]
        result = subprocess.run([wrk, "-t1", "-c2", f"-d{seconds}s", "-H", f"Cookie: {cookies[email]}", base + path],
                                capture_output=True, text=True, check=True)
        rate = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
        print(f"wrk {page.name:<44} {path:<36} {float(rate.group(1)) if rate else 0:>8.1f} req/s"
              f"{'' if errors is None else f' ({errors.group(1)} non-2xx)'}")


async def wrk_sessions(base: str, pages: list[Page]) -> dict[str, str]:
    """A Cookie header per login, for wrk."""
    headers = {}
    for page in pages:
        for _, email in page.visits[:1]:
            http = await login(base, email)
            headers[email] = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
            await http.aclose()
    return headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="measure this running server instead of starting one")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight")
    parser.add_argument("--workers", type=int, default=1, help="`schoolit serve --workers`")
    parser.add_argument("--sample", type=int, default=8, help="how many counties, arrangements, schools")
    parser.add_argument("--wrk", type=int, default=0, metavar="SECONDS", help="also run wrk this long per page")
    parser.add_argument("--only", help="comma-separated words: measure only pages whose name has one")
    parser.add_argument("--ingest", action="store_true", help="measure while a probe posts samples")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.requests} requests per page, "
          f"concurrency {args.concurrency}, {args.workers} worker(s)")
    with bench_dsn() as dsn:
        targets = asyncio.run(choose(dsn, args.sample, rng))
        pages = [
            Page("county dashboard (authority)", 300, targets["county"]),
            Page("arrangement dashboard (supporter)", 500, targets["arrangement"]),
            Page("ticket queue /tickets (supporter)", 200, targets["queue"]),
            Page("ticket queue /tickets (admin, all counties)", 200, [("/tickets", "admin@bench.example")]),
            Page("school page (supporter)", 200, targets["school"]),
        ]
        if args.only:
            pages = [page for page in pages if any(word in page.name for word in args.only.split(","))]
        reference = Page("reference", None, [("/health", "admin@bench.example")])
        with tempfile.TemporaryDirectory() as data_dir, serving(args, dsn, data_dir) as base:
            asyncio.run(measure(base, [reference], args.requests, args.concurrency, args.warmup))
            load = None
            if args.ingest:
                slug = targets["county"][0][0].rsplit("/", 1)[1]
                load = IngestLoad(county_probe_token(dsn, {"DATA_DIR": data_dir}, slug),
                                  asyncio.run(county_access_points(dsn, slug)))
            asyncio.run(measure(base, pages, args.requests, args.concurrency, args.warmup, load))
            report(pages, reference)
            if load is not None:
                print(f"ingest load: {load.samples:,} samples in {load.seconds:.1f} s "
                      f"({load.samples / load.seconds:,.0f} samples/s) for {len(load.access_points):,} access points")
            if args.wrk:
                run_wrk(base, pages, asyncio.run(wrk_sessions(base, pages)), args.wrk)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


@contextlib.contextmanager
def serving(args: argparse.Namespace, dsn: str, data_dir: str) -> Iterator[str]:
    if args.url:
        yield args.url.rstrip("/")
        return
    env = {"DATABASE_URL": dsn, "SECRET_KEY": BENCH_SECRET_KEY, "DATA_DIR": data_dir, "LOG_LEVEL": "warning",
           "DB_POOL_MAX": "10"}
    proc, base = start_server(env, "--workers", str(args.workers))
    try:
        yield base
    finally:
        stop_process(proc)


if __name__ == "__main__":
    main()
