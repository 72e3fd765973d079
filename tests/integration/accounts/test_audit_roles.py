"""The audit log the app cannot erase (#19 item 5): the tests run as the app's own role (DATABASE_URL),
the migrations ran as the owner of the tables (DATABASE_OWNER_URL). The app may append to the log and
read it; every way to change or remove rows, or to switch the trigger off, fails for it. The owner is
still stopped by the trigger."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from schoolit.accounts import audit
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.sql import fetch

ERASING = (
    "UPDATE audit_log SET action = 'nothing'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_log_no_update_delete ON audit_log",
    "SET session_replication_role = replica",
    "SET LOCAL session_replication_role = replica",
    """CREATE OR REPLACE FUNCTION audit_log_reject_change() RETURNS trigger LANGUAGE plpgsql
       AS $$ BEGIN RETURN NEW; END $$""",
    "ALTER TABLE audit_log OWNER TO CURRENT_USER",
    "DROP TABLE audit_log",
    "SELECT key FROM audit_pseudonym_key",
)


@pytest.fixture
async def owner(owner_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(owner_database_url)
    try:
        yield conn
    finally:
        await conn.close()


async def test_the_app_role_appends_and_reads_but_cannot_erase(owner: asyncpg.Connection) -> None:
    me = (await fetch("SELECT current_user AS name, r.rolsuper FROM pg_roles r WHERE r.rolname = current_user"))[0]
    assert me["name"] != await owner.fetchval("SELECT current_user")
    assert me["rolsuper"] is False
    owned = await fetch("SELECT count(*) AS n FROM pg_class WHERE relowner = current_user::regrole")
    assert owned[0]["n"] == 0

    marker = f"audit-roles-{uuid.uuid4().hex[:8]}"
    await audit.record(Scope.system("test"), marker, object_type="test")
    rows = await fetch("SELECT action FROM audit_log WHERE action = {}", marker)
    assert rows == [{"action": marker}]

    for statement in ERASING:
        with pytest.raises(asyncpg.InsufficientPrivilegeError) as refused:
            async with atomic():
                await fetch(statement)
        assert "append-only" not in str(refused.value), statement  # the privileges stop it, not the trigger
    assert await fetch("SELECT action FROM audit_log WHERE action = {}", marker) == [{"action": marker}]
    assert (await fetch("SHOW session_replication_role"))[0]["session_replication_role"] == "origin"


async def test_the_trigger_still_stops_the_owner(owner: asyncpg.Connection) -> None:
    """Defence in depth: the owner of the tables (migrations, backup) cannot change rows by accident."""
    transaction = owner.transaction()
    await transaction.start()
    try:
        await owner.execute("INSERT INTO audit_log (actor_kind, action) VALUES ('system', 'owner-test')")
        for statement in ("UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                async with owner.transaction():
                    await owner.execute(statement)
    finally:
        await transaction.rollback()


async def test_tables_a_later_migration_creates_are_the_apps_to_use(owner: asyncpg.Connection,
                                                                    database_url: str) -> None:
    """Default privileges: what the owner creates after the first migration run is granted to the app's
    role without a grant of its own (and the app still owns nothing). A connection of its own, outside
    the test's transaction: the owner drops the table at the end."""
    name = f"later_{uuid.uuid4().hex[:8]}"
    await owner.execute(f"CREATE TABLE {name} (id serial PRIMARY KEY, note text)")
    app = await asyncpg.connect(database_url)
    try:
        await app.execute(f"INSERT INTO {name} (note) VALUES ('written by the app')")  # noqa: S608
        await app.execute(f"UPDATE {name} SET note = 'changed'")  # noqa: S608
        assert await app.fetchval(f"SELECT note FROM {name}") == "changed"  # noqa: S608
        await app.execute(f"DELETE FROM {name}")  # noqa: S608
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute(f"DROP TABLE {name}")
    finally:
        await app.close()
        await owner.execute(f"DROP TABLE {name}")
