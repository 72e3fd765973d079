"""Throttles kept in PostgreSQL: N attempts per key in a sliding window, whatever the parallelism.

A limit only holds under concurrency when counting and recording an attempt are one step: a
transaction-level advisory lock per key makes every other attempt with the same key wait until this
one has recorded itself (or been refused). The lock lives in the database, so the limit holds across
worker processes and hosts. Used by the login (failures per account and address), the public fault
form and the tracking page's replies (attempts per address).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Awaitable, Callable

from schoolit.db import atomic
from schoolit.sql import fetch


def retry_after(oldest: dt.datetime, window: dt.timedelta, moment: dt.datetime) -> int:
    """Seconds until the oldest counted attempt leaves the window (at least 1)."""
    return max(1, math.ceil((oldest + window - moment).total_seconds()))


async def admit(key: str, *, limit: int, window: dt.timedelta, moment: dt.datetime,
                recent: Callable[[dt.datetime], Awaitable[list[dt.datetime]]],
                record: Callable[[], Awaitable[object]]) -> int | None:
    """Count this attempt against `key`: None when admitted (then `record()` has run, in the same
    transaction as the count), otherwise the seconds to wait. `recent(since)` lists the attempt
    times already counted in the window, oldest first."""
    async with atomic():
        await fetch("SELECT pg_advisory_xact_lock(hashtextextended({}, 0))", key)
        times = await recent(moment - window)
        if len(times) >= limit:
            return retry_after(times[-limit], window, moment)
        await record()
    return None
