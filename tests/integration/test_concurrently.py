"""`schoolit.sql.concurrently`: independent reads at once on connections of their own outside a transaction,
one after another on the transaction's connection inside one; the first failure is raised."""

from __future__ import annotations

import asyncpg
import pytest

from schoolit.sql import concurrently, detach, fetch

HOLD = "SELECT pg_backend_pid() AS pid, pg_sleep(0.2) IS NULL AS held"  # in flight long enough to overlap


async def test_outside_a_transaction_the_reads_run_at_once_each_on_its_own_connection() -> None:
    detach()  # this test's task leaves the test's transaction: its reads go to the pool
    first, second, third = await concurrently(fetch(HOLD), fetch(HOLD), fetch("SELECT 3 AS n"))
    assert first[0]["pid"] != second[0]["pid"]  # both in flight together: two connections
    assert third == [{"n": 3}]  # results in the order given


async def test_inside_a_transaction_they_take_turns_on_its_connection() -> None:
    first, second = await concurrently(fetch(HOLD), fetch(HOLD))
    own = await fetch("SELECT pg_backend_pid() AS pid")
    assert first[0]["pid"] == second[0]["pid"] == own[0]["pid"]


async def test_the_first_failure_is_raised_and_the_others_end() -> None:
    detach()
    with pytest.raises(asyncpg.DivisionByZeroError):
        await concurrently(fetch("SELECT pg_sleep(30)"), fetch("SELECT 1 / 0 AS n"))
    assert await fetch("SELECT 1 AS n") == [{"n": 1}]
