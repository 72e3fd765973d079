"""Integration tests: each test runs in a transaction rolled back at teardown, so tests never see
each other's rows. Services that open their own transaction get a savepoint inside it
(`schoolit.db.atomic`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from piccolo.engine.postgres import PostgresTransaction

from schoolit.db import DB
from tests.integration.world import World, build_world


@pytest.fixture(autouse=True)
async def transaction(database: str) -> AsyncIterator[PostgresTransaction]:
    async with DB.transaction() as txn:
        yield txn
        await txn.rollback()


@pytest.fixture
async def world(transaction: PostgresTransaction) -> World:
    return await build_world()
