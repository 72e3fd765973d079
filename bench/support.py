"""What the benchmarks share: a throw-away database to run against.

A new database on DATABASE_URL's server when that is set, else an embedded PostgreSQL 16 (pgserver) in a
temporary directory; either is removed afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import tempfile
import uuid
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psutil


@asynccontextmanager
async def throwaway_database() -> AsyncIterator[str]:
    """The DSN of an empty database that exists while the context is open."""
    server_url = os.environ.get("DATABASE_URL")
    if server_url:
        name = f"schoolit_bench_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(server_url)
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(urlsplit(server_url)._replace(path="/" + name))
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    with tempfile.TemporaryDirectory(prefix="schoolit-bench-pg-") as directory:
        # As root, pgserver runs PostgreSQL as its own user, which must reach the directory.
        os.chmod(directory, 0o755)  # noqa: S103
        server = await asyncio.to_thread(pgserver.get_server, Path(directory), cleanup_mode="stop")
        try:
            yield str(server.get_uri())
        finally:
            await asyncio.to_thread(server.cleanup)


@asynccontextmanager
async def schoolit_environment(**settings: str) -> AsyncIterator[tuple[str, Path]]:
    """A throw-away database and work directory, with schoolit's settings pointing at them (plus
    `settings`, e.g. pool sizes): yields the database's DSN and the directory."""
    with tempfile.TemporaryDirectory(prefix="schoolit-bench-") as work:
        async with throwaway_database() as dsn:
            os.environ.update({"DATABASE_URL": dsn, "DATA_DIR": str(Path(work) / "data"),
                               "SECRET_KEY": secrets.token_urlsafe(48), "LOG_LEVEL": "warning", **settings})
            yield dsn, Path(work)


def own_cpu(pid: int, *, reaped: bool = False) -> float:
    """CPU seconds (user + system) of one process, with those of the children it has reaped if asked (the
    exited backends of a postmaster); 0 once it is gone."""
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return times.user + times.system + (times.children_user + times.children_system if reaped else 0.0)


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process, its live descendants and the children it has reaped (the exited
    backends of a postmaster count in its children's times)."""
    total = own_cpu(pid, reaped=True)
    for child in psutil.Process(pid).children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            child_times = child.cpu_times()
            total += child_times.user + child_times.system
    return total
