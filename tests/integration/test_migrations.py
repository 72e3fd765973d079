"""Migrations are idempotent: running them again changes nothing."""

from __future__ import annotations

from schoolit.db import fetch
from schoolit.migrations import apply_migrations, pending_migrations
from tests.support import run_cli, throwaway_cluster

SCHEMA_SNAPSHOT = """
SELECT 'column' AS kind, table_name || '.' || column_name || ':' || data_type || ':' || is_nullable AS name
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'constraint', conrelid::regclass::text || ':' || conname || ':' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'index', indexdef FROM pg_indexes WHERE schemaname = 'public'
ORDER BY 1, 2
"""


async def _snapshot() -> list[tuple[str, str]]:
    rows = await fetch(SCHEMA_SNAPSHOT)
    return [tuple(r.values()) for r in rows]  # type: ignore[misc]


async def test_all_migrations_applied_and_rerun_changes_nothing() -> None:
    assert await pending_migrations() == []
    before = await _snapshot()
    tables = {name.split(".")[0] for kind, name in before if kind == "column"}
    assert {"county", "arrangement", "arrangement_member", "school", "migration"} <= tables
    assert await apply_migrations() == 0
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
    """`migrate --check` lists pending migrations and exits 1 without changing anything; `serve` leaves
    them pending; `serve --migrate` applies them; afterwards `--check` exits 0."""
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

            log = Path(root) / "serve.log"
            with running_server(env, log_path=log):
                pass
            assert run_cli("migrate", "--check", env=env).stdout == before.stdout
            assert "database migrations are pending; run `schoolit migrate`" in log.read_text()

            with running_server(env, "--migrate"):
                pass
            after = run_cli("migrate", "--check", env=env)
            assert (after.returncode, after.stdout.strip()) == (0, "database is up to date")
        finally:
            server.cleanup()
