"""Derivation: from stored batches to reboots and rates, the state per asset, rollups and outages.

Ingest only stores batches (`schoolit.probes.ingest`). Everything that follows from the samples is
derived here, afterwards, over every batch stored since the last pass at once — one set-based pass
in PostgreSQL amortises the state and rollup upserts over many batches. A pass:

- takes the batches not derived yet (`probe_ingest_batch.derived_at IS NULL`) in id order, up to a
  bound, under a transaction-level advisory lock, so exactly one process derives at a time however
  many server workers run;
- copies their samples into a session-local staging table, derives per sample whether it is a
  straggler, a reboot, and its counter rates (window functions), merges the hourly and daily
  rollups by addition and writes the state per asset;
- marks those batches derived in the same transaction: a crash loses nothing and counts nothing
  twice, the next pass simply starts where the last committed one ended;
- then looks for outages at the schools it touched (`schoolit.probes.outages`), with the scope of
  the probe that sent the samples.

The result is the one processing batch by batch would give, in the order the batches are derived:
a sample is a straggler when it is not newer than the asset's state and than every sample of the
asset in an earlier batch of the pass; the samples that do move the state are then in time order
across the pass, so the lag windows continue where the state left off. The rules are those of the
reference model in tests/unit/probes/model.py, and a randomized test holds the two to the same
answers over random batch splits and random groupings of batches into passes:

- rates come from counter deltas over the device's own sysUpTime delta, only between two consecutive
  answered polls; a counter going back (interface reset) or an implausible rate gives no rate;
- a sysUpTime below the last one is a reboot, unless it is the 2^32 wrap (~497 days) — told apart
  by comparing the wrapped difference with the time that really passed;
- a straggler is stored and counted in rollups, but does not move the state.

In the server a lifespan task derives after each stored batch and on a short timer; tests and the
`schoolit maintenance derive` command call `derive_pending()`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from schoolit.accounts.services import scope_for_probe
from schoolit.db import atomic, fetch
from schoolit.logs import get_logger
from schoolit.probes import outages

log = get_logger("schoolit.probes")

MAX_PLAUSIBLE_MBPS = 400_000  # nothing a school connects to is faster; more means garbage
MAX_SAMPLES_PER_PASS = 500_000  # bounds one transaction when a large backlog waits (after an outage)
RETRY_SECONDS = 2.0  # the timer behind the wake-ups: another process held the lock, or a wake-up was lost
DERIVATION_LOCK = 0x5C4_0D_E71  # pg advisory lock key of the derivation (any constant the project uses once)

_INCOMING = """
CREATE TEMP TABLE IF NOT EXISTS probe_incoming (
    batch_id bigint NOT NULL, probe_id integer NOT NULL, polled_at timestamptz NOT NULL, asset_kind smallint NOT NULL,
    asset_id integer NOT NULL, county_id integer NOT NULL, school_id integer NOT NULL, reachable boolean NOT NULL,
    uptime_ticks bigint, clients integer, radio_up boolean, in_octets numeric(20, 0), out_octets numeric(20, 0),
    if_speed_mbps integer, down_mbps integer, up_mbps integer
) ON COMMIT DELETE ROWS
"""
_DERIVED = """
CREATE TEMP TABLE IF NOT EXISTS probe_derived (
    polled_at timestamptz NOT NULL, asset_kind smallint NOT NULL, asset_id integer NOT NULL, probe_id integer NOT NULL,
    county_id integer NOT NULL, school_id integer NOT NULL, reachable boolean NOT NULL, straggler boolean NOT NULL,
    uptime_ticks bigint, clients integer, radio_up boolean, in_octets numeric(20, 0), out_octets numeric(20, 0),
    rebooted boolean NOT NULL, in_mbps double precision, out_mbps double precision, utilisation double precision
) ON COMMIT DELETE ROWS
"""

# The samples of the pass's batches, with the asset's school and (uplinks) contracted rates. The BRIN
# index on batch_id narrows the scan to the pages of these batches; the id list keeps out a batch that
# committed meanwhile inside the id range.
_GATHER = """
INSERT INTO probe_incoming
SELECT s.batch_id, s.probe_id, s.polled_at, s.asset_kind, s.asset_id, s.county_id, a.school_id, s.reachable,
       s.uptime_ticks, s.clients, s.radio_up, s.in_octets, s.out_octets, s.if_speed_mbps, a.down_mbps, a.up_mbps
  FROM probe_sample s
  JOIN (SELECT 1::smallint AS kind, id, school_id, NULL::integer AS down_mbps, NULL::integer AS up_mbps
          FROM access_point
        UNION ALL
        SELECT 2::smallint, id, school_id, down_mbps, up_mbps FROM uplink) a
    ON a.kind = s.asset_kind AND a.id = s.asset_id
 WHERE s.batch_id BETWEEN $1 AND $2 AND s.batch_id = ANY($3::bigint[])
"""

# Per sample: is it a straggler, did the device reboot, and the rate since the previous answered poll.
_DERIVE = f"""
INSERT INTO probe_derived
WITH fresh AS (
    SELECT i.*, s.reachable AS s_reachable, s.uptime_ticks AS s_uptime, s.last_up_at AS s_last_up_at,
           s.in_octets AS s_in, s.out_octets AS s_out,
           -- not newer than the state, nor than the asset's samples in the pass's earlier batches
           coalesce(i.polled_at <= greatest(s.last_polled_at, max(i.polled_at) OVER earlier), false) AS straggler
      FROM probe_incoming i
      LEFT JOIN probe_asset_state s ON s.asset_kind = i.asset_kind AND s.asset_id = i.asset_id
    WINDOW earlier AS (PARTITION BY i.asset_kind, i.asset_id ORDER BY i.batch_id
                       RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
), ordered AS (
    SELECT f.*, CASE WHEN row_number() OVER w = 1 THEN f.s_reachable ELSE lag(f.reachable) OVER w END
                AS prev_reachable
      FROM fresh f WHERE NOT f.straggler
    WINDOW w AS (PARTITION BY f.asset_kind, f.asset_id ORDER BY f.polled_at)
), answered AS (
    SELECT o.*,
           CASE WHEN row_number() OVER w = 1 THEN o.s_uptime ELSE lag(o.uptime_ticks) OVER w END AS p_uptime,
           CASE WHEN row_number() OVER w = 1 THEN o.s_last_up_at ELSE lag(o.polled_at) OVER w END AS p_up_at,
           CASE WHEN row_number() OVER w = 1 THEN o.s_in ELSE lag(o.in_octets) OVER w END AS p_in,
           CASE WHEN row_number() OVER w = 1 THEN o.s_out ELSE lag(o.out_octets) OVER w END AS p_out
      FROM ordered o WHERE o.reachable
    WINDOW w AS (PARTITION BY o.asset_kind, o.asset_id ORDER BY o.polled_at)
), ticks AS (
    SELECT a.*,
           CASE WHEN a.p_uptime IS NULL OR a.uptime_ticks IS NULL THEN NULL
                WHEN a.uptime_ticks >= a.p_uptime THEN a.uptime_ticks - a.p_uptime
                WHEN abs((a.uptime_ticks + 4294967296 - a.p_uptime) / 100.0 - a.wall) <= greatest(60, a.wall * 0.1)
                THEN a.uptime_ticks + 4294967296 - a.p_uptime
                ELSE -1  -- went back without wrapping: a reboot
           END AS elapsed
      FROM (SELECT x.*, extract(epoch FROM x.polled_at - x.p_up_at) AS wall FROM answered x) a
), rates AS (
    SELECT t.*,
           CASE WHEN t.elapsed > 0 AND t.prev_reachable AND t.in_octets >= t.p_in AND t.out_octets >= t.p_out
                THEN ((t.in_octets - t.p_in) * 8 / (t.elapsed / 100.0) / 1e6)::double precision END AS in_raw,
           CASE WHEN t.elapsed > 0 AND t.prev_reachable AND t.in_octets >= t.p_in AND t.out_octets >= t.p_out
                THEN ((t.out_octets - t.p_out) * 8 / (t.elapsed / 100.0) / 1e6)::double precision END AS out_raw,
           least({MAX_PLAUSIBLE_MBPS}, coalesce(nullif(t.if_speed_mbps, 0) * 1.05, {MAX_PLAUSIBLE_MBPS})) AS ceiling
      FROM ticks t
), plausible AS (
    SELECT r.asset_kind, r.asset_id, r.polled_at, coalesce(r.elapsed = -1, false) AS rebooted,
           CASE WHEN r.in_raw <= r.ceiling AND r.out_raw <= r.ceiling THEN r.in_raw END AS in_mbps,
           CASE WHEN r.in_raw <= r.ceiling AND r.out_raw <= r.ceiling THEN r.out_raw END AS out_mbps,
           r.down_mbps, r.up_mbps
      FROM rates r
)
SELECT f.polled_at, f.asset_kind, f.asset_id, f.probe_id, f.county_id, f.school_id, f.reachable, f.straggler,
       f.uptime_ticks, f.clients, f.radio_up, f.in_octets, f.out_octets, coalesce(p.rebooted, false), p.in_mbps,
       p.out_mbps,
       CASE WHEN p.in_mbps IS NOT NULL AND p.down_mbps > 0 AND p.up_mbps > 0
            THEN greatest(p.in_mbps / p.down_mbps, p.out_mbps / p.up_mbps) END
  FROM fresh f
  LEFT JOIN plausible p ON p.asset_kind = f.asset_kind AND p.asset_id = f.asset_id AND p.polled_at = f.polled_at
"""  # noqa: S608 (only constants are formatted in)

# Aggregates merge by addition (sums and counts) or GREATEST (maxima), so any split into batches
# or passes gives the same rollup.
_ROLLUP = """
INSERT INTO {table} AS r (asset_kind, asset_id, {period}, county_id, school_id, samples, up_samples, clients_sum,
                          clients_max, rate_samples, in_mbps_sum, out_mbps_sum, in_mbps_max, out_mbps_max,
                          utilisation_max)
SELECT asset_kind, asset_id, {bucket}, county_id, school_id, count(*), count(*) FILTER (WHERE reachable),
       coalesce(sum(clients) FILTER (WHERE reachable), 0), max(clients) FILTER (WHERE reachable),
       count(in_mbps), coalesce(sum(in_mbps), 0), coalesce(sum(out_mbps), 0), max(in_mbps), max(out_mbps),
       max(utilisation)
  FROM probe_derived GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (asset_kind, asset_id, {period}) DO UPDATE SET
    samples = r.samples + EXCLUDED.samples, up_samples = r.up_samples + EXCLUDED.up_samples,
    clients_sum = r.clients_sum + EXCLUDED.clients_sum,
    clients_max = GREATEST(r.clients_max, EXCLUDED.clients_max),
    rate_samples = r.rate_samples + EXCLUDED.rate_samples, in_mbps_sum = r.in_mbps_sum + EXCLUDED.in_mbps_sum,
    out_mbps_sum = r.out_mbps_sum + EXCLUDED.out_mbps_sum,
    in_mbps_max = GREATEST(r.in_mbps_max, EXCLUDED.in_mbps_max),
    out_mbps_max = GREATEST(r.out_mbps_max, EXCLUDED.out_mbps_max),
    utilisation_max = GREATEST(r.utilisation_max, EXCLUDED.utilisation_max)
"""

# The state after the pass: the last sample decides up or down; while down, the figures of the last
# answered poll stay (from this pass, or from before it). The probe is the one of the last sample.
_STATE = """
WITH marked AS (
    SELECT d.*, max(d.polled_at) FILTER (WHERE d.reachable) OVER (PARTITION BY d.asset_kind, d.asset_id) AS last_up
      FROM probe_derived d WHERE NOT d.straggler
), per AS (
    SELECT asset_kind, asset_id, county_id, school_id, max(polled_at) AS last_at, max(last_up) AS last_up,
           (array_agg(probe_id ORDER BY polled_at DESC))[1] AS probe_id,
           (array_agg(reachable ORDER BY polled_at DESC))[1] AS reachable,
           (array_agg(in_mbps ORDER BY polled_at DESC))[1] AS in_mbps,
           (array_agg(out_mbps ORDER BY polled_at DESC))[1] AS out_mbps,
           (array_agg(utilisation ORDER BY polled_at DESC))[1] AS utilisation,
           count(*) FILTER (WHERE NOT reachable AND (last_up IS NULL OR polled_at > last_up)) AS trailing,
           min(polled_at) FILTER (WHERE NOT reachable AND (last_up IS NULL OR polled_at > last_up)) AS first_down,
           count(*) FILTER (WHERE rebooted) AS reboots, max(polled_at) FILTER (WHERE rebooted) AS last_reboot,
           count(*) FILTER (WHERE reachable) AS answered,
           (array_agg(uptime_ticks ORDER BY polled_at DESC) FILTER (WHERE reachable))[1] AS a_uptime,
           (array_agg(clients ORDER BY polled_at DESC) FILTER (WHERE reachable))[1] AS a_clients,
           (array_agg(radio_up ORDER BY polled_at DESC) FILTER (WHERE reachable))[1] AS a_radio_up,
           (array_agg(in_octets ORDER BY polled_at DESC) FILTER (WHERE reachable))[1] AS a_in,
           (array_agg(out_octets ORDER BY polled_at DESC) FILTER (WHERE reachable))[1] AS a_out
      FROM marked GROUP BY asset_kind, asset_id, county_id, school_id
)
INSERT INTO probe_asset_state (asset_kind, asset_id, county_id, school_id, probe_id, last_polled_at, reachable,
                               consecutive_failures, down_since, last_up_at, uptime_ticks, reboots, last_reboot_at,
                               clients, radio_up, in_octets, out_octets, in_mbps, out_mbps, utilisation, updated_at)
SELECT p.asset_kind, p.asset_id, p.county_id, p.school_id, p.probe_id, p.last_at, p.reachable,
       CASE WHEN p.reachable THEN 0
            ELSE p.trailing + CASE WHEN p.last_up IS NULL THEN coalesce(s.consecutive_failures, 0) ELSE 0 END
       END,
       CASE WHEN p.reachable THEN NULL WHEN p.last_up IS NULL THEN coalesce(s.down_since, p.first_down)
            ELSE p.first_down END,
       coalesce(p.last_up, s.last_up_at),
       CASE WHEN p.answered = 0 THEN s.uptime_ticks ELSE p.a_uptime END,
       coalesce(s.reboots, 0) + p.reboots,
       coalesce(p.last_reboot, s.last_reboot_at),
       CASE WHEN p.answered = 0 THEN s.clients ELSE p.a_clients END,
       CASE WHEN p.answered = 0 THEN s.radio_up ELSE p.a_radio_up END,
       CASE WHEN p.answered = 0 THEN s.in_octets ELSE p.a_in END,
       CASE WHEN p.answered = 0 THEN s.out_octets ELSE p.a_out END,
       CASE WHEN p.reachable THEN p.in_mbps END, CASE WHEN p.reachable THEN p.out_mbps END,
       CASE WHEN p.reachable THEN p.utilisation END, now()
  FROM per p
  LEFT JOIN probe_asset_state s ON s.asset_kind = p.asset_kind AND s.asset_id = p.asset_id
ON CONFLICT (asset_kind, asset_id) DO UPDATE SET
    county_id = EXCLUDED.county_id, school_id = EXCLUDED.school_id, probe_id = EXCLUDED.probe_id,
    last_polled_at = EXCLUDED.last_polled_at, reachable = EXCLUDED.reachable,
    consecutive_failures = EXCLUDED.consecutive_failures, down_since = EXCLUDED.down_since,
    last_up_at = EXCLUDED.last_up_at, uptime_ticks = EXCLUDED.uptime_ticks, reboots = EXCLUDED.reboots,
    last_reboot_at = EXCLUDED.last_reboot_at, clients = EXCLUDED.clients, radio_up = EXCLUDED.radio_up,
    in_octets = EXCLUDED.in_octets, out_octets = EXCLUDED.out_octets, in_mbps = EXCLUDED.in_mbps,
    out_mbps = EXCLUDED.out_mbps, utilisation = EXCLUDED.utilisation, updated_at = now()
"""


@dataclass
class Derived:
    """What derivation took in: batches and samples; `busy` when another process held the lock."""

    batches: int = 0
    samples: int = 0
    busy: bool = False


def _take(pending: list[Any], limit: int) -> list[int]:
    """Batch ids in order, as many as fit in `limit` samples (at least one)."""
    taken: list[int] = []
    total = 0
    for row in pending:
        if taken and total + row["samples"] > limit:
            break
        taken.append(row["id"])
        total += row["samples"]
    return taken


async def _derive_pass(*, wait: bool, limit: int) -> tuple[Derived, dict[int, set[int]]] | None:
    """One pass in one transaction; None when another process derives right now (and `wait` is off).

    Returns what was derived and, per probe, the schools its samples were about."""
    async with atomic() as transaction:
        connection = transaction.connection
        if wait:
            await connection.execute("SELECT pg_advisory_xact_lock($1)", DERIVATION_LOCK)
        elif not await connection.fetchval("SELECT pg_try_advisory_xact_lock($1)", DERIVATION_LOCK):
            return None
        pending = await connection.fetch("SELECT id, samples FROM probe_ingest_batch WHERE derived_at IS NULL "
                                         "ORDER BY id LIMIT 10000")
        batch_ids = _take(pending, limit)
        if not batch_ids:
            return Derived(), {}
        await connection.execute(_INCOMING)
        await connection.execute(_DERIVED)
        # Session-local tables outlive one pass when a caller's transaction spans several.
        await connection.execute("TRUNCATE probe_incoming, probe_derived")
        await connection.execute(_GATHER, batch_ids[0], batch_ids[-1], batch_ids)
        await connection.execute("ANALYZE probe_incoming")  # fresh statistics: the planner's joins depend on them
        await connection.execute(_DERIVE)
        await connection.execute("ANALYZE probe_derived")
        await connection.execute(_ROLLUP.format(table="probe_rollup_hourly", period="hour",
                                                bucket="date_trunc('hour', polled_at, 'UTC')"))
        await connection.execute(_ROLLUP.format(table="probe_rollup_daily", period="day",
                                                bucket="(polled_at AT TIME ZONE 'Europe/Berlin')::date"))
        await connection.execute(_STATE)
        touched: dict[int, set[int]] = defaultdict(set)
        for row in await connection.fetch("SELECT DISTINCT probe_id, school_id FROM probe_incoming"):
            touched[row["probe_id"]].add(row["school_id"])
        samples = await connection.fetchval(
            "WITH done AS (UPDATE probe_ingest_batch SET derived_at = now() WHERE id = ANY($1::bigint[]) "
            "RETURNING samples) SELECT coalesce(sum(samples), 0) FROM done", batch_ids)
    return Derived(batches=len(batch_ids), samples=int(samples)), touched


async def _handle_outages(touched: dict[int, set[int]]) -> None:
    """Outage tickets for the schools a pass touched, each with the scope of the probe that reported."""
    probes = await fetch("SELECT id, name, county_id, school_id FROM probe WHERE id = ANY({})", list(touched))
    for probe in probes:
        await outages.handle_outages(scope_for_probe(probe, None), sorted(touched[probe["id"]]))


async def derive_pending(*, wait: bool = True, limit: int = MAX_SAMPLES_PER_PASS) -> Derived:
    """Derive every batch stored and not derived yet, pass after pass, outages included.

    With `wait` (tests, the CLI) it waits for a pass another process is running and then derives
    what is left; without it (the server's worker) it leaves the work to that process."""
    total = Derived()
    while True:
        step = await _derive_pass(wait=wait, limit=limit)
        if step is None:
            total.busy = True
            return total
        derived, touched = step
        if not derived.batches:
            return total
        total.batches += derived.batches
        total.samples += derived.samples
        if touched:
            await _handle_outages(touched)


# --- the worker in the server ----------------------------------------------------------------------

_wakeup: asyncio.Event | None = None


def wake() -> None:
    """A batch was stored: let this process's worker (if it runs one) derive now."""
    if _wakeup is not None:
        _wakeup.set()


async def run_worker(stop: asyncio.Event, wakeup: asyncio.Event, every: float = RETRY_SECONDS) -> None:
    """Derive whenever woken, and every `every` seconds, until `stop`."""
    while not stop.is_set():
        wakeup.clear()  # batches stored from here on wake the next round
        try:
            await derive_pending(wait=False)
        except Exception:  # the next round tries again; nothing is marked derived that was not
            log.exception("derivation pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout=every)


def derivation_lifespan() -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """An app lifespan that runs the derivation worker while the app runs (after the database is up)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        global _wakeup  # one worker per process; controllers wake it through wake()
        stop, _wakeup = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(run_worker(stop, _wakeup), name="schoolit-probe-derivation")
        try:
            yield
        finally:
            stop.set()
            _wakeup.set()
            await task
            _wakeup = None

    return lifespan
