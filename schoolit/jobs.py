"""Scheduled jobs, run by the server itself: one runner per job in the whole installation.

A job is a name, an interval and an async function returning a short outcome text::

    from datetime import timedelta
    from schoolit.jobs import Job

    async def close_resolved() -> str:
        return f"resolved tickets closed: {await services.close_resolved(SYSTEM)}"

    JOBS = (Job("close-resolved", timedelta(hours=1), close_resolved, N_("Close resolved tickets")),)

Each domain lists its jobs in `schoolit/<domain>/jobs.py` as `JOBS`; the composition root
(`schoolit.app.register_jobs`) hands them all to `register()`. The name is also the command that runs
the job by hand: `schoolit maintenance <name>` (and `schoolit maintenance due` runs every job that is
due, for installations that prefer systemd timers or cron to the in-app scheduler, `SCHEDULER=off`).
Whoever runs it — the scheduler of any worker on any host, a timer, an operator — goes through
`run_job()`:

- it takes the session-level advisory lock `pg_try_advisory_lock(JOB_LOCK_SPACE, <crc32 of the name>)`
  on a connection of its own, so one process in the whole installation runs a job at a time; whoever
  does not get the lock leaves the job to the one that has it;
- holding the lock, it reads the job's row in `job_run` (accounts app) and runs the job only when it is
  due (`next_due_at` passed) or when asked to (`force`, the command line): two schedulers that both
  saw a job due run it once, because the second finds it no longer due once it has the lock;
- it records start, duration, outcome or error, and the next due time: after a success `every` after
  the start; after a failure (logged with its traceback) the shorter back-off `retry` (default a
  quarter of the interval, at most 15 minutes, doubling with each failure in a row up to `every`).

The scheduler (`scheduler_lifespan`, in every `schoolit serve` process unless `SCHEDULER=off`) keeps one
task per job that sleeps until the job's next due time (checked at least every `TICK_SECONDS`), so a
slow or failing job delays no other. `/metrics` exports each job's last success time, last duration and
failures in a row (read from `job_run`, the same for every worker); `/admin/jobs` shows them.

A job states its outcome with `outcome(N_("resolved tickets closed: %(count)s"), count=3)`: the message id
of the catalogs and its values are stored, and `/admin/jobs` and the command line show it in their
language (`outcome_text`). An outcome has no plural forms, so it names each count after a label
("tickets opened: 1, resolved: 0"), which reads right for any number.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import socket
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from piccolo.columns import Boolean, DoublePrecision, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from schoolit import metrics
from schoolit.kernel.i18n import gettext
from schoolit.logs import get_logger
from schoolit.sql import detach, fetch, session

JOB_LOCK_SPACE = 0x5C4_10B  # first key of the two-key advisory locks of jobs (a space of its own)
TICK_SECONDS = 30.0  # longest sleep of a job's task: a "run now" from another process is seen this late
MAX_RETRY = dt.timedelta(minutes=15)
OUTCOME_LENGTH = 500

log = get_logger("schoolit.jobs")


class JobRun(Table):
    """One row per job: when it is due next and how its last run went (registered in the accounts app)."""

    name = Varchar(length=60, primary_key=True)
    next_due_at = Timestamptz()
    running_since = Timestamptz(null=True, default=None)
    running_on = Varchar(length=120, default="")  # host:pid of the process running it now or last
    last_started_at = Timestamptz(null=True, default=None)
    last_finished_at = Timestamptz(null=True, default=None)
    last_duration_seconds = DoublePrecision(null=True, default=None)
    last_ok = Boolean(null=True, default=None)
    last_outcome = Text(default="")
    last_error = Text(default="")
    last_success_at = Timestamptz(null=True, default=None)
    failures_in_row = Integer(default=0)
    runs = Integer(default=0)
    failures = Integer(default=0)


@dataclass(frozen=True)
class Job:
    """A periodic job. `run` returns a short outcome text ("resolved tickets closed: 3"); an exception
    is a failure. `label` is an English message id shown (translated) on the admin page."""

    name: str
    every: dt.timedelta
    run: Callable[[], Awaitable[str]]
    label: str = ""
    retry: dt.timedelta | None = None

    @property
    def lock_key(self) -> int:
        """Second key of the job's advisory lock: stable across processes, hosts and releases."""
        return zlib.crc32(self.name.encode()) - 2**31  # a signed 32-bit integer

    def retry_after(self, failures_in_row: int) -> dt.timedelta:
        """The back-off after the n-th failure in a row: shorter than the interval, doubling up to it."""
        first = self.retry if self.retry is not None else min(self.every / 4, MAX_RETRY)
        return min(first * 2 ** max(failures_in_row - 1, 0), self.every)


_REGISTRY: dict[str, Job] = {}


def register(*jobs: Job) -> None:
    """Add jobs to the registry (the composition root does this once per process; the same Job again is
    a no-op, another job under a taken name an error)."""
    for job in jobs:
        known = _REGISTRY.get(job.name)
        if known is not None and known is not job:
            raise ValueError(f"a job named {job.name!r} is already registered")
        _REGISTRY[job.name] = job


def registered() -> list[Job]:
    """The registered jobs, by name."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def get(name: str) -> Job | None:
    return _REGISTRY.get(name)


@dataclass(frozen=True)
class Run:
    """What one run did: `ok` False means the job raised (its error text in `outcome`)."""

    job: str
    ok: bool
    outcome: str
    seconds: float


def _here() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def outcome(message: str, **values: int | str) -> str:
    """A job's outcome: an English message id of the catalogs (marked with N_) and its values, kept as
    such in `job_run` and shown in the reader's language by `outcome_text`."""
    return json.dumps({"message": message, "values": values}, ensure_ascii=False)


def outcome_text(stored: str, *, english: bool = False) -> str:
    """A stored outcome in the current language, or in English (the command line's); a plain text as it is."""
    try:
        data = json.loads(stored)
    except ValueError:
        return stored
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        return stored
    values = data.get("values", {})
    return str(data["message"] % values) if english else gettext(data["message"], **values)


def _error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0][:OUTCOME_LENGTH] if text else type(exc).__name__


_CLAIM = """
INSERT INTO job_run AS j (name, next_due_at) VALUES ({}, now()) ON CONFLICT (name) DO UPDATE SET name = j.name
RETURNING j.next_due_at <= clock_timestamp() AS due, j.failures_in_row
"""
_SUCCESS = """
UPDATE job_run SET running_since = NULL, last_started_at = {}::timestamptz, last_finished_at = clock_timestamp(),
       last_duration_seconds = {}, last_ok = true, last_outcome = {}, last_error = '',
       last_success_at = clock_timestamp(), failures_in_row = 0, runs = runs + 1,
       next_due_at = {}::timestamptz + {}::interval
 WHERE name = {}
"""
_FAILURE = """
UPDATE job_run SET running_since = NULL, last_started_at = {}::timestamptz, last_finished_at = clock_timestamp(),
       last_duration_seconds = {}, last_ok = false, last_error = {}, failures_in_row = failures_in_row + 1,
       runs = runs + 1, failures = failures + 1, next_due_at = clock_timestamp() + {}::interval
 WHERE name = {}
"""


async def run_job(job: Job, *, force: bool = False) -> Run | None:
    """Run `job` once if it is due (or always with `force`), under its installation-wide lock.

    None when another process holds the lock (it is running the job) or the job is not due. A failing
    job does not raise: its error is logged and recorded, and the Run says ok=False."""
    async with session() as conn:
        if not (await conn.fetch("SELECT pg_try_advisory_lock({}, {}) AS locked", JOB_LOCK_SPACE,
                                 job.lock_key))[0]["locked"]:
            return None
        try:
            claim = (await conn.fetch(_CLAIM, job.name))[0]
            if not (force or claim["due"]):
                return None
            started_at = (await conn.fetch(
                "UPDATE job_run SET running_since = clock_timestamp(), running_on = {} WHERE name = {} "
                "RETURNING running_since", _here(), job.name))[0]["running_since"]
            started = time.monotonic()
            try:
                outcome = (await job.run()).strip()[:OUTCOME_LENGTH]
            except Exception as exc:  # a failing job is recorded and retried; it must not stop the others
                seconds = time.monotonic() - started
                log.exception("scheduled job failed", job=job.name, seconds=round(seconds, 3))
                error = _error_text(exc)
                await conn.execute(_FAILURE, started_at, seconds, error,
                                   job.retry_after(claim["failures_in_row"] + 1), job.name)
                return Run(job.name, False, error, seconds)
            seconds = time.monotonic() - started
            # The log is the operator's: the outcome as English text, not the stored message id and values.
            log.info("scheduled job done", job=job.name, outcome=outcome_text(outcome, english=True),
                     seconds=round(seconds, 3))
            await conn.execute(_SUCCESS, started_at, seconds, outcome, started_at, job.every, job.name)
            return Run(job.name, True, outcome, seconds)
        finally:
            await conn.execute("SELECT pg_advisory_unlock({}, {})", JOB_LOCK_SPACE, job.lock_key)


async def run_due(jobs: Iterable[Job]) -> list[Run]:
    """One pass over `jobs`: each that is due runs once (`schoolit maintenance due`, for timers)."""
    return [run for job in jobs if (run := await run_job(job)) is not None]


async def request_run(name: str) -> bool:
    """Make a job due now (the admin page's "run now"); the schedulers pick it up within a tick."""
    rows = await fetch("UPDATE job_run SET next_due_at = now() WHERE name = {} RETURNING name", name)
    if not rows and get(name) is not None:
        rows = await fetch("INSERT INTO job_run (name, next_due_at) VALUES ({}, now()) "
                           "ON CONFLICT (name) DO UPDATE SET next_due_at = now() RETURNING name", name)
    for wake in _wakers:
        wake.set()
    return bool(rows)


async def job_runs() -> dict[str, dict[str, Any]]:
    """The `job_run` rows by job name (the admin page)."""
    return {row["name"]: row for row in await fetch("SELECT * FROM job_run ORDER BY name")}


async def _seconds_until_due(job: Job) -> float:
    rows = await fetch("SELECT extract(epoch FROM next_due_at - clock_timestamp())::float8 AS wait "
                       "FROM job_run WHERE name = {}", job.name)
    return max(float(rows[0]["wait"]), 0.0) if rows else 0.0


_wakers: set[asyncio.Event] = set()  # one per job task; request_run() sets them all: look again at once


async def _job_loop(job: Job, stop: asyncio.Event, tick: float) -> None:
    """Run `job` whenever it is due, until `stop`; any error (the database away) is logged and retried."""
    # A job opens its own transactions; never one of whoever started the scheduler (a test's).
    detach()
    wake = asyncio.Event()
    _wakers.add(wake)
    try:
        await _run_loop(job, stop, wake, tick)
    finally:
        _wakers.discard(wake)


async def _run_loop(job: Job, stop: asyncio.Event, wake: asyncio.Event, tick: float) -> None:
    while not stop.is_set():
        wait = tick
        try:
            if await _seconds_until_due(job) <= 0:
                await run_job(job)
            wait = min(tick, await _seconds_until_due(job))
        except Exception:  # the database went away, or the lock connection broke: try again next tick
            log.exception("scheduler could not check a job", job=job.name)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(wait, 0.05)):
                stopped, woken = asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())
                try:
                    await asyncio.wait({stopped, woken}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stopped.cancel()
                    woken.cancel()
        wake.clear()


@contextlib.asynccontextmanager
async def scheduler(jobs: Iterable[Job], tick: float = TICK_SECONDS) -> AsyncIterator[None]:
    """Run the jobs' loops while inside (the app's lifespan; tests run two of them side by side)."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_job_loop(job, stop, tick), name=f"schoolit-job-{job.name}") for job in jobs]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


def scheduler_lifespan(jobs: Iterable[Job]) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """An app lifespan running the scheduler (after the database is up, stopped before it goes)."""
    chosen = list(jobs)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with scheduler(chosen):
            log.info("scheduler started", jobs=[job.name for job in chosen])
            yield

    return lifespan


# --- metrics: read from job_run, so every worker reports the same figures ---------------------------

async def _job_figures(column: str) -> metrics.Samples:
    rows = await fetch(f"SELECT name, {column} AS value FROM job_run WHERE {column} IS NOT NULL ORDER BY name")  # noqa: S608 - fixed column names
    return [((row["name"],), float(row["value"])) for row in rows]


@metrics.gauge_source("schoolit_job_last_success_timestamp_seconds",
                      "Unix time of the job's last successful run", ("job",))
async def _last_success() -> metrics.Samples:
    return await _job_figures("extract(epoch FROM last_success_at)")


@metrics.gauge_source("schoolit_job_last_duration_seconds", "Duration of the job's last run", ("job",))
async def _last_duration() -> metrics.Samples:
    return await _job_figures("last_duration_seconds")


@metrics.gauge_source("schoolit_job_failures_in_row", "Failed runs of the job since its last success", ("job",))
async def _failures_in_row() -> metrics.Samples:
    return await _job_figures("failures_in_row")
