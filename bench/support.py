"""What the benchmarks share: a throw-away database to run against.

A new database on DATABASE_URL's server when that is set, else an embedded PostgreSQL 16 (pgserver) in a
temporary directory; either is removed afterwards.
"""

from __future__ import annotations

import asyncio
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
