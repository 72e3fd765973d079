"""`schoolit serve` and the other commands fail loudly — one line on stderr, a non-zero exit, before
anything says it started — and recover by themselves from what a killed run leaves behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import pytest

from tests.support import SCHOOLIT, free_port, run_cli, run_sql

UNREACHABLE = "postgresql://schoolit:topsecret@127.0.0.1:1/schoolit"


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_with_an_unreachable_database_exits_non_zero_within_10_s(workers: str, tmp_path: Path) -> None:
    started = time.monotonic()
    result = run_cli("serve", "--workers", workers, env={"DATABASE_URL": UNREACHABLE, "DATA_DIR": str(tmp_path),
                                                         "PORT": str(free_port())}, timeout=10)
    assert time.monotonic() - started < 10
    assert result.returncode == 2
    assert _one_line(result).startswith("schoolit: error: cannot reach the database at postgresql://schoolit:***@")
    assert "topsecret" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(("env", "message"), [
    ({"PORT": "acht"}, "schoolit: error: PORT must be a whole number, not 'acht'"),
    ({"SECRET_KEY": "kurz"}, "schoolit: error: SECRET_KEY must be at least 32 characters long"),
    ({"SCHEDULER": "vielleicht"}, "schoolit: error: SCHEDULER must be true or false, not 'vielleicht'"),
])
def test_serve_with_an_invalid_setting_is_one_line(env: dict[str, str], message: str) -> None:
    result = run_cli("serve", "--workers", "2", env=env, timeout=10)
    assert result.returncode == 2 and _one_line(result) == message


def test_serve_with_no_workers_is_one_line() -> None:
    result = run_cli("serve", "--workers", "0", timeout=10)
    assert result.returncode == 2 and _one_line(result) == "schoolit: error: --workers must be 1 or more, not 0"


@pytest.fixture
def empty_database(owner_database_url: str) -> Iterator[str]:
    """A new database on the test server that no migration ever touched."""
    name = f"schoolit_empty_{uuid.uuid4().hex[:10]}"
    run_sql(owner_database_url, f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(owner_database_url)._replace(path="/" + name))
    finally:
        run_sql(owner_database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_an_unmigrated_database_is_refused_by_serve_and_the_commands(empty_database: str) -> None:
    env = {"DATABASE_URL": empty_database, "PORT": str(free_port())}
    for argv in (["serve", "--workers", "2"], ["serve"], ["user", "list"], ["token", "list"], ["seed", "--demo"],
                 ["export", "schools"], ["maintenance", "due"], ["maintenance", "retention"],
                 ["probe", "register", "--name", "p", "--county", "x"], ["calendar", "create", "Kreis"]):
        result = run_cli(*argv, env=env, timeout=30)
        assert result.returncode == 2, (argv, result.stderr)
        assert _one_line(result).startswith("schoolit: error: the database is not migrated ("), argv
        assert _one_line(result).endswith("migrations pending): run `schoolit migrate` first"), argv
    # Nothing was created on the way: still every migration pending.
    check = run_cli("migrate", "--check", env=env)
    assert check.returncode == 1 and check.stdout.startswith("pending migrations: ")


def test_a_port_in_use_fails_before_anything_says_started(database: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for workers in ("1", "2"):
            result = run_cli("serve", "--workers", workers, env={"DATABASE_URL": database, "PORT": str(port)},
                             timeout=30)
            assert result.returncode == 2
            assert _one_line(result) == f"schoolit: error: cannot listen on 127.0.0.1:{port}: Address already in use"
            assert result.stdout == ""


def test_paths_that_are_missing_or_of_the_wrong_kind_are_one_line(database: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database}
    a_file = tmp_path / "exists.csv"
    a_file.write_text("x")
    cases = [
        (["export", "schools", "-o", str(tmp_path / "missing" / "schools.csv")], 1,
         f"cannot write {tmp_path}/missing/schools.csv: directory {tmp_path}/missing does not exist"),
        (["export", "schools", "-o", str(tmp_path)], 1, f"cannot write {tmp_path}: Is a directory"),
        (["import", "schools", str(tmp_path / "missing.csv")], 1,
         f"cannot read {tmp_path}/missing.csv: No such file or directory"),
        (["backup", str(a_file)], 2, f"{a_file} is a file, not a directory for backups"),
        (["restore", str(tmp_path)], 2, f"{tmp_path} is a directory; name a schoolit-backup-*.tar file in it"),
        (["restore", str(a_file)], 2, f"{a_file} is not a readable schoolit backup (not a tar archive, or damaged)"),
        (["calendar", "import-holidays", "Kreis", str(tmp_path)], 1, f"cannot read {tmp_path}: Is a directory"),
    ]
    for argv, code, message in cases:
        result = run_cli(*argv, env=env, timeout=60)
        assert (result.returncode, _one_line(result)) == (code, f"schoolit: error: {message}"), argv
    partitions = run_cli("maintenance", "partitions", "--days-ahead", "100000", env=env)
    assert partitions.returncode == 2 and "a whole number from 0 to 60, not 100000" in partitions.stderr


# --- the embedded PostgreSQL after a killed run ------------------------------------------------------

def _postgres_on(directory: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "postgres" and str(directory) in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


_START_AND_DIE = """
import asyncio, os, signal
from schoolit import db
from schoolit.settings import get_settings
asyncio.run(db.resolve_dsn(get_settings()))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_run_leaves_nothing_that_keeps_the_embedded_server_from_starting_or_stopping() -> None:
    # Outside pytest's tmp_path: as root, pgserver runs PostgreSQL as its own user (tests/support.py).
    root = Path(tempfile.mkdtemp(prefix="schoolit-stale-"))
    data = root / "data"
    env = {**os.environ, "DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)
    env.pop("DATABASE_OWNER_URL", None)
    pgdata = data / "pg"
    try:
        # A run that started the embedded server and was killed (SIGKILL: no clean-up at all).
        died = subprocess.run([sys.executable, "-c", _START_AND_DIE], env=env, capture_output=True, timeout=120,
                              check=False)
        assert died.returncode == -signal.SIGKILL, died.stderr
        handles = json.loads((pgdata / ".handle_pids.json").read_text())
        assert handles and not any(psutil.pid_exists(pid) for pid in handles)  # the killed run is still listed
        assert _postgres_on(pgdata)  # and its server outlived it

        # The next run uses the server and, being the last user, stops it.
        migrated = subprocess.run([*SCHOOLIT, "migrate"], env=env, capture_output=True, text=True, timeout=120,
                                  check=False)
        assert migrated.returncode == 0, migrated.stderr
        assert not _postgres_on(pgdata)
        assert json.loads((pgdata / ".handle_pids.json").read_text()) == []

        # A server killed too leaves postmaster.pid behind; its pid may belong to another process by now.
        pidfile = pgdata / "postmaster.pid"
        subprocess.run([sys.executable, "-c", _START_AND_DIE], env=env, capture_output=True, timeout=120,
                       check=False)
        killed = _postgres_on(pgdata)
        for process in killed:
            process.kill()
        # Gone before the next run looks at its lock files (a dying postmaster still holds its socket lock).
        psutil.wait_procs(killed, timeout=30)
        lines = pidfile.read_text().splitlines()
        pidfile.write_text("\n".join([str(os.getpid()), *lines[1:]]) + "\n")  # a live process, not postgres
        again = subprocess.run([*SCHOOLIT, "migrate", "--check"], env=env, capture_output=True, text=True,
                               timeout=120, check=False)
        assert (again.returncode, again.stdout.strip()) == (0, "database is up to date"), again.stderr
        assert not _postgres_on(pgdata)
    finally:
        for process in _postgres_on(pgdata):
            process.kill()
        import shutil

        shutil.rmtree(root, ignore_errors=True)
