"""The derivation worker's schedule (the passes themselves are tested against PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
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


async def test_batches_stored_during_a_pass_are_derived_right_after_it() -> None:
    """Under steady ingest batches arrive while a pass runs: they have gathered already, so the next pass
    starts at once instead of after another gathering wait."""
    loop = asyncio.get_running_loop()
    stop, wakeup, second = asyncio.Event(), asyncio.Event(), asyncio.Event()
    rounds: list[tuple[float, float]] = []

    async def derive(**_: Any) -> Derived:
        started = loop.time()
        if len(rounds) == 0:
            wakeup.set()  # a batch stored while the first pass runs
        await asyncio.sleep(0.01)
        rounds.append((started, loop.time()))
        if len(rounds) == 2:
            second.set()
        return Derived()

    worker = asyncio.create_task(run_worker(stop, wakeup, every=60, derive=derive))
    await asyncio.wait_for(second.wait(), timeout=5)
    stop.set()
    wakeup.set()
    await asyncio.wait_for(worker, timeout=5)
    assert rounds[1][0] - rounds[0][1] < GATHER_SECONDS / 2


async def test_a_failing_pass_does_not_spin() -> None:
    """A pass that fails with batches waiting waits for the next wake-up (or the timer), not at once."""
    stop, wakeup = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    started: list[float] = []

    async def derive(**_: Any) -> Derived:
        started.append(loop.time())
        if len(started) == 3:
            stop.set()
        wakeup.set()
        await asyncio.sleep(0)  # a worker that spun would still let this test's clock run, and fail, not hang
        raise RuntimeError("database gone")

    worker = asyncio.create_task(run_worker(stop, wakeup, every=60, derive=derive))
    await asyncio.wait_for(worker, timeout=10)
    # Each failed pass is followed by the gathering wait before the next one, however slow the machine.
    gaps = [later - earlier for earlier, later in itertools.pairwise(started)]
    assert len(started) == 3
    assert min(gaps) >= GATHER_SECONDS * 0.9
