"""Applying Piccolo migrations programmatically (CLI, app start with --migrate, tests).

Each app's history starts with a baseline pair of 2026-11-22T00:00 (the tables, then the raw SQL
Piccolo cannot declare), which replaced the chain of migrations the project grew on 2026-11-22
before its first release. A database that ran that whole chain has the baseline's schema (a test
compares the two), so for such a database the baseline is recorded as applied instead of run.

Migrations run as the owner of the tables. When the app connects as a role of its own, every run ends
with `grant_app_role`: the app's role may read and write the tables, but only INSERT and SELECT the
audit log, and owns nothing (so it cannot switch off the log's trigger either).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Awaitable, Callable

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import Finder

from schoolit.db import atomic
from schoolit.errors import CommandFailed
from schoolit.kernel.i18n import counted

BASELINE = ("2026-11-22T00:00:00:000000", "2026-11-22T00:00:01:000000")

# The migrations each app's baseline replaced, as Piccolo recorded them in its `migration` table.
SQUASHED: dict[str, tuple[str, ...]] = {
    "accounts": ("2026-11-22T13:59:05:943289", "2026-11-22T13:59:06:943289", "2026-11-22T14:05:37:943385",
                 "2026-11-22T14:05:38:943385", "2026-11-22T15:34:13:220341", "2026-11-22T15:34:14:220341"),
    "inventory": ("2026-11-22T13:59:06:486335", "2026-11-22T13:59:07:486335", "2026-11-22T14:05:39:000000",
                  "2026-11-22T14:18:36:327273", "2026-11-22T14:18:37:327273", "2026-11-22T14:23:15:178037",
                  "2026-11-22T14:23:16:178037", "2026-11-22T14:33:30:982160", "2026-11-22T16:40:00:000000"),
    "tickets": ("2026-11-22T14:24:51:999917", "2026-11-22T14:24:52:999917", "2026-11-22T16:10:00:000000",
                "2026-11-22T16:45:00:000000", "2026-11-22T16:50:00:000000"),
    "probes": ("2026-11-22T14:32:52:926743", "2026-11-22T14:32:53:926743", "2026-11-22T16:08:11:479607",
               "2026-11-22T16:08:12:479607", "2026-11-22T16:32:00:000000", "2026-11-22T20:50:00:000000",
               "2026-11-22T21:00:00:000000", "2026-11-22T23:10:00:000000", "2026-11-22T23:40:00:000000"),
}


class PartialSquashedChain(CommandFailed):
    """The database ran part of a chain the baseline replaced: its schema is neither old nor new."""


def _applied_with_baseline(app_name: str, applied: set[str]) -> tuple[set[str], bool]:
    """The applied ids as the baseline sees them, and whether the baseline must be recorded."""
    squashed = set(SQUASHED.get(app_name, ()))
    ran_squashed = applied & squashed
    if not ran_squashed or set(BASELINE) <= applied:
        return applied, False
    if ran_squashed != squashed:
        missing = ", ".join(sorted(squashed - ran_squashed))
        raise PartialSquashedChain(
            f"the database ran only part of the {app_name} migrations of 2026-11-22 (missing: {missing}); "
            "restore a backup of a complete installation or start from an empty database"
        )
    return applied | set(BASELINE), True


async def _adopt_baselines() -> None:
    """Record the baselines as applied where the chain they replaced ran in full (one transaction)."""
    async with atomic():
        for app_name in SQUASHED:
            applied = set(await Migration.get_migrations_which_ran(app_name=app_name))
            _, adopt = _applied_with_baseline(app_name, applied)
            if adopt:
                await Migration.delete().where(
                    (Migration.app_name == app_name) & Migration.name.is_in(list(SQUASHED[app_name]))
                )
                await Migration.insert(*(Migration(name=mid, app_name=app_name) for mid in BASELINE))


async def pending_migrations(*, read_only: bool = False) -> list[tuple[str, str]]:
    """(app, migration id) of every migration not yet applied, in the order they would run.

    `read_only=True` (for `migrate --check` and /metrics) never creates Piccolo's bookkeeping table:
    on a fresh database every migration is pending.
    """
    if read_only:
        tracked = await Migration.table_exists().run()
    else:
        await Migration.create_table(if_not_exists=True)
        tracked = True
    pending: list[tuple[str, str]] = []
    finder = Finder()
    for app_name in BaseMigrationManager().get_sorted_app_names():
        app_config = finder.get_app_config(app_name)
        applied = set(await Migration.get_migrations_which_ran(app_name=app_name)) if tracked else set()
        applied, _ = _applied_with_baseline(app_name, applied)
        ids = sorted(BaseMigrationManager().get_migration_ids(
            BaseMigrationManager().get_migration_modules(app_config.resolved_migrations_folder_path)))
        pending += [(app_name, mid) for mid in ids if mid not in applied]
    return pending


async def require_migrated() -> None:
    """Raise CommandFailed (one line) unless every migration is applied: `serve` and the commands that
    read or write the tables refuse an unmigrated database instead of failing on a missing table."""
    pending = await pending_migrations(read_only=True)
    if pending:
        raise CommandFailed(f"the database is not migrated ({counted(len(pending), 'migration', 'migrations')} "
                            "pending): run `schoolit migrate` first")


# Tables the app's role gets fewer privileges on than SELECT, INSERT, UPDATE, DELETE: the audit log is
# append-only for it, the key of the audit pseudonyms it must not read at all.
APP_TABLE_LIMITS = {
    "audit_log": "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log FROM {role}",
    "audit_pseudonym_key": "REVOKE ALL ON audit_pseudonym_key FROM {role}",
}


async def grant_app_role(role: str) -> None:
    """Give the app's role what it needs and no more (run as the owner after every migration run).

    Default privileges grant tables, sequences and functions the owner creates later (next migrations,
    sample partitions) automatically; the explicit grants cover what exists. Refused when the role could
    act as the owner: a superuser, or a member of the owner's role."""
    from schoolit.sql import fetch

    facts = (await fetch(
        "SELECT r.rolsuper, pg_has_role(r.oid, current_user, 'MEMBER') AS member, current_schema() AS schema "
        "FROM pg_roles r WHERE r.rolname = {}", role))
    if not facts:
        raise CommandFailed(f"the app's database role {role!r} does not exist")
    if facts[0]["rolsuper"] or facts[0]["member"]:
        raise CommandFailed(f"the app's database role {role!r} is a superuser or a member of the owner's role, "
                            "so it could erase the audit log: give the app a role of its own (docs/operations.md)")
    quoted, schema = _ident(role), _ident(facts[0]["schema"])
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT EXECUTE ON FUNCTIONS TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {quoted}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}",
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {quoted}",
    ]
    existing = {row["relname"] for row in await fetch(
        "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
        "AND relname = ANY({})", list(APP_TABLE_LIMITS))}
    statements += [limit.format(role=quoted) for table, limit in APP_TABLE_LIMITS.items() if table in existing]
    async with atomic():
        for statement in statements:
            await fetch(statement)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def apply_migrations(app_role: str | None = None) -> int:
    """Apply every pending migration; returns how many ran. Piccolo's progress output is swallowed.

    With `app_role` (the app's own role, `schoolit.db.app_role`), its privileges are set before (the
    default privileges) and after (everything the migrations made)."""
    pending = await pending_migrations()
    await _adopt_baselines()
    if app_role:
        await grant_app_role(app_role)
    if not pending:
        return 0
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}\n{buffer.getvalue()}")
    if app_role:
        await grant_app_role(app_role)
    return len(pending)


def sql(*statements: str) -> Callable[[], Awaitable[None]]:
    """A raw-SQL step for `MigrationManager.add_raw` (which takes a callable, not a string).

    Migrations import this by path, so it must stay here with this signature.
    """

    async def run() -> None:
        from piccolo.engine import engine_finder

        engine = engine_finder()
        assert engine is not None
        for statement in statements:
            await engine.run_ddl(statement)

    return run
