"""Applying Piccolo migrations programmatically (CLI, app start with --migrate, tests)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Awaitable, Callable

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import Finder


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
        ids = sorted(BaseMigrationManager().get_migration_ids(
            BaseMigrationManager().get_migration_modules(app_config.resolved_migrations_folder_path)))
        pending += [(app_name, mid) for mid in ids if mid not in applied]
    return pending


async def apply_migrations() -> int:
    """Apply every pending migration; returns how many ran. Piccolo's progress output is swallowed."""
    pending = await pending_migrations()
    if not pending:
        return 0
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}\n{buffer.getvalue()}")
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
