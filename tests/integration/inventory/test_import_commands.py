"""`schoolit import` and `schoolit export` as the real command, against a database of their own
(a subprocess commits, so it must not share the tests' database)."""

from __future__ import annotations

import asyncio
import os
import pty
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from tests.integration.inventory.csvfiles import DEVICE_HEADER_DE, csv_bytes, device_rows
from tests.support import SCHOOLIT, child_env, run_cli


@pytest.fixture
async def cli_env(owner_database_url: str) -> AsyncIterator[dict[str, str]]:
    name = f"schoolit_cli_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(owner_database_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    env = {"DATABASE_URL": urlunsplit(urlsplit(owner_database_url)._replace(path="/" + name))}
    try:
        migrated = await asyncio.to_thread(run_cli, "migrate", env=env)
        assert migrated.returncode == 0, migrated.stderr
        conn = await asyncpg.connect(env["DATABASE_URL"])
        try:
            county = await conn.fetchval("INSERT INTO county (name, slug, ags, seat) VALUES ('Donnersbergkreis', "
                                         "'donnersbergkreis', '07333', 'Kirchheimbolanden') RETURNING id")
            await conn.execute("INSERT INTO school (county_id, school_number, name, city) VALUES "
                               "($1, '41001', 'Nordpfalzgymnasium', 'Kirchheimbolanden')", county)
        finally:
            await conn.close()
        yield env
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(run_cli, *args, env=env)


async def _devices(env: dict[str, str]) -> list[str]:
    conn = await asyncpg.connect(env["DATABASE_URL"])
    try:
        return [r["serial"] for r in await conn.fetch("SELECT serial FROM device ORDER BY serial")]
    finally:
        await conn.close()


async def test_import_dry_run_then_import_then_export_round_trip(cli_env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "geraete.csv"
    source.write_bytes(csv_bytes([DEVICE_HEADER_DE, *device_rows("41001", 3)], encoding="cp1252"))
    dry = await _cli("import", "devices", str(source), "--dry-run", env=cli_env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "devices: 3 rows (windows-1252, ';'): 3 would be created, 0 would be updated (0 changed)",
        "dry run: nothing was written"]
    assert dry.stderr == ""  # no progress bar when stderr is not a terminal
    assert await _devices(cli_env) == []
    done = await _cli("import", "devices", str(source), env=cli_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "devices: 3 rows (windows-1252, ';'): 3 created, 0 updated (0 changed)"
    assert await _devices(cli_env) == ["SN000001", "SN000002", "SN000003"]
    exported = tmp_path / "export.csv"
    result = await _cli("export", "devices", "-o", str(exported), env=cli_env)
    assert result.returncode == 0, result.stderr
    assert exported.read_bytes().startswith(b"\xef\xbb\xbfSchulnummer;")
    again = await _cli("import", "devices", str(exported), env=cli_env)
    assert again.stdout.strip() == "devices: 3 rows (utf-8, ';'): 0 created, 3 updated (0 changed)"
    english = await _cli("export", "devices", "--lang", "en", env=cli_env)
    assert english.stdout.startswith("\ufeffschool_number;kind;vendor")


async def test_import_errors_exit_1_and_write_nothing(cli_env: dict[str, str], tmp_path: Path) -> None:
    rows = [DEVICE_HEADER_DE, *device_rows("41001", 3)]
    rows[2][0] = "41004"
    rows[3][9] = "kaputt"
    source = tmp_path / "geraete.csv"
    source.write_bytes(csv_bytes(rows))
    result = await _cli("import", "devices", str(source), env=cli_env)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "row 3, Schulnummer: unbekannte Schulnummer",
        "row 4, Status: einer von: stock, lent, repair, lost, retired, disposed",
        "2 errors: nothing was imported"]
    assert await _devices(cli_env) == []
    missing = await _cli("import", "devices", str(tmp_path / "nope.csv"), env=cli_env)
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    unknown = await _cli("import", "pupils", str(source), env=cli_env)
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr


async def test_progress_bar_on_a_terminal(cli_env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "geraete.csv"
    source.write_bytes(csv_bytes([DEVICE_HEADER_DE, *device_rows("41001", 12_000)]))

    def run_on_a_terminal() -> tuple[int, bytes]:
        controller, terminal = pty.openpty()
        process = subprocess.Popen([*SCHOOLIT, "import", "devices", str(source), "--dry-run"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=terminal,
                                   env=child_env(cli_env))
        os.close(terminal)
        output = b""
        try:
            while chunk := os.read(controller, 65536):  # read while it runs: a full terminal would block it
                output += chunk
        except OSError:  # EIO: the command ended and closed the terminal
            pass
        finally:
            os.close(controller)
        return process.wait(timeout=120), output

    returncode, output = await asyncio.to_thread(run_on_a_terminal)
    assert returncode == 0
    assert b"reading" in output and b"checking" in output and "━".encode() in output
