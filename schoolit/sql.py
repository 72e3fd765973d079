"""The one way to run raw SQL: `{}` placeholders, values bound as parameters.

`{}` is the placeholder of Piccolo's QueryString and WhereRaw too, so one style serves raw SQL and
Piccolo alike. A value may itself be a fragment (`fragment("t.county_id = ANY({})", ids)`, the
Scope's `where()`): its text and values are spliced in, numbered in order. A literal brace in SQL is
doubled (`'{{"a": 1}}'::jsonb`).

A statement runs on the current transaction's connection (`schoolit.db.atomic()`), else on one from
the pool for just that statement. `concurrently()` runs independent reads at once, each on a pool
connection of its own (one after another inside a transaction): a page waits for the database once
instead of once per statement. `session()` is the exception for what must outlive transactions —
session-level advisory locks (the scheduler): a connection of its own outside the pool, with the
same two methods. No other module acquires connections or writes `$1` placeholders
(tests/unit/test_one_way_to_query.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine, Iterable, Sequence
from functools import lru_cache
from string import Formatter
from typing import Any

import asyncpg
from piccolo.querystring import QueryString

from schoolit.db import DB

Fragment = QueryString


def fragment(text: str, *values: Any) -> Fragment:
    """A piece of SQL with its values, to be a value of a statement or of another fragment."""
    return QueryString(text, *values)


TRUE = fragment("TRUE")


def all_of(*parts: Fragment) -> Fragment:
    """The parts joined with AND (TRUE without any)."""
    if len(parts) <= 1:
        return parts[0] if parts else TRUE
    return QueryString(" AND ".join("({})" for _ in parts), *parts)


def _splice(text: str, values: Sequence[Any], args: list[Any], *, numbered: bool = True) -> str:
    """`text` with its `{}` numbered after `args` (which it extends), fragments spliced in; or, not
    `numbered`, with `{}` kept (and literal braces doubled again)."""
    pieces: list[str] = []
    used = 0
    for literal, field, spec, conversion in Formatter().parse(text):
        pieces.append(literal if numbered else literal.replace("{", "{{").replace("}", "}}"))
        if field is None:
            continue
        if field or spec or conversion:
            raise ValueError(f"only `{{}}` placeholders, not {{{field}}} in {text!r}")
        if used == len(values):
            raise ValueError(f"more placeholders than the {len(values)} values in {text!r}")
        value = values[used]
        used += 1
        if isinstance(value, QueryString):
            pieces.append(_splice(value.template, value.args, args, numbered=numbered))
        else:
            args.append(value)
            pieces.append(f"${len(args)}" if numbered else "{}")
    if used != len(values):
        raise ValueError(f"{len(values)} values for {used} placeholders in {text!r}")
    return "".join(pieces)


def flatten(part: Fragment) -> tuple[str, list[Any]]:
    """A fragment as one text with `{}` placeholders and its values in order (nested fragments inlined)."""
    args: list[Any] = []
    return _splice(part.template, part.args, args, numbered=False), args


@lru_cache(maxsize=2048)
def _numbered(text: str, count: int) -> str:
    return _splice(text, [None] * count, [])


def compile_sql(text: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """asyncpg's form of a statement: `$1, $2, …` in place of `{}`, fragments spliced in. Statements
    without fragments (the hot paths) are numbered once per text."""
    if any(isinstance(value, QueryString) for value in values):
        args: list[Any] = []
        return _splice(text, values, args), args
    return _numbered(text, len(values)), list(values)


async def _run(method: str, text: str, values: Sequence[Any]) -> Any:
    query, args = compile_sql(text, values)
    transaction = DB.current_transaction.get()
    if transaction is not None:
        return await getattr(transaction.connection, method)(query, *args)
    if DB.pool is not None:
        async with DB.pool.acquire() as connection:
            return await getattr(connection, method)(query, *args)
    connection = await DB.get_new_connection()
    try:
        return await getattr(connection, method)(query, *args)
    finally:
        await connection.close()


async def concurrently(*reads: Coroutine[Any, Any, Any]) -> list[Any]:
    """The results of independent reads (coroutines of `fetch` and the services built on it), in order.

    Outside a transaction they run at once, each statement on a pool connection of its own — one wait for
    the database instead of one per statement, which under a busy CPU is one wakeup that queues for a core
    instead of several (the pool's size bounds how many run; the rest wait for a connection). Inside a
    transaction (a service's, a test's, a page's on the read replica) they run one after another on its
    connection, which takes one statement at a time. The first failure cancels the others and is raised."""
    if DB.current_transaction.get() is not None or DB.pool is None:
        results: list[Any] = []
        try:
            for read in reads:
                results.append(await read)
        finally:
            for unstarted in reads[len(results) + 1:]:  # after a failure: closed, not left never awaited
                unstarted.close()
        return results
    tasks = [asyncio.ensure_future(read) for read in reads]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # their connections back in the pool first
        raise


async def fetch(text: str, *values: Any) -> list[dict[str, Any]]:
    """The rows of a statement, as dicts."""
    return [dict(row) for row in await _run("fetch", text, values)]


async def execute(text: str, *values: Any) -> str:
    """Run a statement for its effect; PostgreSQL's status line (`UPDATE 3`)."""
    return str(await _run("execute", text, values))


async def lock(name: str) -> None:
    """Wait for the transaction-level advisory lock on a name (PostgreSQL's `hashtext` of it), held until
    the current transaction ends: two transactions that lock the same name take turns."""
    await fetch("SELECT pg_advisory_xact_lock(hashtext({}))", name)


async def execute_many(text: str, rows: Iterable[Sequence[Any]]) -> None:
    """Run one statement once per row of values (no fragments among them), in one round trip."""
    rows = list(rows)
    if not rows:
        return
    query = _numbered(text, len(rows[0]))
    transaction = DB.current_transaction.get()
    if transaction is not None:
        await transaction.connection.executemany(query, rows)
        return
    assert DB.pool is not None, "the database pool is not open"
    async with DB.pool.acquire() as connection:
        await connection.executemany(query, rows)


def detach() -> None:
    """Leave the transaction this task inherited from whoever started it (a background task's own
    statements must not run in, say, a test's transaction)."""
    DB.current_transaction.set(None)


def _copying_connection() -> asyncpg.Connection:
    """The current transaction's connection: a COPY belongs into the caller's transaction."""
    transaction = DB.current_transaction.get()
    assert transaction is not None, "COPY belongs into the caller's transaction (schoolit.db.atomic)"
    return transaction.connection


async def copy_records(table: str, records: Sequence[Sequence[Any]], columns: Sequence[str]) -> None:
    """COPY rows into a table, in the current transaction (bulk inserts: the probes' samples)."""
    await _copying_connection().copy_records_to_table(table, records=records, columns=columns)


async def copy_in(table: str, data: bytes, columns: Sequence[str] | None = None) -> None:
    """A binary COPY (`data`, as PostgreSQL writes it, see `schoolit.binary_copy`) into a table (into `columns`
    of it, or all), in the current transaction."""
    async def whole() -> AsyncIterator[bytes]:  # bytes alone would be taken for a file's path
        yield data

    await _copying_connection().copy_to_table(table, source=whole(), columns=columns, format="binary")


class Session:
    """A connection of its own (see `session()`), with the module's placeholder style."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def fetch(self, text: str, *values: Any) -> list[dict[str, Any]]:
        query, args = compile_sql(text, values)
        return [dict(row) for row in await self._connection.fetch(query, *args)]

    async def execute(self, text: str, *values: Any) -> str:
        query, args = compile_sql(text, values)
        return str(await self._connection.execute(query, *args))


@contextlib.asynccontextmanager
async def session() -> AsyncIterator[Session]:
    """A connection outside the pool and outside any transaction, closed on exit: for session-level
    advisory locks held while the work itself runs on the pool (the scheduler's jobs)."""
    connection: asyncpg.Connection = await asyncpg.connect(dsn=DB.config["dsn"])
    try:
        yield Session(connection)
    finally:
        await connection.close()
