"""Derivation: from stored batches to reboots and rates, the state per asset, rollups and outages.

Ingest only stores batches (`schoolit.probes.ingest`). Everything that follows from the samples is
derived here, afterwards, over every batch stored since the last pass at once — one set-based pass
in PostgreSQL amortises the state and rollup upserts over many batches. A pass:

- takes the batches not derived yet (`probe_ingest_batch.derived_at IS NULL`) in id order, up to a
  bound, under a transaction-level advisory lock, so exactly one process derives at a time however
  many server workers run;
- reads their samples (one statement), derives per sample whether it is a straggler, a reboot, and
  its counter rates (window functions in one order per asset: one sort), merges the hourly and
  daily rollups by addition and writes the state per asset;
- marks those batches derived in the same transaction: a crash loses nothing and counts nothing
  twice, the next pass simply starts where the last committed one ended;
- then looks for outages at the schools it touched (`schoolit.probes.outages`), with the scope of
  the probe that sent the samples.

The result is the one processing batch by batch would give, in the order the batches are derived
(id order; within a batch, time order): a sample is a straggler when it is not newer than the
asset's state and than every sample of the asset before it in the pass; the samples that do move
the state are then in time order across the pass, so the windows continue where the state left off.
(Two samples of one asset with the very same time in one batch: the second is a straggler.) The rules are those of the
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

# One pass is one statement, in three steps over the samples of the pass's batches, all in one order
# per asset, (batch, time) — one sort; it is time order for the samples that move the state:
#  1. a sample is a straggler when it is not newer than the state nor than a sample before it (of an
#     earlier batch; of the same batch only with the very same time, a duplicate);
#  2. where the previous sample that moved the state is, and the previous answered one;
#  3. their values (lag by that distance), and from them reboots and rates.
# Then the hourly rollups, the daily ones from those (a UTC hour lies in one Berlin day), and the
# state from the few rows that decide it. The BRIN index on batch_id narrows the scan to the pages of
# the pass's batches; the id list keeps out a batch that committed meanwhile inside the id range.
_PASS = f"""
WITH batch_samples AS (
    SELECT s.batch_id, s.probe_id, s.polled_at, s.asset_kind, s.asset_id, s.county_id, a.school_id, s.reachable,
           s.uptime_ticks, s.clients, s.radio_up, s.in_octets, s.out_octets, s.if_speed_mbps, a.down_mbps, a.up_mbps
      FROM probe_sample s
      JOIN (SELECT 1::smallint AS kind, id, school_id, NULL::integer AS down_mbps, NULL::integer AS up_mbps
              FROM access_point
            UNION ALL
            SELECT 2::smallint, id, school_id, down_mbps, up_mbps FROM uplink) a
        ON a.kind = s.asset_kind AND a.id = s.asset_id
     WHERE s.batch_id BETWEEN $1 AND $2 AND s.batch_id = ANY($3::bigint[])
), step1 AS (
    SELECT b.*, st.reachable AS s_reachable, st.uptime_ticks AS s_uptime, st.last_up_at AS s_last_up_at,
           st.in_octets AS s_in, st.out_octets AS s_out, row_number() OVER before AS n,
           coalesce(b.polled_at <= greatest(st.last_polled_at, max(b.polled_at) OVER before), false) AS straggler
      FROM batch_samples b
      LEFT JOIN probe_asset_state st ON st.asset_kind = b.asset_kind AND st.asset_id = b.asset_id
    WINDOW before AS (PARTITION BY b.asset_kind, b.asset_id ORDER BY b.batch_id, b.polled_at
                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
), step2 AS (
    SELECT x.*, NOT x.straggler AND x.reachable AS answered,
           max(x.n) FILTER (WHERE NOT x.straggler) OVER before AS prev_n,
           max(x.n) FILTER (WHERE NOT x.straggler AND x.reachable) OVER before AS prev_up_n,
           max(x.n) FILTER (WHERE NOT x.straggler) OVER asset AS latest_n,
           max(x.n) FILTER (WHERE NOT x.straggler AND x.reachable) OVER asset AS latest_up_n,
           max(x.polled_at) FILTER (WHERE NOT x.straggler AND x.reachable) OVER asset AS last_up
      FROM step1 x
    WINDOW w AS (PARTITION BY x.asset_kind, x.asset_id ORDER BY x.batch_id, x.polled_at),
           before AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
           asset AS (PARTITION BY x.asset_kind, x.asset_id)
), step3 AS (
    SELECT x.*,
           CASE WHEN x.prev_n IS NULL THEN x.s_reachable ELSE lag(x.reachable, (x.n - x.prev_n)::int) OVER w END
           AS prev_reachable,
           CASE WHEN x.prev_up_n IS NULL THEN x.s_uptime ELSE lag(x.uptime_ticks, (x.n - x.prev_up_n)::int) OVER w END
           AS p_uptime,
           CASE WHEN x.prev_up_n IS NULL THEN x.s_last_up_at ELSE lag(x.polled_at, (x.n - x.prev_up_n)::int) OVER w END
           AS p_up_at,
           CASE WHEN x.prev_up_n IS NULL THEN x.s_in ELSE lag(x.in_octets, (x.n - x.prev_up_n)::int) OVER w END AS p_in,
           CASE WHEN x.prev_up_n IS NULL THEN x.s_out ELSE lag(x.out_octets, (x.n - x.prev_up_n)::int) OVER w END
           AS p_out
      FROM step2 x
    WINDOW w AS (PARTITION BY x.asset_kind, x.asset_id ORDER BY x.batch_id, x.polled_at)
), ticks AS (
    SELECT a.*,
           CASE WHEN NOT a.answered OR a.p_uptime IS NULL OR a.uptime_ticks IS NULL THEN NULL
                WHEN a.uptime_ticks >= a.p_uptime THEN a.uptime_ticks - a.p_uptime
                WHEN abs((a.uptime_ticks + 4294967296 - a.p_uptime) / 100.0
                         - extract(epoch FROM a.polled_at - a.p_up_at))
                     <= greatest(60, extract(epoch FROM a.polled_at - a.p_up_at) * 0.1)
                THEN a.uptime_ticks + 4294967296 - a.p_uptime
                ELSE -1  -- went back without wrapping: a reboot
           END AS elapsed
      FROM step3 a
    OFFSET 0  -- computed once per row: flattened, every use below would evaluate it again
), rates AS (
    SELECT t.*,
           CASE WHEN t.elapsed > 0 AND t.prev_reachable AND t.in_octets >= t.p_in AND t.out_octets >= t.p_out
                THEN ((t.in_octets - t.p_in) * 8 / (t.elapsed / 100.0) / 1e6)::double precision END AS in_raw,
           CASE WHEN t.elapsed > 0 AND t.prev_reachable AND t.in_octets >= t.p_in AND t.out_octets >= t.p_out
                THEN ((t.out_octets - t.p_out) * 8 / (t.elapsed / 100.0) / 1e6)::double precision END AS out_raw,
           CASE WHEN t.in_octets IS NOT NULL  -- only counters give rates (not access points)
                THEN least({MAX_PLAUSIBLE_MBPS}, coalesce(nullif(t.if_speed_mbps, 0) * 1.05, {MAX_PLAUSIBLE_MBPS}))
           END AS ceiling
      FROM ticks t
    OFFSET 0
), plausible AS (
    SELECT r.*, CASE WHEN r.in_raw <= r.ceiling AND r.out_raw <= r.ceiling THEN r.in_raw END AS in_mbps,
           CASE WHEN r.in_raw <= r.ceiling AND r.out_raw <= r.ceiling THEN r.out_raw END AS out_mbps
      FROM rates r
), derived AS (
    SELECT p.polled_at, p.asset_kind, p.asset_id, p.probe_id, p.county_id, p.school_id, p.reachable, p.straggler,
           p.uptime_ticks, p.clients, p.radio_up, p.in_octets, p.out_octets,
           coalesce(p.elapsed = -1, false) AS rebooted, p.in_mbps, p.out_mbps,
           CASE WHEN p.in_mbps IS NOT NULL AND p.down_mbps > 0 AND p.up_mbps > 0
                THEN greatest(p.in_mbps / p.down_mbps, p.out_mbps / p.up_mbps) END AS utilisation,
           p.last_up, p.n = p.latest_n AS latest, p.n = p.latest_up_n AS latest_answered
      FROM plausible p
), hours AS (
    SELECT asset_kind, asset_id, date_trunc('hour', polled_at, 'UTC') AS hour, county_id, school_id,
           count(*) AS samples, count(*) FILTER (WHERE reachable) AS up_samples,
           coalesce(sum(clients) FILTER (WHERE reachable), 0) AS clients_sum,
           max(clients) FILTER (WHERE reachable) AS clients_max, count(in_mbps) AS rate_samples,
           coalesce(sum(in_mbps), 0) AS in_mbps_sum, coalesce(sum(out_mbps), 0) AS out_mbps_sum,
           max(in_mbps) AS in_mbps_max, max(out_mbps) AS out_mbps_max, max(utilisation) AS utilisation_max
      FROM derived GROUP BY 1, 2, 3, 4, 5
), hourly AS (
    INSERT INTO probe_rollup_hourly AS r ({{columns}})
    SELECT * FROM hours
    {{merge}}
), daily AS (
    INSERT INTO probe_rollup_daily AS r ({{columns_daily}})
    SELECT asset_kind, asset_id, (hour AT TIME ZONE 'Europe/Berlin')::date, county_id, school_id, sum(samples),
           sum(up_samples), sum(clients_sum), max(clients_max), sum(rate_samples), sum(in_mbps_sum),
           sum(out_mbps_sum), max(in_mbps_max), max(out_mbps_max), max(utilisation_max)
      FROM hours GROUP BY 1, 2, 3, 4, 5
    {{merge_daily}}
), state AS ({{state}}
)
SELECT DISTINCT probe_id, school_id FROM derived
"""  # noqa: S608 (only constants are formatted in)

# Rollups merge by addition (sums and counts) or GREATEST (maxima), so any split into batches or
# passes gives the same rollup.
_ROLLUP_COLUMNS = ("asset_kind, asset_id, {period}, county_id, school_id, samples, up_samples, clients_sum, "
                   "clients_max, rate_samples, in_mbps_sum, out_mbps_sum, in_mbps_max, out_mbps_max, utilisation_max")
_MERGE = """ON CONFLICT (asset_kind, asset_id, {period}) DO UPDATE SET
        samples = r.samples + EXCLUDED.samples, up_samples = r.up_samples + EXCLUDED.up_samples,
        clients_sum = r.clients_sum + EXCLUDED.clients_sum,
        clients_max = GREATEST(r.clients_max, EXCLUDED.clients_max),
        rate_samples = r.rate_samples + EXCLUDED.rate_samples, in_mbps_sum = r.in_mbps_sum + EXCLUDED.in_mbps_sum,
        out_mbps_sum = r.out_mbps_sum + EXCLUDED.out_mbps_sum,
        in_mbps_max = GREATEST(r.in_mbps_max, EXCLUDED.in_mbps_max),
        out_mbps_max = GREATEST(r.out_mbps_max, EXCLUDED.out_mbps_max),
        utilisation_max = GREATEST(r.utilisation_max, EXCLUDED.utilisation_max)"""

# The state after the pass: the latest sample decides up or down (and the probe, county, school);
# while down, the figures of the latest answered poll stay (from this pass, or from before it).
# Only the rows that decide it are read: the latest, the latest answered, reboots, and the failures
# since the last answer (the down tail).
_STATE = """
    INSERT INTO probe_asset_state (asset_kind, asset_id, county_id, school_id, probe_id, last_polled_at, reachable,
                                   consecutive_failures, down_since, last_up_at, uptime_ticks, reboots,
                                   last_reboot_at, clients, radio_up, in_octets, out_octets, in_mbps, out_mbps,
                                   utilisation, updated_at)
    SELECT p.asset_kind, p.asset_id, p.county_id, p.school_id, p.probe_id, p.last_at, p.reachable,
           CASE WHEN p.reachable THEN 0
                ELSE p.down_tail + CASE WHEN p.last_up IS NULL THEN coalesce(s.consecutive_failures, 0) ELSE 0 END
           END,
           CASE WHEN p.reachable THEN NULL WHEN p.last_up IS NULL THEN coalesce(s.down_since, p.first_down)
                ELSE p.first_down END,
           coalesce(p.last_up, s.last_up_at),
           CASE WHEN p.answered THEN p.a_uptime ELSE s.uptime_ticks END,
           coalesce(s.reboots, 0) + p.reboots,
           coalesce(p.last_reboot, s.last_reboot_at),
           CASE WHEN p.answered THEN p.a_clients ELSE s.clients END,
           CASE WHEN p.answered THEN p.a_radio_up ELSE s.radio_up END,
           CASE WHEN p.answered THEN p.a_in ELSE s.in_octets END,
           CASE WHEN p.answered THEN p.a_out ELSE s.out_octets END,
           CASE WHEN p.reachable THEN p.in_mbps END, CASE WHEN p.reachable THEN p.out_mbps END,
           CASE WHEN p.reachable THEN p.utilisation END, now()
      FROM (SELECT asset_kind, asset_id,
                   max(county_id) FILTER (WHERE latest) AS county_id,
                   max(school_id) FILTER (WHERE latest) AS school_id,
                   max(probe_id) FILTER (WHERE latest) AS probe_id, max(polled_at) FILTER (WHERE latest) AS last_at,
                   bool_or(reachable) FILTER (WHERE latest) AS reachable, max(last_up) AS last_up,
                   max(in_mbps) FILTER (WHERE latest) AS in_mbps, max(out_mbps) FILTER (WHERE latest) AS out_mbps,
                   max(utilisation) FILTER (WHERE latest) AS utilisation,
                   count(*) FILTER (WHERE down_tail) AS down_tail,
                   min(polled_at) FILTER (WHERE down_tail) AS first_down,
                   count(*) FILTER (WHERE rebooted) AS reboots, max(polled_at) FILTER (WHERE rebooted) AS last_reboot,
                   bool_or(latest_answered) AS answered,
                   max(uptime_ticks) FILTER (WHERE latest_answered) AS a_uptime,
                   max(clients) FILTER (WHERE latest_answered) AS a_clients,
                   bool_or(radio_up) FILTER (WHERE latest_answered) AS a_radio_up,
                   max(in_octets) FILTER (WHERE latest_answered) AS a_in,
                   max(out_octets) FILTER (WHERE latest_answered) AS a_out
              FROM (SELECT d.*, NOT d.reachable AND (d.last_up IS NULL OR d.polled_at > d.last_up) AS down_tail
                      FROM derived d WHERE NOT d.straggler) d
             WHERE latest OR latest_answered OR rebooted OR down_tail
             GROUP BY asset_kind, asset_id) p
      LEFT JOIN probe_asset_state s ON s.asset_kind = p.asset_kind AND s.asset_id = p.asset_id
    ON CONFLICT (asset_kind, asset_id) DO UPDATE SET
        county_id = EXCLUDED.county_id, school_id = EXCLUDED.school_id, probe_id = EXCLUDED.probe_id,
        last_polled_at = EXCLUDED.last_polled_at, reachable = EXCLUDED.reachable,
        consecutive_failures = EXCLUDED.consecutive_failures, down_since = EXCLUDED.down_since,
        last_up_at = EXCLUDED.last_up_at, uptime_ticks = EXCLUDED.uptime_ticks, reboots = EXCLUDED.reboots,
        last_reboot_at = EXCLUDED.last_reboot_at, clients = EXCLUDED.clients, radio_up = EXCLUDED.radio_up,
        in_octets = EXCLUDED.in_octets, out_octets = EXCLUDED.out_octets, in_mbps = EXCLUDED.in_mbps,
        out_mbps = EXCLUDED.out_mbps, utilisation = EXCLUDED.utilisation, updated_at = now()"""

PASS = _PASS.format(columns=_ROLLUP_COLUMNS.format(period="hour"), merge=_MERGE.format(period="hour"),
                    columns_daily=_ROLLUP_COLUMNS.format(period="day"), merge_daily=_MERGE.format(period="day"),
                    state=_STATE)


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
        # Sorts and hashes of a pass fit in memory this way (the default 4 MB spills them to disk); the
        # statistics of a day partition lag behind its newest rows, and with them the planner would
        # probe indexes row by row where hash joins are many times faster. The commit need not wait
        # for the disk: a pass lost in a crash is lost whole, marks included, and simply done again.
        await connection.execute("SET LOCAL work_mem = '64MB'; SET LOCAL enable_nestloop = off; "
                                 "SET LOCAL synchronous_commit = off")
        touched: dict[int, set[int]] = defaultdict(set)
        for row in await connection.fetch(PASS, batch_ids[0], batch_ids[-1], batch_ids):
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
