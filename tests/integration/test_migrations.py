"""Migrations are idempotent: running them again changes nothing."""

from __future__ import annotations

from schoolit.db import fetch
from schoolit.migrations import apply_migrations, pending_migrations
from tests.support import run_cli, throwaway_cluster

SCHEMA_SNAPSHOT = """
SELECT 'column', table_name || '.' || column_name || ':' || data_type || ':' || is_nullable
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
