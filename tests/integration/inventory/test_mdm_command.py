"""`schoolit inventory mdm-sync --county SLUG FILE` as the real command, against a database of its own."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import asyncpg

from tests.integration.inventory.test_import_commands import cli_env  # noqa: F401 (the fixture)
from tests.support import run_cli

SAMPLES = Path(__file__).parents[2] / "samples" / "mdm"


async def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(run_cli, *args, env=env)


async def test_mdm_sync_command(cli_env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    conn = await asyncpg.connect(cli_env["DATABASE_URL"])
    try:
        await conn.execute("INSERT INTO device (county_id, school_id, serial) SELECT county_id, id, 'R9WT20AB3CD' "
                           "FROM school WHERE school_number = '41001'")
    finally:
        await conn.close()
    sample = str(SAMPLES / "relution_geraete.csv")

    unknown = await _cli("inventory", "mdm-sync", "--county", "nirgendwo", sample, env=cli_env)
    assert unknown.returncode == 1 and "unknown county nirgendwo" in unknown.stderr

    dry = await _cli("inventory", "mdm-sync", "--county", "donnersbergkreis", "--dry-run", sample, env=cli_env)
    assert dry.returncode == 0, dry.stderr
    assert "Relution: 1 device would be matched (1 would be changed" in dry.stdout
    assert "unknown: DMPXA1002" in dry.stdout and "dry run: nothing was written" in dry.stdout

    done = await _cli("inventory", "mdm-sync", "--county", "donnersbergkreis", "--adopt", "DMPXA1002=41001", sample,
                      env=cli_env)
    assert done.returncode == 0, done.stderr
    assert "2 devices matched (2 changed, 1 adopted)" in done.stdout
    conn = await asyncpg.connect(cli_env["DATABASE_URL"])
    try:
        rows = await conn.fetch("SELECT serial, mdm_source, os_version, mdm_enrolled FROM device ORDER BY serial")
        actions = await conn.fetch("SELECT action, actor_label FROM audit_log WHERE action LIKE '%mdm%' "
                                   "OR action = 'device.create'")
    finally:
        await conn.close()
    assert [tuple(r) for r in rows] == [("DMPXA1002", "relution", "17.6.1", True),
                                         ("R9WT20AB3CD", "relution", "14", True)]
    assert {(a["action"], a["actor_label"]) for a in actions} == {
        ("device.create", "cli"), ("device.mdm", "cli"), ("import.mdm", "cli")}

    # A device disposed of since: left as it is, and named.
    conn = await asyncpg.connect(cli_env["DATABASE_URL"])
    try:
        await conn.execute("UPDATE device SET status = 'disposed', os_version = '13' WHERE serial = 'R9WT20AB3CD'")
    finally:
        await conn.close()
    disposed = await _cli("inventory", "mdm-sync", "--county", "donnersbergkreis", sample, env=cli_env)
    assert disposed.returncode == 0, disposed.stderr
    assert "1 device matched" in disposed.stdout
    assert "disposed of, still in the MDM (left as it is): R9WT20AB3CD" in disposed.stdout
    conn = await asyncpg.connect(cli_env["DATABASE_URL"])
    try:
        assert await conn.fetchval("SELECT os_version FROM device WHERE serial = 'R9WT20AB3CD'") == "13"
    finally:
        await conn.close()

    bad = tmp_path / "bad.csv"
    bad.write_text("Name;Seriennummer;Status;Letzte Verbindung\nA;R9WT20AB3CD;Registriert;gestern\n", "utf-8")
    failed = await _cli("inventory", "mdm-sync", "--county", "donnersbergkreis", str(bad), env=cli_env)
    assert failed.returncode == 1
    assert "row 2, Letzte Verbindung: kein Datum mit Uhrzeit" in failed.stderr
