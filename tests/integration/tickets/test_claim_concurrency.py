"""Many claimers at once never get the same ticket. This needs rows other connections can see, so
the fixture commits its own county, school, supporter and tickets (outside the test's rolled-back
transaction, in a fresh context) and deletes them afterwards."""

from __future__ import annotations

import asyncio
import contextvars
import secrets
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

import pytest

from schoolit.accounts.choices import ActorKind, Role
from schoolit.accounts.scope import Actor, Scope
from schoolit.db import atomic
from schoolit.sql import fetch
from schoolit.tickets import queue, services
from tests.integration.tickets.world import category_id

T = TypeVar("T")
TICKETS = 40
CLAIMERS = 8


async def outside(coro: Awaitable[T]) -> T:
    """Run on a connection of its own: a task with an empty context sees no open test transaction."""
    return await asyncio.create_task(coro, context=contextvars.Context())  # type: ignore[arg-type]


async def _create() -> dict[str, Any]:
    suffix = secrets.token_hex(3)
    async with atomic():
        county = (await fetch("INSERT INTO county (name, slug, state, ags, seat, created_at) VALUES ({}, {}, 'RP', "
                              "{}, '', now()) RETURNING id", f"Parallelkreis {suffix}", f"parallel-{suffix}",
                              str(secrets.randbelow(90000) + 10000)))[0]["id"]
        school = (await fetch("INSERT INTO school (county_id, school_number, name, school_type, street, postal_code, "
                              "city, pupils, created_at, updated_at) VALUES ({}, {}, 'Parallelschule', 'igs', '', "
                              "'', '', 100, now(), now()) RETURNING id", county,
                              str(secrets.randbelow(90000) + 10000)))[0]["id"]
        users = [(await fetch("INSERT INTO app_user (email, display_name, role, county_id, active, created_at, "
                              "updated_at) VALUES ({}, {}, 'supporter', {}, true, now(), now()) RETURNING id",
                              f"claimer{i}-{suffix}@test.example", f"Claimer {i}", county))[0]["id"]
                 for i in range(CLAIMERS)]
    system = Scope.system("test")
    wlan = await category_id()
    for i in range(TICKETS):
        await services.create_ticket(system, services.NewTicket(
            school_id=school, category_id=wlan, subject=f"Störung {i}", urgency=("low", "medium", "high")[i % 3]))
    return {"county": county, "school": school, "users": users}


async def _delete(made: dict[str, Any]) -> None:
    async with atomic():
        await fetch("DELETE FROM ticket WHERE county_id = {}", made["county"])
        await fetch("DELETE FROM app_user WHERE id = ANY({})", made["users"])
        await fetch("DELETE FROM school WHERE id = {}", made["school"])
        await fetch("DELETE FROM county WHERE id = {}", made["county"])


@pytest.fixture
async def committed_queue(database: str) -> AsyncIterator[dict[str, Any]]:
    made = await outside(_create())
    try:
        yield made
    finally:
        await outside(_delete(made))


async def test_parallel_claims_never_return_the_same_ticket(committed_queue: dict[str, Any]) -> None:
    county = committed_queue["county"]

    async def claimer(user_id: int) -> list[int]:
        scope = Scope(role=Role.SUPPORTER, actor=Actor(ActorKind.USER, user_id, f"claimer {user_id}"),
                      county_ids=frozenset({county}))
        mine = []
        while (claimed := await queue.claim_next(scope)) is not None:
            mine.append(claimed["id"])
        return mine

    results = await asyncio.gather(*(outside(claimer(user)) for user in committed_queue["users"]))
    claimed = [ticket for mine in results for ticket in mine]
    assert len(claimed) == TICKETS
    assert len(set(claimed)) == TICKETS  # nobody got a ticket twice
    assert sum(1 for mine in results if mine) > 1  # the claimers really ran side by side
    rows = await outside(fetch("SELECT assignee_id, status, priority FROM ticket WHERE county_id = {} ORDER BY id",
                               county))
    assert {r["status"] for r in rows} == {"assigned"}
    assert all(r["assignee_id"] in committed_queue["users"] for r in rows)
    # The first claims took the most urgent tickets.
    first_round = [mine[0] for mine in results if mine]
    priorities = {r["priority"] for r in await outside(fetch(
        "SELECT priority FROM ticket WHERE id = ANY({})", first_round))}
    assert min(priorities) == 2
