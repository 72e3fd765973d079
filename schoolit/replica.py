"""The read replica: `DATABASE_READ_URL` names a PostgreSQL streaming replica (hot standby) that
read-only pages may read from; everything else stays on the primary (`DATABASE_URL`).

- **Which routes**: a route declares that it only reads with the route opt `READ_ONLY` (on a handler or a
  controller: `opt = READ_ONLY`). Only its GET and HEAD requests are routed; the middleware
  (`read_routing_middleware_factory`) runs their handler inside `schoolit.db.reading()`, so services stay free of
  the request and simply run their queries on the source the caller chose.
- **How far behind**: a sampler (one task per worker, every `SAMPLE_INTERVAL`) reads the primary's WAL
  position (`pg_current_wal_lsn()`) and then the replica's replay position (`pg_last_wal_replay_lsn()`).
  The lag in bytes is their difference; the lag in seconds is how long ago the primary had written no
  more than what the replica has replayed (from the recorded positions, exact to one sampling interval),
  or the age of the last transaction the replica replayed if that is less — looked at only while the
  replica is behind, so an idle primary shows no lag (`now() - pg_last_xact_replay_timestamp()` alone
  grows without end when nothing is written).
  Both are on /metrics (`schoolit_replica_lag_seconds`, `schoolit_replica_lag_bytes`, `schoolit_replica_up`).
- **When not**: the replica is not used when it is down, not in recovery (promoted, or not a standby), not
  sampled recently, more than `DATABASE_READ_MAX_LAG` seconds behind, or has not yet replayed the caller's
  own last write: after every successful write request of a browser (not of bearer-token clients such as
  probes, which keep no cookies) the primary's WAL position goes into the `schoolit_wal` cookie, and a
  read-only page reads the replica only once it has replayed that position (checked in the page's own
  replica transaction). A page that fails on the replica (it went away, or
  replay cancelled its query: a recovery conflict) is answered once more from the primary.
  `schoolit_db_reads_total{target,reason}` counts the choices.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from schoolit import db, metrics, sql
from schoolit.db import CONNECTION_ERRORS
from schoolit.logs import get_logger
from schoolit.settings import Settings

READ_ONLY_OPT = "read_only"
# The route opt of a handler (or controller) that only reads and may read from the replica.
READ_ONLY: dict[str, Any] = {READ_ONLY_OPT: True}
SAMPLE_INTERVAL = 1.0
SAMPLE_TIMEOUT = 2.0
STALE_AFTER = 5.0  # a sample older than this (the sampler hangs or died) does not vouch for the replica
HISTORY_SECONDS = 3600.0
WAL_COOKIE = "schoolit_wal"
WAL_COOKIE_MAX_AGE = 3600
_WAL_VALUE = re.compile(r"^[0-9]{1,20}$")
SAFE_METHODS = frozenset({"GET", "HEAD"})

log = get_logger("schoolit.replica")
READS = metrics.counter("schoolit_db_reads_total",
                        "Requests of read-only routes by where they read (replica, primary) and why",
                        ("target", "reason"))

# asyncpg reads a pg_lsn as the int it is (a byte position in the WAL).
LSN_QUERY = "SELECT pg_current_wal_lsn() AS lsn"
REPLAY_QUERY = ("SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn() AS replayed, "
                "extract(epoch FROM now() - pg_last_xact_replay_timestamp()) AS since_replay")


async def primary_position() -> int:
    """The primary's current WAL position: how far a replica must have replayed to hold everything
    written so far."""
    return int((await sql.fetch(LSN_QUERY))[0]["lsn"])


@dataclass(frozen=True)
class Sample:
    """One look at primary and replica."""

    taken: float  # time.monotonic()
    up: bool
    standby: bool = False
    replayed: int = 0
    lag_bytes: int = 0
    lag_seconds: float = 0.0


class ReadReplica:
    """The replica's pool, its latest sample and the primary's recent WAL positions (for lag in seconds)."""

    def __init__(self, pool: asyncpg.Pool, max_lag: float) -> None:
        self.pool = pool
        self.max_lag = max_lag
        self.latest = Sample(taken=0.0, up=False)
        self._history: collections.deque[tuple[float, int]] = collections.deque()

    def lag_seconds(self, now: float, primary: int, replayed: int, since_replay: float | None) -> float:
        """How long ago the primary last stood where the replica's replay stands (0 when caught up).

        Two upper bounds, the smaller wins: the last sample in which the primary had written no more than
        the replica has now replayed; and the age of the last transaction the replica replayed (every
        transaction not yet replayed is younger), which is only looked at when the replica is behind,
        since on an idle primary it grows without any lag."""
        if replayed >= primary:
            return 0.0
        caught_up = next((taken for taken, position in reversed(self._history) if position <= replayed), None)
        bounds = [] if caught_up is None else [now - caught_up]
        if since_replay is not None and since_replay >= 0:
            bounds.append(since_replay)
        if not bounds:  # behind everything recorded since the start, and nothing replayed yet
            return now - (self._history[0][0] if self._history else now)
        return min(bounds)

    def _record(self, now: float, primary: int) -> None:
        """Keep when the primary was last seen at each position (a position seen again only moves in time)."""
        while self._history and self._history[0][0] < now - HISTORY_SECONDS:
            self._history.popleft()
        if self._history and self._history[-1][1] == primary:
            self._history.pop()
        self._history.append((now, primary))

    async def sample(self) -> Sample:
        """Measure now: the primary's position first, then the replica's (so caught up means caught up)."""
        now, previous = time.monotonic(), self.latest
        try:
            async with asyncio.timeout(SAMPLE_TIMEOUT):
                primary = await primary_position()
                async with self.pool.acquire() as conn:
                    row = await conn.fetchrow(REPLAY_QUERY)
        except CONNECTION_ERRORS as exc:
            if previous.up or not previous.taken:
                log.warning("read replica unreachable; pages read from the primary", error=repr(exc))
            self.latest = Sample(taken=now, up=False)
            return self.latest
        self._record(now, primary)
        if not row["standby"] or row["replayed"] is None:
            if previous.standby or not previous.taken:
                log.warning("DATABASE_READ_URL is not a standby in recovery; pages read from the primary")
            self.latest = Sample(taken=now, up=True)
            return self.latest
        replayed = int(row["replayed"])
        since = float(row["since_replay"]) if row["since_replay"] is not None else None
        self.latest = Sample(taken=now, up=True, standby=True, replayed=replayed,
                             lag_bytes=max(0, primary - replayed),
                             lag_seconds=self.lag_seconds(now, primary, replayed, since))
        if previous.taken and not previous.standby:
            log.info("read replica reachable again")
        return self.latest

    @property
    def replayed(self) -> int:
        return self.latest.replayed

    def counted(self, target: str, reason: str) -> None:
        READS.labels(target, reason).inc()

    def refusal(self) -> str | None:
        """Why a read must not go to the replica now (None: it may), from the latest sample."""
        latest = self.latest
        if not latest.up:
            return "down"
        if not latest.standby:
            return "not_standby"
        if time.monotonic() - latest.taken > STALE_AFTER:
            return "unsampled"
        if latest.lag_seconds > self.max_lag:
            return "lag"
        return None

    def failed(self, exc: BaseException) -> None:
        """A page could not use the replica: treat it as down until the next sample says otherwise."""
        log.warning("read replica failed; pages read from the primary", error=repr(exc))
        self.latest = Sample(taken=time.monotonic(), up=False)

    async def run(self) -> None:
        """Sample until cancelled."""
        while True:
            try:
                await self.sample()
            except Exception:  # a sampler that dies would leave the replica in use unmeasured
                log.exception("read replica sampling failed")
                self.latest = Sample(taken=time.monotonic(), up=False)
            await asyncio.sleep(SAMPLE_INTERVAL)


_current: ReadReplica | None = None


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[None]:
    """With DATABASE_READ_URL: a pool on the replica (connecting lazily, so a replica that is down does not
    keep the app from starting), its first sample, the sampler task, and `db.reading()` using it — inside
    `db.connected()`, whose pool the sampler reads the primary's position from."""
    global _current
    if not settings.database_read_url:
        yield
        return
    pool = await asyncpg.create_pool(dsn=settings.database_read_url, min_size=0, max_size=settings.db_pool_max,
                                     timeout=SAMPLE_TIMEOUT, reset=db.keep_session)
    replica = ReadReplica(pool, settings.database_read_max_lag)
    try:
        await replica.sample()
        task = asyncio.create_task(replica.run(), name="read-replica-sampler")
        try:
            with db.read_source(replica):
                _current = replica
                try:
                    yield
                finally:
                    _current = None
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await pool.close()


# --- metrics ---------------------------------------------------------------------------------------


@metrics.gauge_source("schoolit_replica_up", "1 when the read replica (DATABASE_READ_URL) answers as a standby")
async def _replica_up() -> metrics.Samples:
    replica = _current
    return [] if replica is None else [((), 1.0 if replica.latest.up and replica.latest.standby else 0.0)]


@metrics.gauge_source("schoolit_replica_lag_seconds",
                      "How far the read replica's replay is behind the primary's WAL, in seconds (0 when caught up)")
async def _replica_lag_seconds() -> metrics.Samples:
    replica = _current
    return [] if replica is None or not replica.latest.standby else [((), replica.latest.lag_seconds)]


@metrics.gauge_source("schoolit_replica_lag_bytes", "WAL the read replica has not yet replayed, in bytes")
async def _replica_lag_bytes() -> metrics.Samples:
    replica = _current
    return [] if replica is None or not replica.latest.standby else [((), float(replica.latest.lag_bytes))]


# --- routing ---------------------------------------------------------------------------------------


def _own_write(scope: Scope) -> int | None:
    """The primary's WAL position after the caller's last write (the cookie), if any."""
    value = ASGIConnection(scope).cookies.get(WAL_COOKIE)
    return int(value) if value and _WAL_VALUE.match(value) else None


def _bearer(scope: Scope) -> bool:
    """A request with a bearer token (API clients and probes keep no cookies: they get none)."""
    return ASGIConnection(scope).headers.get("authorization", "")[:7].lower() == "bearer "


def _read_only(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return scope.get("method") in SAFE_METHODS and handler is not None and bool(handler.opt.get(READ_ONLY_OPT))


def read_routing_middleware_factory(secure_cookies: bool) -> Callable[[ASGIApp], ASGIApp]:
    """Middleware: read-only routes read through `db.reading()`; successful writes leave their WAL position
    in a cookie. Does nothing without DATABASE_READ_URL."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def remember_write(scope: Scope, receive: Receive, send: Send) -> None:
            async def send_position(message: Message) -> None:
                if message["type"] == "http.response.start" and message["status"] < 400:
                    try:
                        position = await primary_position()
                    except CONNECTION_ERRORS as exc:  # the write is done; only the hint for later reads is lost
                        log.warning("could not read the primary's WAL position", error=repr(exc))
                    else:
                        MutableScopeHeaders.from_message(message).add("set-cookie", Cookie(
                            key=WAL_COOKIE, value=str(position), path="/", httponly=True, samesite="lax",
                            secure=secure_cookies, max_age=WAL_COOKIE_MAX_AGE).to_header(header=""))
                await send(message)

            await app(scope, receive, send_position)

        async def read(scope: Scope, receive: Receive, send: Send) -> None:
            retry = False

            async def send_unless_broken(message: Message) -> None:
                nonlocal retry
                if message["type"] == "http.response.start" and message["status"] >= 500:
                    # The replica went away during the page, or replay cancelled its query (a recovery
                    # conflict): the page is only read, so it is answered once more from the primary.
                    retry = True
                if not retry:
                    await send(message)

            async with db.reading(after=_own_write(scope)) as target:
                await app(scope, receive, send_unless_broken if target == "replica" else send)
            if retry:
                # Also how a route wrongly declared READ_ONLY shows itself: the replica refuses its write.
                log.warning("read-only page failed on the replica; answered from the primary",
                            route=scope.get("path_template") or "", method=scope.get("method"))
                READS.labels("primary", "broken").inc()
                await app(scope, receive, send)

        async def route(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or _current is None:
                await app(scope, receive, send)
            elif _read_only(scope):
                await read(scope, receive, send)
            elif scope.get("method") not in SAFE_METHODS and not _bearer(scope):
                await remember_write(scope, receive, send)
            else:
                await app(scope, receive, send)

        return route

    return middleware
