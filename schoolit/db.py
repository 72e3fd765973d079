"""The database engine: DATABASE_URL when set, otherwise an embedded PostgreSQL in DATA_DIR/pg.

`connected()` is the one way in, used by the app's lifespan, the CLI and the tests: it resolves the
DSN, checks that the server answers, opens the pool, and on exit closes the pool and stops an
embedded server it started. `reading()` is where a caller sends reads that may go to a read replica
(`schoolit.replica` opens it and hands it in with `read_source()`). Statements run through `schoolit.sql`.

Two roles: the owner of the tables (DATABASE_OWNER_URL; `connected(owner=True)`, for migrations,
backup and restore) and the app's role (DATABASE_URL; everything else), which owns nothing and may
only append to the audit log (`schoolit.migrations.grant_app_role`). The embedded server's owner is
its own superuser; the app's role `schoolit_app` is created there on first start.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

from schoolit.errors import DatabaseUnavailable
from schoolit.settings import Settings

MIN_SERVER_VERSION = 15
MAX_INT = 2_147_483_647  # PostgreSQL `integer`: every id column, and most counts
# What a server that went away raises (as opposed to a query's own error).
CONNECTION_ERRORS = (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
                     asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError, asyncpg.CrashShutdownError)


class Engine(PostgresEngine):
    """Piccolo's engine, minus its connect-at-import version check (we check in `connected()`)."""

    def __init__(self) -> None:
        super().__init__(config={})

    async def check_version(self) -> None:
        return None

    async def prep_database(self) -> None:
        return None


DB = Engine()

EMBEDDED_APP_ROLE = "schoolit_app"

_embedded: Any = None
_embedded_app_role_ready = False


def redact_dsn(dsn: str) -> str:
    """The DSN with any password replaced, for error messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", dsn)


def _start_embedded(settings: Settings) -> str:
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns about a missing XDG_RUNTIME_DIR on servers; pgserver copes without it.
        warnings.simplefilter("ignore")
        import pgserver  # imported lazily: only needed when DATABASE_URL is unset

    global _embedded
    settings.embedded_database_dir.mkdir(parents=True, exist_ok=True)
    import logging

    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs pg_ctl's whole output at INFO
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _clear_stale_state(settings.embedded_database_dir)
        _embedded = pgserver.get_server(settings.embedded_database_dir, cleanup_mode="stop")
    return str(_embedded.get_uri())


def _runs_postgres_on(pid: int, directory: Path) -> bool:
    """Whether `pid` is a PostgreSQL server on `directory` (when in doubt, yes: nothing is removed)."""
    import psutil

    try:
        process = psutil.Process(pid)
        return process.name() == "postgres" and str(directory) in " ".join(process.cmdline())
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # not allowed to look: assume it is the server
        return True


def _clear_stale_state(directory: Path) -> None:
    """What a killed run (a demo ended with SIGKILL, a crash) leaves behind in the embedded server's
    directory, removed under pgserver's own lock before it starts the server:

    - pgserver counts the processes using the server in `.handle_pids.json` and stops the server when
      the last one exits; a killed process stays listed, and the server then outlives every later run.
      Dead pids are dropped.
    - `postmaster.pid` of a server that no longer runs, whose pid now belongs to another process:
      pgserver would take that process for the server (and hand out a socket nobody listens on),
      PostgreSQL would refuse to start. The file is removed.
    """
    import json

    import psutil
    from pgserver.postgres_server import PostgresServer

    with PostgresServer._lock:
        handles = directory / ".handle_pids.json"
        try:
            pids = json.loads(handles.read_text())
        except (OSError, ValueError):
            pids = None
        if isinstance(pids, list):
            alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
            if alive != pids:
                handles.write_text(json.dumps(alive))
        pidfile = directory / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        if not _runs_postgres_on(pid, directory):
            pidfile.unlink(missing_ok=True)


def _stop_embedded() -> None:
    global _embedded, _embedded_app_role_ready
    if _embedded is not None:
        _embedded.cleanup()
        _embedded = None
        _embedded_app_role_ready = False


def with_user(dsn: str, user: str) -> str:
    """The DSN with its user name (and any password) replaced by `user`."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


async def ensure_app_role(owner_dsn: str, role: str) -> None:
    """Create the app's login role on the server at `owner_dsn` (a superuser's) unless it exists."""
    conn = await asyncpg.connect(dsn=owner_dsn)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
            with contextlib.suppress(asyncpg.DuplicateObjectError):  # another process was quicker
                await conn.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT')
    finally:
        await conn.close()


async def _embedded_superuser_dsn(settings: Settings) -> str:
    if _embedded is not None:
        return str(_embedded.get_uri())
    try:
        return await asyncio.to_thread(_start_embedded, settings)
    except Exception as exc:  # pgserver raises plain exceptions with the server's log in them
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(
            f"cannot start the embedded PostgreSQL in {settings.embedded_database_dir}: {first_line}"
        ) from exc


async def resolve_dsn(settings: Settings, *, owner: bool = False) -> str:
    """The app's DSN (DATABASE_URL), or with `owner` the owner's (DATABASE_OWNER_URL, else DATABASE_URL);
    without DATABASE_URL those of the embedded server (started on first use): its superuser owns the
    tables, the app connects as `schoolit_app`."""
    global _embedded_app_role_ready
    if settings.database_url:
        return (settings.database_owner_url or settings.database_url) if owner else settings.database_url
    superuser = await _embedded_superuser_dsn(settings)
    if owner:
        return superuser
    if not _embedded_app_role_ready:
        await check_server(superuser)
        await ensure_app_role(superuser, EMBEDDED_APP_ROLE)
        _embedded_app_role_ready = True
    return with_user(superuser, EMBEDDED_APP_ROLE)


def _dsn_user(dsn: str) -> str | None:
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(dsn)
    if parts.username:
        return unquote(parts.username)
    users = parse_qs(parts.query).get("user")
    return users[0] if users else None


async def _current_user(dsn: str) -> str:
    await check_server(dsn)
    conn = await asyncpg.connect(dsn=dsn)
    try:
        return str(await conn.fetchval("SELECT current_user"))
    finally:
        await conn.close()


async def app_role(settings: Settings) -> str | None:
    """The app's role when it is not the owner (the role `grant_app_role` grants to), else None.

    The user DATABASE_URL names; asked from the server only when it names none (the migrations may run
    where the app's own login, e.g. peer authentication, does not work)."""
    owner_dsn, app_dsn = await resolve_dsn(settings, owner=True), await resolve_dsn(settings)
    if owner_dsn == app_dsn:
        return None
    role = _dsn_user(app_dsn) or await _current_user(app_dsn)
    return None if role == await _current_user(owner_dsn) else role


async def check_server(dsn: str, connect_timeout: float = 5.0) -> None:
    """Connect once and check the server version; raise DatabaseUnavailable with one clear line."""
    try:
        conn = await asyncpg.connect(dsn=dsn, timeout=connect_timeout)
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(f"cannot reach the database at {redact_dsn(dsn)}: {reason}") from exc
    try:
        version = conn.get_server_version()
    finally:
        await conn.close()
    if version.major < MIN_SERVER_VERSION:
        raise DatabaseUnavailable(
            f"PostgreSQL {version.major} at {redact_dsn(dsn)} is too old; {MIN_SERVER_VERSION} or newer is needed"
        )


async def keep_session(connection: asyncpg.Connection) -> None:
    """The pool's reset when a connection comes back. asyncpg has already ended any open transaction;
    we keep no other session state (no SET, LISTEN, cursors or session-level advisory locks), so its
    default reset query — one more round trip per request — is skipped."""
    return None


@contextlib.asynccontextmanager
async def connected(settings: Settings, *, pool: bool = True, owner: bool = False) -> AsyncIterator[str]:
    """Point the engine at the database, check it answers, and hold a pool while inside; as the app's
    role, or with `owner` as the owner of the tables (migrations, backup, restore)."""
    dsn = await resolve_dsn(settings, owner=owner)
    started_embedded = settings.database_url is None
    try:
        await check_server(dsn)
        DB.config = {"dsn": dsn}
        if pool:
            await DB.start_connection_pool(min_size=settings.db_pool_min, max_size=settings.db_pool_max,
                                           reset=keep_session)
        try:
            yield dsn
        finally:
            if pool and DB.pool is not None:
                await DB.close_connection_pool()
    finally:
        if started_embedded:
            await asyncio.to_thread(_stop_embedded)


async def ping(within: float = 2.0) -> bool:
    """True when the database answers a trivial query within the timeout."""
    try:
        async with asyncio.timeout(within):
            if DB.pool is not None:
                async with DB.pool.acquire() as conn:
                    await conn.fetchval("SELECT 1")
            else:
                await DB.run_ddl("SELECT 1")
        return True
    except Exception:  # any failure means "not healthy"; the reason is logged by the caller
        return False


@contextlib.asynccontextmanager
async def atomic() -> AsyncIterator[PostgresTransaction]:
    """A transaction, or a savepoint inside the current one, so that a service is all-or-nothing
    whether it is called alone or from inside another service's (or a test's) transaction."""
    current = DB.current_transaction.get()
    if current is None:
        async with DB.transaction() as transaction:
            yield transaction
        return
    savepoint = await current.savepoint()
    try:
        yield current
    except BaseException:
        await savepoint.rollback_to()
        raise
    else:
        await savepoint.release()


# --- the read replica (DATABASE_READ_URL) -----------------------------------------------------------


class ReadSource(Protocol):
    """A read replica as `reading()` needs it (schoolit.replica.ReadReplica)."""

    pool: asyncpg.Pool

    @property
    def replayed(self) -> int:
        """The replay position of the latest sample."""

    def refusal(self) -> str | None:
        """Why not to read there now (None: go ahead)."""

    def failed(self, exc: BaseException) -> None:
        """A read could not use it (it went away)."""

    def counted(self, target: str, reason: str) -> None:
        """One read-only request read from `target` ("replica" or "primary") for `reason`."""


_read_source: ReadSource | None = None


@contextlib.contextmanager
def read_source(source: ReadSource) -> Iterator[None]:
    """Let `reading()` use this replica while inside."""
    global _read_source
    _read_source = source
    try:
        yield
    finally:
        _read_source = None


def has_read_source() -> bool:
    return _read_source is not None


class _ReplicaTransaction(PostgresTransaction):
    """A read-only transaction on a replica connection, installed as the engine's current transaction:
    every query inside (Piccolo's and `schoolit.sql`'s alike) runs on it. One snapshot (REPEATABLE READ)
    for all of a page's queries."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(engine=DB)
        self.pool = pool

    async def __aenter__(self) -> _ReplicaTransaction:
        self.connection = await self.pool.acquire()
        try:
            self.transaction = self.connection.transaction(isolation="repeatable_read", readonly=True)
            await self.transaction.start()
        except BaseException:
            await self.pool.release(self.connection)
            raise
        self.context = DB.current_transaction.set(self)
        return self

    async def __aexit__(self, *exc_info: object) -> bool:
        DB.current_transaction.reset(self.context)
        try:
            with contextlib.suppress(*CONNECTION_ERRORS):  # a replica gone meanwhile has ended it anyway
                await self.transaction.rollback()  # it only read: nothing to commit
        finally:
            await self.pool.release(self.connection)
        return False


@contextlib.asynccontextmanager
async def reading(after: int | None = None) -> AsyncIterator[str]:
    """Run the queries inside on the read replica when there is one that answers, is a standby, is at most
    DATABASE_READ_MAX_LAG behind and (with `after`, a primary WAL position: the caller's own last write)
    has replayed that position; otherwise on the primary, like every other query. Yields where they run:
    "replica" or "primary". Only for code that writes nothing: the replica refuses writes.

    Inside a transaction (a service's, a test's) everything stays on that transaction's connection."""
    replica = _read_source
    if replica is None or DB.current_transaction.get() is not None:
        yield "primary"
        return
    refusal = replica.refusal()
    transaction = None
    if refusal is None:
        try:
            transaction = await _ReplicaTransaction(replica.pool).__aenter__()
            if after is not None and after > replica.replayed:
                replayed = await transaction.connection.fetchval("SELECT pg_last_wal_replay_lsn()")
                if replayed is None or replayed < after:
                    refusal = "own_write"
        except CONNECTION_ERRORS as exc:
            replica.failed(exc)
            refusal = "down"
        if refusal is not None and transaction is not None:
            await transaction.__aexit__(None, None, None)
    if refusal is not None:
        replica.counted("primary", refusal)
        yield "primary"
        return
    assert transaction is not None
    replica.counted("replica", "fresh")
    try:
        yield "replica"
    finally:
        await transaction.__aexit__(None, None, None)
