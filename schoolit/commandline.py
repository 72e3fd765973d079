"""Helpers for the domains' `schoolit` subcommands: one way to run a command with the database.

A command is `async def command(args) -> int`: it calls the services as the system and prints what it
did. A rule it breaks (a `DomainError` of a service) ends it here, the same for every command: one
line per bad field (`schoolit: error: slug: already in use`) and exit code 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from schoolit.errors import DomainError, ValidationFailed
from schoolit.settings import Settings

if TYPE_CHECKING:
    from schoolit.jobs import Job as JobSpec

Job = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]
Handler = Callable[[argparse.Namespace, Settings], int]


def fail(exc: DomainError) -> int:
    """Print a refused command's errors, one line per bad field; exit code 1."""
    messages = [f"{e.field}: {e.message}" for e in exc.errors] if isinstance(exc, ValidationFailed) else [exc.detail]
    for message in messages:
        print(f"schoolit: error: {message}", file=sys.stderr)
    return 1


def with_database(job: Job) -> Handler:
    """A parser handler that runs `job(args)` with the database connected (no pool: one connection) and
    migrated (otherwise one line: run `schoolit migrate`)."""

    def handler(args: argparse.Namespace, settings: Settings) -> int:
        from schoolit.db import connected
        from schoolit.migrations import require_migrated

        async def run() -> int:
            async with connected(settings, pool=False):
                await require_migrated()
                try:
                    return await job(args)
                except DomainError as exc:
                    return fail(exc)

        return asyncio.run(run())

    return handler


def job_command(job: JobSpec, variant: Callable[[argparse.Namespace], Callable[[], Awaitable[str]]] | None = None,
                ) -> Handler:
    """A parser handler for `schoolit maintenance NAME`: runs the scheduled job `job` now, through the
    same `schoolit.jobs.run_job` as the in-app scheduler (its lock, its record in `job_run`).

    `variant(args)` gives the job's function with the command's options (`--today`, `--days-ahead`).
    Prints the outcome; exit 1 with the error when the job fails."""

    async def run(args: argparse.Namespace) -> int:
        import dataclasses

        from schoolit.jobs import outcome_text, run_job

        chosen = dataclasses.replace(job, run=variant(args)) if variant else job
        result = await run_job(chosen, force=True)
        if result is None:
            print(f"{job.name}: another process is running this job right now; nothing done")
            return 0
        if not result.ok:
            print(f"schoolit: error: {job.name} failed: {result.outcome}", file=sys.stderr)
            return 1
        print(outcome_text(result.outcome, english=True))
        return 0

    return with_database(run)
