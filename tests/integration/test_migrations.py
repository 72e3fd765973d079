"""Migrations: idempotent, applied only when asked, and the baseline equals the chain it replaced."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from schoolit.migrations import BASELINE, SQUASHED, pending_migrations
from schoolit.sql import fetch
from tests.support import run_cli, throwaway_cluster

# The schema as PostgreSQL's catalogue states it, one line per relation, column, constraint, index,
# trigger, function, view and sequence, plus the rows the migrations seed; sorted, so column order
# and creation order do not count. Definitions are PostgreSQL's own rendering (whitespace collapsed),
# so two ways of writing the same DDL compare equal.
SCHEMA_CATALOGUE = r"""
WITH rel AS (
  SELECT c.oid, c.relname, c.relkind, c.reloptions, c.relispartition, c.relpartbound
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
)
SELECT 'relation ' || relname || ' kind=' || relkind::text
       || coalesce(' options=' || array_to_string(reloptions, ','), '')
       || CASE WHEN relkind = 'p' THEN ' ' || pg_get_partkeydef(oid) ELSE '' END
       || CASE WHEN relispartition THEN ' partition of ' || (SELECT i.inhparent::regclass::text FROM pg_inherits i
                WHERE i.inhrelid = rel.oid) || ' ' || pg_get_expr(relpartbound, oid) ELSE '' END
  FROM rel WHERE relkind IN ('r', 'p', 'v', 'm', 'S')
UNION ALL
SELECT 'column ' || rel.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
       || CASE WHEN a.attidentity::text <> '' THEN ' identity ' || a.attidentity::text ELSE '' END
  FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE rel.relkind IN ('r', 'p', 'v', 'm')
UNION ALL
SELECT 'constraint ' || conrelid::regclass::text || '.' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT CASE WHEN rel.relispartition
            -- a partition's index is named by PostgreSQL, numbered around names taken before: by definition
            THEN 'index ' || i.tablename || '.* ' || regexp_replace(i.indexdef, 'INDEX \S+ ON', 'INDEX * ON')
            ELSE 'index ' || i.tablename || '.' || i.indexname || ' ' || i.indexdef END
  FROM pg_indexes i JOIN rel ON rel.relname = i.tablename WHERE i.schemaname = 'public'
UNION ALL
SELECT 'trigger ' || tgrelid::regclass::text || '.' || tgname || ' ' || pg_get_triggerdef(oid)
  FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM rel)
UNION ALL
SELECT 'function ' || p.proname || ' ' || regexp_replace(pg_get_functiondef(p.oid), '\s+', ' ', 'g')
  FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'view ' || relname || ' ' || regexp_replace(pg_get_viewdef(oid), '\s+', ' ', 'g')
  FROM rel WHERE relkind IN ('v', 'm')
UNION ALL
SELECT 'sequence ' || sequencename || ' ' || data_type::text || ' start ' || start_value || ' increment '
       || increment_by FROM pg_sequences WHERE schemaname = 'public'
UNION ALL
SELECT 'row ticket_category ' || name || ' ' || position || ' ' || active FROM ticket_category
"""

BASELINE_SCHEMA = Path(__file__).with_name("baseline_schema.txt")


async def _catalogue(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return sorted(row[0] for row in await conn.fetch(SCHEMA_CATALOGUE))
    finally:
        await conn.close()


async def _snapshot() -> list[str]:
    return sorted(next(iter(row.values())) for row in await fetch(SCHEMA_CATALOGUE))


async def test_all_migrations_applied_and_rerun_changes_nothing() -> None:
    """As the tests' app role (which may not create tables) nothing is pending; `schoolit migrate` (as the
    owner, DATABASE_OWNER_URL) again changes nothing."""
    assert await pending_migrations(read_only=True) == []
    before = await _snapshot()
    tables = {line.split()[1] for line in before if line.startswith("relation ")}
    assert {"county", "arrangement", "arrangement_member", "school", "migration"} <= tables
    again = await asyncio.to_thread(run_cli, "migrate")
    assert again.returncode == 0 and again.stdout.strip() == "database is up to date", again.stderr
    assert await _snapshot() == before


def test_cli_migrate_twice_on_a_fresh_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with throwaway_cluster() as server:
        env = {"DATABASE_URL": str(server.get_uri()), "DATA_DIR": str(tmp_path / "data")}
        first = run_cli("migrate", env=env)
        assert first.returncode == 0, first.stderr
        assert first.stdout.startswith("migrations applied: ")
        second = run_cli("migrate", env=env)
        assert second.returncode == 0, second.stderr
        assert second.stdout.strip() == "database is up to date"


async def test_database_rules_hold() -> None:
    """The CHECK constraints the migrations add are really there."""
    import asyncpg
    import pytest

    from schoolit.db import atomic

    county = await fetch(
        "INSERT INTO county (name, slug, state, ags, seat, created_at) "
        "VALUES ('Testkreis', 'testkreis', 'RP', '07999', '', now()) RETURNING id"
    )
    for bad in ("1234", "12a45", "ABCDE", " 1234"):
        with pytest.raises(asyncpg.CheckViolationError):
            async with atomic():
                await fetch(
                    "INSERT INTO school (county_id, school_number, name, school_type, street, postal_code, city, "
                    "pupils, created_at, updated_at) VALUES ({}, {}, 'X', 'igs', '', '', '', 1, now(), now())",
                    county[0]["id"], bad,
                )


def test_migrate_check_and_serve_migrate_only_when_asked() -> None:
    """`migrate --check` lists pending migrations and exits 1 without changing anything; `serve` refuses
    to start and leaves them pending; `serve --migrate` applies them; afterwards `--check` exits 0."""
    import asyncio
    import tempfile
    from pathlib import Path

    import asyncpg
    import pgserver

    from tests.support import running_server

    async def has_bookkeeping(dsn: str) -> bool:
        conn = await asyncpg.connect(dsn)
        try:
            return bool(await conn.fetchval("SELECT to_regclass('public.migration') IS NOT NULL"))
        finally:
            await conn.close()

    # Outside pytest's tmp_path: see tests/integration/test_ops.py (pgserver runs as another user).
    with tempfile.TemporaryDirectory(prefix="schoolit-mig-", ignore_cleanup_errors=True) as root:
        server = pgserver.get_server(Path(root) / "pg", cleanup_mode="delete")
        try:
            dsn = str(server.get_uri())
            env = {"DATABASE_URL": dsn, "DATA_DIR": str(Path(root) / "data")}
            before = run_cli("migrate", "--check", env=env)
            assert before.returncode == 1, before.stderr
            lines = before.stdout.splitlines()
            assert lines[0].startswith("pending migrations: ")
            count = int(lines[0].split(": ")[1])
            assert count >= 4 and len(lines) == count + 1
            assert {line.split()[0] for line in lines[1:]} >= {"accounts", "inventory"}
            assert not asyncio.run(has_bookkeeping(dsn))  # --check wrote nothing

            refused = run_cli("serve", env=env, timeout=30)  # an old schema would answer 500 on every page
            assert refused.returncode == 2
            assert refused.stderr.strip() == (f"schoolit: error: the database is not migrated ({count} migrations "
                                              "pending): run `schoolit migrate` first")
            assert run_cli("migrate", "--check", env=env).stdout == before.stdout

            with running_server(env, "--migrate"):
                pass
            after = run_cli("migrate", "--check", env=env)
            assert (after.returncode, after.stdout.strip()) == (0, "database is up to date")
        finally:
            server.cleanup()


# --- the baseline -----------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def new_database(server_dsn: str) -> AsyncIterator[str]:
    """A new, empty database on the test server, dropped afterwards."""
    from urllib.parse import urlsplit, urlunsplit

    name = f"schoolit_baseline_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(urlsplit(server_dsn)._replace(path="/" + name))
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def empty_database(database: str, owner_database_url: str) -> AsyncIterator[str]:
    async with new_database(owner_database_url) as dsn:
        yield dsn


@pytest.fixture
async def migrated_database(database: str, owner_database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A new database that `schoolit migrate` built from nothing (the session's database may hold
    what other tests committed, e.g. sample partitions made by the app at start)."""
    async with new_database(owner_database_url) as dsn:
        result = await asyncio.to_thread(run_cli, "migrate", env={"DATABASE_URL": dsn,
                                                                  "DATA_DIR": str(tmp_path / "fresh")})
        assert result.returncode == 0, result.stderr
        yield dsn


# Runs in its own process: the engine is one per process, and the tests' engine holds the test database.
# argv[1]: the JSON object of each app's last migration to apply ("all" for an app it leaves out).
_APPLY_UP_TO = """
import asyncio, json, sys
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from schoolit.db import connected
from schoolit.settings import get_settings

async def main():
    until = json.loads(sys.argv[1])
    async with connected(get_settings(), pool=False):
        for app_name in BaseMigrationManager().get_sorted_app_names():
            result = await run_forwards(app_name, migration_id=until.get(app_name, "all"))
            assert result.success, result.message

asyncio.run(main())
"""


async def apply_up_to(dsn: str, until: dict[str, str]) -> None:
    """Apply the migrations of every app up to (and including) its id in `until`, the others' all."""
    import json
    import subprocess
    import sys

    from tests.support import child_env

    env = child_env({"DATABASE_URL": dsn})
    result = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", _APPLY_UP_TO, json.dumps(until)],
                                     env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr


async def _apply_baseline_only(dsn: str) -> None:
    await apply_up_to(dsn, dict.fromkeys(SQUASHED, BASELINE[-1]))


async def test_baseline_schema_equals_the_chain_it_replaced(empty_database: str) -> None:
    """The baseline migrations alone build the schema the 2026-11-22 chain built (its catalogue,
    dumped by this query before the chain was deleted, is tests/integration/baseline_schema.txt)."""
    await _apply_baseline_only(empty_database)
    assert await _catalogue(empty_database) == BASELINE_SCHEMA.read_text().splitlines()


async def _record_the_old_chain(dsn: str, *, leave_out: str | None = None) -> None:
    """Make a baseline database look like one that ran the old chain (the schemas are equal, as the
    test above shows): its bookkeeping lists the squashed ids instead of the baseline."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("DELETE FROM migration")
            for app_name, ids in SQUASHED.items():
                await conn.executemany("INSERT INTO migration (name, app_name, ran_on) VALUES ($1, $2, now())",
                                       [(mid, app_name) for mid in ids if mid != leave_out])
    finally:
        await conn.close()


async def _recorded(dsn: str) -> set[tuple[str, str]]:
    conn = await asyncpg.connect(dsn)
    try:
        return {(row["app_name"], row["name"]) for row in await conn.fetch("SELECT app_name, name FROM migration")}
    finally:
        await conn.close()


async def test_a_database_of_the_old_chain_adopts_the_baseline(empty_database: str, migrated_database: str,
                                                               tmp_path: Path) -> None:
    """A developer's database that ran the whole old chain: `migrate --check` does not list the
    baseline, `migrate` records it as applied (running it would fail on the existing tables), runs
    what came after it, and ends with the schema of a fresh database."""
    await _apply_baseline_only(empty_database)
    await _record_the_old_chain(empty_database)
    env = {"DATABASE_URL": empty_database, "DATA_DIR": str(tmp_path / "data")}
    check = await asyncio.to_thread(run_cli, "migrate", "--check", env=env)
    assert not {line.split()[1] for line in check.stdout.splitlines()[1:]} & set(BASELINE), check.stdout

    migrate = await asyncio.to_thread(run_cli, "migrate", env=env)
    assert migrate.returncode == 0, migrate.stderr
    recorded = await _recorded(empty_database)
    for app_name, ids in SQUASHED.items():
        assert {(app_name, mid) for mid in BASELINE} <= recorded
        assert not {(app_name, mid) for mid in ids} & recorded
    assert await _catalogue(empty_database) == await _catalogue(migrated_database)
    again = await asyncio.to_thread(run_cli, "migrate", "--check", env=env)
    assert (again.returncode, again.stdout.strip()) == (0, "database is up to date")


async def test_a_database_with_part_of_the_old_chain_is_refused(empty_database: str, tmp_path: Path) -> None:
    """Part of the old chain is neither the old schema nor the new one: one clear line, exit 2, and
    the bookkeeping is left as it was."""
    await _apply_baseline_only(empty_database)
    missing = SQUASHED["inventory"][-1]
    await _record_the_old_chain(empty_database, leave_out=missing)
    before = await _recorded(empty_database)
    env = {"DATABASE_URL": empty_database, "DATA_DIR": str(tmp_path / "data")}
    result = await asyncio.to_thread(run_cli, "migrate", env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "schoolit: error: the database ran only part of the inventory migrations of 2026-11-22 "
        f"(missing: {missing}); restore a backup of a complete installation or start from an empty database"
    ]
    assert await _recorded(empty_database) == before
