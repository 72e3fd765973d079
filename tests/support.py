"""Helpers for tests that run the real `schoolit` command as a subprocess."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from schoolit.probes.simulators import stop_process

SCHOOLIT = [sys.executable, "-m", "schoolit.cli"]


def run_sql(url: str, sql: str) -> None:
    """One statement on the server at `url`, outside any transaction (CREATE/DROP DATABASE)."""
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment with `env` over it. A test that points DATABASE_URL at a database of
    its own (one role owns it) does not inherit the test database's DATABASE_OWNER_URL."""
    full = {**os.environ, **(env or {})}
    if env and "DATABASE_URL" in env and "DATABASE_OWNER_URL" not in env:
        full.pop("DATABASE_OWNER_URL", None)
    return full


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60,
            input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCHOOLIT, *args], env=child_env(env), capture_output=True, text=True,
                          timeout=timeout, input=input_text, check=False)


def register_probe(env: dict[str, str], *args: str) -> str:
    """`schoolit probe register ARGS` through the CLI; the token it prints once."""
    result = run_cli("probe", "register", *args, env=env)
    token = re.search(r"token \(shown once\): (\S+)", result.stdout)
    if token is None:
        raise RuntimeError(f"probe register printed no token: {result.stderr or result.stdout}")
    return token.group(1)


def start_server(env: dict[str, str], *args: str, log: Any = subprocess.DEVNULL) -> tuple[subprocess.Popen[bytes], str]:
    """`schoolit serve` in a subprocess on a free loopback port, returned once /health answers 200.

    The port is free when chosen but may be taken by another test process before the server binds it;
    a server that exits because its address is in use is started again on another port. Any other early
    exit raises with the end of the server's error output."""
    for _ in range(3):
        errors = tempfile.TemporaryFile()  # noqa: SIM115 (read after the process ended)
        port = free_port()
        full_env = child_env({"HOST": "127.0.0.1", "PORT": str(port), **env})
        proc = subprocess.Popen([*SCHOOLIT, "serve", *args], env=full_env, stdout=log,
                                stderr=errors if log is subprocess.DEVNULL else log)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while proc.poll() is None:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    errors.close()
                    return proc, base
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                proc.kill()
                errors.close()
                raise TimeoutError("server did not become healthy in 30 s")
            time.sleep(0.1)
        errors.seek(0)
        said = errors.read().decode(errors="replace")[-2000:]
        errors.close()
        if "address already in use" not in said.lower():
            raise RuntimeError(f"server exited with {proc.returncode}: {said}")
    raise RuntimeError("server found no free port in three attempts")


@contextmanager
def running_server(env: dict[str, str], *args: str, log_path: Path | None = None) -> Iterator[str]:
    """`schoolit serve` in a subprocess; yields its base URL once /health answers, stops it after."""
    log = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc, base = start_server(env, *args, log=log)
    try:
        yield base
    finally:
        stop_process(proc)
        if log_path and log is not subprocess.DEVNULL:
            log.close()


@contextmanager
def throwaway_cluster() -> Iterator[Any]:
    """A fresh embedded PostgreSQL (pgserver) in its own directory, deleted afterwards.

    Not under pytest's tmp_path: as root, pgserver runs PostgreSQL as its own system user, and pytest
    keeps /tmp/pytest-of-<user> private (0700), which would lock that user out.
    """

    import pgserver

    directory = Path(tempfile.mkdtemp(prefix="schoolit-pg-"))
    server = pgserver.get_server(directory / "pg", cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(directory, ignore_errors=True)
