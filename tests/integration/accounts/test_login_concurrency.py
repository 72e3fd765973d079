"""25 wrong logins at once for one account and address: at most 5 are evaluated (the password
checked), the rest answer 429. The requests run side by side on connections of their own, so the
account is committed outside the test's rolled-back transaction and deleted afterwards."""

from __future__ import annotations

import asyncio
import contextvars
import re
import secrets
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

import httpx
import pytest

from schoolit.accounts.sessions import LOGIN_MAX_FAILURES
from schoolit.sql import fetch
from tests.integration.world import password_hash

T = TypeVar("T")
PARALLEL = 25


async def outside(coro: Awaitable[T]) -> T:
    """Run on a connection of its own: a task with an empty context sees no open test transaction."""
    return await asyncio.create_task(coro, context=contextvars.Context())  # type: ignore[arg-type]


@pytest.fixture
async def committed_user(database: str) -> AsyncIterator[str]:
    email = f"parallel-{secrets.token_hex(4)}@test.example"
    rows = await outside(fetch("INSERT INTO app_user (email, display_name, role, active, password_hash, created_at, "
                               "updated_at) VALUES ({}, 'Parallel', 'admin', true, {}, now(), now()) RETURNING id",
                               email, password_hash()))
    try:
        yield email
    finally:
        await outside(fetch("DELETE FROM login_failure WHERE email = {}", email))
        await outside(fetch("DELETE FROM app_user WHERE id = {}", rows[0]["id"]))


async def test_parallel_wrong_logins_evaluate_at_most_five(client: httpx.AsyncClient, committed_user: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token

    async def attempt() -> int:
        response = await client.post("/login", data={"email": committed_user, "password": "wrong password",
                                                      "_csrf_token": token.group(1)})
        return response.status_code

    statuses = await asyncio.gather(*(outside(attempt()) for _ in range(PARALLEL)))
    assert sorted(set(statuses)) == [401, 429]
    assert statuses.count(401) == LOGIN_MAX_FAILURES
    assert statuses.count(429) == PARALLEL - LOGIN_MAX_FAILURES
    # Every evaluated attempt (password verified) leaves one login.failure in the audit log.
    evaluated = await outside(fetch("SELECT action, count(*) AS n FROM audit_log WHERE actor_label = {} "
                                    "GROUP BY action", committed_user))
    assert {row["action"]: row["n"] for row in evaluated} == {
        "login.failure": LOGIN_MAX_FAILURES, "login.throttled": PARALLEL - LOGIN_MAX_FAILURES}
