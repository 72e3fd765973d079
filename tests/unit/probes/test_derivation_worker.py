"""The derivation worker's schedule (the passes themselves are tested against PostgreSQL)."""

from __future__ import annotations

import asyncio
from typing import Any

from schoolit.probes.derivation import GATHER_SECONDS, Derived, run_worker


async def test_after_a_wake_up_the_worker_waits_for_the_batches_in_flight() -> None:
    loop = asyncio.get_running_loop()
    rounds: list[float] = []

    async def derive(**_: Any) -> Derived:
        rounds.append(loop.time())
        return Derived()

    stop, wakeup = asyncio.Event(), asyncio.Event()
    worker = asyncio.create_task(run_worker(stop, wakeup, every=60, derive=derive))
    await asyncio.sleep(GATHER_SECONDS / 10)
    assert len(rounds) == 1  # at start, at once
    woken = loop.time()
    wakeup.set()
    await asyncio.sleep(GATHER_SECONDS / 2)
    assert len(rounds) == 1  # batches stored meanwhile join the next pass
    await asyncio.sleep(GATHER_SECONDS)
    assert len(rounds) == 2 and rounds[1] - woken >= GATHER_SECONDS
    stop.set()
    wakeup.set()
    await asyncio.wait_for(worker, timeout=5)
    assert len(rounds) == 2  # stopping derives nothing more


async def test_without_wake_ups_the_worker_derives_on_its_timer() -> None:
    rounds = 0

    async def derive(**_: Any) -> Derived:
        nonlocal rounds
        rounds += 1
        return Derived()

    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(stop, asyncio.Event(), every=0.05, derive=derive))
    await asyncio.sleep(0.28)
    stop.set()
    await asyncio.wait_for(worker, timeout=5)
    assert rounds >= 3
