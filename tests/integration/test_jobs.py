"""The scheduler (schoolit.jobs): one run per due time across processes, failures retried without
stopping the others, the figures on /metrics, the command line running the same jobs.

The jobs' records are written on connections of their own (committed, outside the test's rolled-back
transaction), so the in-process tests use job names of their own and delete their rows afterwards.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from schoolit import jobs
from schoolit.app import register_jobs
from schoolit.sql import fetch
from tests.support import run_cli, run_sql, start_server, stop_process

FAST_TICK = 0.05


@pytest.fixture
async def job_name(database: str) -> AsyncIterator[Callable[[str], str]]:
    """Unique job names for this test; their committed rows are removed afterwards."""
    made: list[str] = []

    def make(stem: str) -> str:
        made.append(f"test-{stem}-{uuid.uuid4().hex[:8]}")
        return made[-1]

    yield make
    conn = await asyncpg.connect(database)
    try:
        await conn.execute("DELETE FROM job_run WHERE name = ANY($1::text[])", made)
    finally:
        await conn.close()


async def _row(name: str) -> dict[str, Any]:
    rows = await fetch("SELECT * FROM job_run WHERE name = {}", name)
    return rows[0] if rows else {}


async def _until(condition: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_two_schedulers_run_a_job_once_per_due_time(job_name: Callable[[str], str]) -> None:
    name = job_name("once")
    starts: list[float] = []

    async def slow() -> str:
        starts.append(time.monotonic())
        await asyncio.sleep(0.2)  # holds the lock while the other scheduler looks (many ticks)
        return f"run {len(starts)}"

    job = jobs.Job(name, dt.timedelta(seconds=1), slow)
    async with jobs.scheduler([job], tick=FAST_TICK), jobs.scheduler([job], tick=FAST_TICK):
        await _until(lambda: _runs_at_least(name, 3))
    row = await _row(name)
    assert row["runs"] == len(starts) == 3, starts
    # One run per due time: the next starts an interval after the one before, never twice at once.
    assert all(later - earlier >= 0.95 for earlier, later in itertools.pairwise(starts)), starts
    assert row["last_ok"] and row["last_outcome"] == "run 3" and row["failures"] == 0
    assert row["running_since"] is None and row["last_duration_seconds"] >= 0.2


async def _runs_at_least(name: str, runs: int) -> bool:
    row = await _row(name)
    return bool(row) and row["runs"] >= runs and row["running_since"] is None


async def test_a_failing_job_is_logged_retried_sooner_and_stops_no_other(
        job_name: Callable[[str], str]) -> None:
    bad_name, good_name = job_name("bad"), job_name("good")
    attempts: list[float] = []

    async def flaky() -> str:
        attempts.append(time.monotonic())
        if len(attempts) <= 2:
            raise RuntimeError(f"device table locked (attempt {len(attempts)})")
        return "worked on the third attempt"

    async def fine() -> str:
        return "fine"

    bad = jobs.Job(bad_name, dt.timedelta(hours=1), flaky, retry=dt.timedelta(seconds=0.3))
    good = jobs.Job(good_name, dt.timedelta(hours=1), fine)
    with structlog.testing.capture_logs() as logged:
        async with jobs.scheduler([bad, good], tick=FAST_TICK):
            await _until(lambda: _succeeded(bad_name))
            await _until(lambda: _succeeded(good_name))
    row = await _row(bad_name)
    assert (row["runs"], row["failures"], row["failures_in_row"]) == (3, 2, 0)
    assert row["last_outcome"] == "worked on the third attempt" and row["last_error"] == ""
    # Back-off: 0.3 s after the first failure, doubled after the second; not the hour of the interval.
    assert 0.25 <= attempts[1] - attempts[0] < 5 and 0.55 <= attempts[2] - attempts[1] < 5
    assert (await _row(bad_name))["next_due_at"] > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=59)
    good_row = await _row(good_name)
    assert good_row["runs"] == 1 and good_row["last_ok"]
    failures = [entry for entry in logged if entry["event"] == "scheduled job failed"]
    assert [entry["job"] for entry in failures] == [bad_name, bad_name]
    assert all(entry["exc_info"] and entry["log_level"] == "error" for entry in failures)  # with the traceback


async def test_the_log_states_a_jobs_outcome_as_text(job_name: Callable[[str], str]) -> None:
    """The operator reads the outcome in the log as a sentence; the job's row keeps message id and values."""
    name = job_name("counted")

    async def counted() -> str:
        return jobs.outcome("resolved tickets closed: %(count)s", count=7)

    with structlog.testing.capture_logs() as logged:
        await jobs.run_job(jobs.Job(name, dt.timedelta(hours=1), counted))
    done = [entry for entry in logged if entry["event"] == "scheduled job done"]
    assert [entry["outcome"] for entry in done] == ["resolved tickets closed: 7"]
    assert jobs.outcome_text((await _row(name))["last_outcome"], english=True) == "resolved tickets closed: 7"


async def _succeeded(name: str) -> bool:
    return bool((await _row(name)).get("last_ok"))


async def test_a_failure_is_recorded_with_its_error(job_name: Callable[[str], str]) -> None:
    name = job_name("broken")

    async def broken() -> str:
        raise ValueError("no partition for 2027-01-01\nsecond line")

    job = jobs.Job(name, dt.timedelta(days=1), broken)
    run = await jobs.run_job(job)
    assert run is not None and not run.ok and run.outcome == "ValueError: no partition for 2027-01-01"
    row = await _row(name)
    assert (row["last_ok"], row["failures_in_row"], row["last_error"]) == (False, 1, run.outcome)
    assert row["last_success_at"] is None
    # Retried after a quarter of the interval at most 15 minutes, not a day later.
    wait = row["next_due_at"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=14) < wait <= dt.timedelta(minutes=15)
    assert await jobs.run_job(job) is None  # not due yet
    assert (await jobs.run_job(job, force=True)) is not None  # the command line runs it anyway


async def test_a_job_held_by_another_process_is_left_to_it(job_name: Callable[[str], str], database: str) -> None:
    name = job_name("held")
    calls: list[int] = []

    async def count() -> str:
        calls.append(1)
        return "counted"

    job = jobs.Job(name, dt.timedelta(hours=1), count)
    other = await asyncpg.connect(database)  # another process, as far as PostgreSQL can tell
    try:
        assert await other.fetchval("SELECT pg_try_advisory_lock($1, $2)", jobs.JOB_LOCK_SPACE, job.lock_key)
        assert await jobs.run_job(job, force=True) is None
        await other.execute("SELECT pg_advisory_unlock($1, $2)", jobs.JOB_LOCK_SPACE, job.lock_key)
        assert (await jobs.run_job(job)) is not None
    finally:
        await other.close()
    assert calls == [1]


async def test_metrics_show_each_jobs_last_success_duration_and_failures(
        client: httpx.AsyncClient, job_name: Callable[[str], str]) -> None:
    ok_name, bad_name = job_name("metric-ok"), job_name("metric-bad")

    async def fine() -> str:
        return "fine"

    async def broken() -> str:
        raise RuntimeError("down")

    await jobs.run_job(jobs.Job(ok_name, dt.timedelta(hours=1), fine))
    await jobs.run_job(jobs.Job(bad_name, dt.timedelta(hours=1), broken))
    response = await client.get("/metrics")
    assert response.status_code == 200
    samples = {(s.name, s.labels.get("job")): s.value
               for family in text_string_to_metric_families(response.text) for s in family.samples}
    assert abs(samples[("schoolit_job_last_success_timestamp_seconds", ok_name)] - time.time()) < 60
    assert ("schoolit_job_last_success_timestamp_seconds", bad_name) not in samples  # never succeeded
    assert samples[("schoolit_job_last_duration_seconds", ok_name)] >= 0
    assert samples[("schoolit_job_failures_in_row", ok_name)] == 0
    assert samples[("schoolit_job_failures_in_row", bad_name)] == 1


def test_every_domain_job_is_registered_with_a_cli_command() -> None:
    from schoolit.cli import build_parser

    names = [job.name for job in register_jobs()]
    assert names == ["close-resolved", "mail-fetch", "notification-digests", "notifications", "partitions",
                     "retention", "samples", "sessions", "silent-probes", "sla-breaches", "sso-sync",
                     "ticket-retention", "webhooks"]
    parser = build_parser()
    for name in names:
        assert parser.parse_args(["maintenance", name]).handler is not None
    assert len({job.lock_key for job in register_jobs()}) == len(names)


# --- two real servers on one database -------------------------------------------------------------

def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@pytest.fixture
def fresh_database(owner_database_url: str) -> Iterator[str]:
    """A migrated database of its own on the test server (the servers' jobs commit into it)."""
    name = f"schoolit_jobs_{uuid.uuid4().hex[:10]}"
    run_sql(owner_database_url, f'CREATE DATABASE "{name}"')
    url = _with_database(owner_database_url, name)
    try:
        migrated = run_cli("migrate", env={"DATABASE_URL": url}, timeout=120)
        assert migrated.returncode == 0, migrated.stderr
        yield url
    finally:
        run_sql(owner_database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _job_rows(url: str) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        conn = await asyncpg.connect(url)
        try:
            return [dict(r) for r in await conn.fetch("SELECT * FROM job_run ORDER BY name")]
        finally:
            await conn.close()

    return asyncio.run(read())


def test_two_serve_processes_run_each_job_exactly_once(fresh_database: str) -> None:
    env = {"DATABASE_URL": fresh_database, "SCHEDULER": "on"}
    expected = sorted(job.name for job in register_jobs())
    servers = [start_server(env), start_server(env)]
    try:
        deadline = time.monotonic() + 60
        while True:
            rows = _job_rows(fresh_database)
            if [r["name"] for r in rows if r["runs"] and r["running_since"] is None] == expected:
                break
            assert time.monotonic() < deadline, rows
            time.sleep(0.2)
        # Both servers have checked every job by now (they check at start, then sleep until it is due).
        for process, base in servers:
            assert process.poll() is None
            assert httpx.get(base + "/health", timeout=5).status_code == 200
    finally:
        for process, _ in servers:
            stop_process(process)
    rows = _job_rows(fresh_database)
    assert [(r["name"], r["runs"], r["last_ok"]) for r in rows] == [(name, 1, True) for name in expected], rows
    assert all(r["next_due_at"] > r["last_started_at"] for r in rows)

    # The command line runs the same jobs through the same records: nothing is due now; run one anyway.
    due = run_cli("maintenance", "due", env={"DATABASE_URL": fresh_database})
    assert (due.returncode, due.stdout.strip()) == (0, "no job is due"), due.stderr
    forced = run_cli("maintenance", "close-resolved", env={"DATABASE_URL": fresh_database})
    assert forced.returncode == 0 and forced.stdout.startswith("resolved tickets closed: 0"), forced.stderr
    runs = {r["name"]: r["runs"] for r in _job_rows(fresh_database)}
    assert runs["close-resolved"] == 2 and runs["retention"] == 1
