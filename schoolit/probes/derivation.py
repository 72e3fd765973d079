"""Derivation: from stored batches to reboots and rates, the state per asset, rollups and outages.

Ingest only stores batches (`schoolit.probes.ingest`). Everything that follows from the samples is
derived here, afterwards, over every batch stored since the last pass at once — one set-based pass
amortises the state and rollup upserts over many batches. A pass:

- takes the batches not derived yet (`probe_ingest_batch.derived_at IS NULL`) in id order, up to a
  bound, under a transaction-level advisory lock, so exactly one process derives at a time however
  many server workers run;
- derives per sample whether it is a straggler, a reboot, and its counter rates, merges the hourly and
  daily rollups by addition and writes the state per asset, in three parts: `SIMPLE`, one statement for
  the access points with one sample in the pass (nationwide nearly all of them); the other access points'
  samples in the app (`schoolit.probes.access_point_pass`, numpy: they have no counters, and their
  windows and joins were most of a pass's database time); the uplinks' in `PASS`, window functions per
  asset. Each batch counts its single-sample access points and its uplinks' samples, so a pass skips
  the parts it has nothing for;
- marks those batches derived in the same transaction: a crash loses nothing and counts nothing
  twice, the next pass simply starts where the last committed one ended;
- once no batch waits (or every `OUTAGE_CHECK_SECONDS` while a backlog lasts), looks for outages at
  the schools the passes touched (`schoolit.probes.outages`), with the scope of the probe that sent
  the samples.

The result is the one processing batch by batch would give, in the order the batches are derived
(id order; within a batch, time order): a sample is a straggler when it is not newer than the
asset's state and than every sample of the asset before it in the pass; the samples that do move
the state are then in time order across the pass, so the windows continue where the state left off.
(Two samples of one asset with the very same time in one batch: the second is a straggler.) The rules are those of the
reference model in tests/unit/probes/model.py, and a randomized test holds the two to the same
answers over random batch splits and random groupings of batches into passes:

- rates come from counter deltas over the device's own sysUpTime delta, only between two consecutive
  answered polls; a counter going back (interface reset) or an implausible rate gives no rate, except
  the wrap of a 32-bit counter (a router without HC counters: the agent marks such samples), which
  adds 2^32 (a wrap that gives an implausible rate was a reset after all; a counter that wrapped more
  than once between two polls, above ~110 Mbit/s over five minutes, cannot be told and reads low);
- a sysUpTime below the last one is a reboot, unless it is the 2^32 wrap (~497 days) — told apart
  by comparing the wrapped difference with the time that really passed;
- a straggler is stored and counted in rollups, but does not move the state.

In the server a lifespan task derives after each stored batch (waiting `GATHER_SECONDS` for the
batches in flight when it was idle) and on a short timer; tests and the `schoolit maintenance derive`
command call `derive_pending()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np

from schoolit.accounts import directory
from schoolit.accounts.probes import scope_for_probe
from schoolit.db import atomic
from schoolit.logs import get_logger
from schoolit.probes import access_point_pass as ap_pass
from schoolit.probes import outages
from schoolit.probes.choices import AssetKind
from schoolit.probes.metrics import DERIVATION_PASS_BATCHES, DERIVATION_PASS_SECONDS
from schoolit.sql import copy_in, execute, fetch

log = get_logger("schoolit.probes")

MAX_PLAUSIBLE_MBPS = 400_000  # nothing a school connects to is faster; more means garbage
SPEED_HEADROOM = 1.05  # a rate above the interface's own speed is a counter glitch
# Without an interface speed, the contracted rate plus what providers typically provision above it
# (and what a 5-minute average can overshoot by counter timing): beyond that, a rate is a glitch.
CONTRACT_HEADROOM = 1.2
MAX_SAMPLES_PER_PASS = 500_000  # bounds one transaction when a large backlog waits (after an outage)
GATHER_SECONDS = 0.1  # after a wake-up, before the pass: what a probe's derived state may lag more
OUTAGE_CHECK_SECONDS = 2.0  # while a backlog lasts, how often its passes' schools are checked for outages
RETRY_SECONDS = 2.0  # the timer behind the wake-ups: another process held the lock, or a wake-up was lost
DERIVATION_LOCK = 0x5C4_0D_E71  # pg advisory lock key of the derivation (any constant the project uses once)

# The uplinks' part of a pass (`PASS`) is one statement over their samples of the pass's batches. It is written
# for any kind of asset (until 7 December it derived the access points too), in steps:
#  1. `samples`, in (batch, time) order per asset (the first sort): a sample is a straggler when it
#     is not newer than the state nor than a sample before it (of an earlier batch; of the same batch
#     only with the very same time, a duplicate);
#  2. `polls`: the answered samples that move the state are newer than everything before them, so
#     their time order (the second sort) is their order, and each finds the answered poll before it
#     with a plain lag(1) (the state's figures before the first one): sysUpTime going back is a reboot;
#  3. `answered` .. `rated`, for uplinks only (access points have no counters): the samples that move
#     the state, numbered in time order; the answered ones find the previous answered poll with lag(1)
#     and whether the poll just before was answered too (consecutive numbers): counter rates, kept
#     only up to the interface's speed, or without one (ifHighSpeed 0) the contracted rate;
#  4. the hourly rollups straight from the samples (counts and clients need no order), with the
#     rates of step 3 added; the daily ones from the hourly (a UTC hour lies in one Berlin day; the
#     day of each distinct hour is worked out once); the state from the few rows that decide it.
#  5. where the rollups go: each asset's open hour and open day are columns of its state row, so a
#     pass writes one row per asset (a heap-only update) instead of three — the state, the current
#     hour's rollup and today's were two thirds of a pass's writes at a million access points, where
#     nearly every asset appears once per pass and nothing amortises them. The open hour (day) after
#     the pass is the later of the state's and the newest in the pass; the pass's rows of that period
#     merge into the state's figures (or replace them, when the state's period has ended). Rows of
#     earlier periods — the state's ended period, the pass's rows before the open one, and every row of
#     an asset whose samples in the pass are all stragglers — go to `probe_rollup_hourly` and
#     `probe_rollup_daily` by addition (once per asset and hour, nearly always an insert). Readers see
#     both through the views `probe_rollup_hours` and `probe_rollup_days`.
# Steps 2 and 3 are apart because rates need three more values of the previous poll and the numbering
# (a window step of its own): for the access points, nearly all the samples, two lags are enough.
# The windows partition by (asset_id, asset_kind), not the other way round: the sorts compare the first
# key from the sort's own array, and only ties fall back to reading both rows — with the kind first
# (nearly always the same) every comparison read both rows. Hours are binned on the UTC epoch
# (`date_bin`): integer arithmetic, where date_trunc with a time zone converts every sample's time.
# The b-tree on batch_id finds the rows of the pass's batches, however many the day's partition holds
# (a BRIN index skipped only ranges vacuum had summarised, never the newest), by their ids alone: an
# id range besides (once for the BRIN) made the planner expect a few dozen rows, multiplying the two
# conditions' selectivities, and hash thousands of samples to probe them with the state's rows.
# Assets (school, contracted rates) and the state before the pass (`prior`) are looked up by the ids
# of the pass only, through their indexes, never by a scan of all access points or states (hash joins
# with the whole state table read its 1,000,000 rows nationwide twice per pass: 1.2-2.6 s for a
# pass of 16,000 samples, 0.17-0.23 s without); `seen` (one row per asset and probe) gives both the
# assets' last polls and the schools each probe reported on. The state is probed once per asset (a
# lateral look-up from each asset's first sample, where `before_at` is empty): given `asset_id =
# ANY(...)` instead, the planner did not know the array's length and scanned every state of the kind,
# testing each against the whole array (60 ms of a 20,000-sample pass at 2,000 access points).
ROLLUP_FIGURES = tuple(ap_pass.ROLLUP_TYPES)
_MAXIMA = ap_pass.MAXIMA  # merged by GREATEST, the rest by addition
OPEN_KEY = {"hour": "hour_at", "day": "day"}  # the state row's column naming its open hour, its open day
_FIGURES = ", ".join(f"{{source}}.{name}" for name in ROLLUP_FIGURES)
_MERGED = ", ".join(f"{'max' if name in _MAXIMA else 'sum'}({{source}}.{name}) AS {name}" for name in ROLLUP_FIGURES)
_OPEN_NAMES = [f"{period}_{name}" for period in OPEN_KEY for name in ROLLUP_FIGURES]
_OPEN_FIGURES = ", ".join(_OPEN_NAMES)
_OPEN_COLUMNS = ", ".join(f"o.{column}" for column in _OPEN_NAMES)
_OPEN_UPDATES = ", ".join(f"{column} = EXCLUDED.{column}" for column in _OPEN_NAMES)
_PRIOR_FIGURES = ", ".join(f"st.{{period}}_{name} AS {name}" for name in ROLLUP_FIGURES)
# An open period's figures after the pass: the state's (`st`) while the period is still the open one, merged with
# the pass's rows of that period (`hh` for the hour, `dd` for the day).
_OPEN_MERGE = ", ".join(
    (f"greatest(CASE WHEN st.{key} = o.{key} THEN st.{period}_{name} END, {row}.{name})" if name in _MAXIMA else
     f"coalesce(CASE WHEN st.{key} = o.{key} THEN st.{period}_{name} END, 0) + coalesce({row}.{name}, 0)")
    + f" AS {period}_{name}"
    for period, row in (("hour", "hh"), ("day", "dd")) for key in (OPEN_KEY[period],) for name in ROLLUP_FIGURES)
# Rollups merge by addition (sums and counts) or GREATEST (maxima), so any split into batches or
# passes gives the same rollup.
_ROLLUP_COLUMNS = "asset_kind, asset_id, {period}, county_id, school_id, " + ", ".join(ROLLUP_FIGURES)
_MERGE = "ON CONFLICT (asset_kind, asset_id, {period}) DO UPDATE SET " + ", ".join(
    f"{name} = GREATEST(r.{name}, EXCLUDED.{name})" if name in _MAXIMA else f"{name} = r.{name} + EXCLUDED.{name}"
    for name in ROLLUP_FIGURES)


def _ended(table: str, period: str, rows: str) -> str:
    """Into `table` (by addition): the pass's `rows` of periods before the asset's open `period` ("hour" or
    "day"; every row of an asset whose samples are all stragglers), and the state's open period that ended."""
    open_key = OPEN_KEY[period]
    return f"""INSERT INTO {table} AS r ({_ROLLUP_COLUMNS.format(period=period)})
    SELECT asset_kind, asset_id, {period}, max(county_id), max(school_id), {_MERGED.format(source="c")}
      FROM (SELECT h.asset_kind, h.asset_id, h.{period}, h.county_id, h.school_id, {_FIGURES.format(source="h")}
              FROM {rows} h LEFT JOIN periods o ON o.asset_kind = h.asset_kind AND o.asset_id = h.asset_id
             WHERE o.{open_key} IS NULL OR h.{period} < o.{open_key}
            UNION ALL
            SELECT st.asset_kind, st.asset_id, st.{open_key}, st.county_id, st.school_id,
                   {_PRIOR_FIGURES.format(period=period)}
              FROM prior st JOIN periods o ON o.asset_kind = st.asset_kind AND o.asset_id = st.asset_id
             WHERE st.{open_key} < o.{open_key}) c
     GROUP BY 1, 2, 3
    {_MERGE.format(period=period)}"""  # noqa: S608 (only constants)


# An answered poll rebooted the device when its sysUpTime went back from the answered poll before (`p_`), and not
# by the wrap: the seconds since (numeric arithmetic) only where it went back.
_REBOOTED = """coalesce({uptime} < {p_uptime}
                    AND NOT coalesce(abs(({uptime} + 4294967296 - {p_uptime}) / 100.0
                                         - extract(epoch FROM {polled} - {p_up_at}))
                                     <= greatest(60, extract(epoch FROM {polled} - {p_up_at}) * 0.1), false),
                    false)"""
_HOUR = "date_bin('1 hour', {}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
_PASS = f"""
WITH pass AS MATERIALIZED (
    SELECT max(s.polled_at) OVER before AS before_at, s.asset_id, s.asset_kind, s.polled_at, s.reachable,
           s.probe_id, s.county_id, s.clients, s.uptime_ticks, s.radio_up, s.in_octets, s.out_octets,
           s.if_speed_mbps, s.counter_bits
      FROM probe_sample s
     WHERE s.batch_id = ANY({{batch_ids}}::bigint[]){{kind}}
    WINDOW before AS (PARTITION BY s.asset_id, s.asset_kind ORDER BY s.batch_id, s.polled_at
                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
), prior AS MATERIALIZED (  -- the state before the pass, of the pass's assets only: one probe of its unique index each
    SELECT st.*
      FROM pass p, LATERAL (SELECT asset_kind, asset_id, last_polled_at, reachable, consecutive_failures, down_since,
                                   last_up_at, uptime_ticks, reboots, last_reboot_at, clients, radio_up, in_octets,
                                   out_octets, county_id, school_id, hour_at, day, {_OPEN_FIGURES}
                              FROM probe_asset_state
                             WHERE asset_kind = p.asset_kind AND asset_id = p.asset_id OFFSET 0) st
     WHERE p.before_at IS NULL  -- the first sample of each asset in the pass
), samples AS MATERIALIZED (  -- the columns most scans read first: a scan decodes a row up to the last it reads
    SELECT coalesce(s.polled_at <= greatest(st.last_polled_at, s.before_at), false) AS straggler,
           s.asset_id, s.asset_kind, s.polled_at, s.reachable, s.probe_id, s.county_id, s.clients, s.uptime_ticks,
           st.uptime_ticks AS s_uptime, st.last_up_at AS s_up_at, s.radio_up, st.reachable AS s_reachable,
           s.in_octets, s.out_octets, s.if_speed_mbps, s.counter_bits, st.in_octets AS s_in, st.out_octets AS s_out
      FROM pass s
      LEFT JOIN prior st ON st.asset_kind = s.asset_kind AND st.asset_id = s.asset_id
), polls AS (
    SELECT a.asset_kind, a.asset_id, a.polled_at,
           {_REBOOTED.format(uptime="a.uptime_ticks", polled="a.polled_at", p_uptime="a.p_uptime",
                             p_up_at="a.p_up_at")} AS rebooted
      FROM (SELECT m.asset_kind, m.asset_id, m.polled_at, m.uptime_ticks,
                   lag(m.uptime_ticks, 1, m.s_uptime) OVER w AS p_uptime,
                   lag(m.polled_at, 1, m.s_up_at) OVER w AS p_up_at
              FROM samples m WHERE m.reachable AND NOT m.straggler
            WINDOW w AS (PARTITION BY m.asset_id, m.asset_kind ORDER BY m.polled_at)) a
), seen AS (
    SELECT asset_kind, asset_id, probe_id, max(polled_at) FILTER (WHERE NOT straggler) AS last_at,
           max(polled_at) FILTER (WHERE NOT straggler AND reachable) AS last_up
      FROM samples GROUP BY 1, 2, 3
), last AS (
    SELECT asset_kind, asset_id, max(last_at) AS last_at, max(last_up) AS last_up FROM seen GROUP BY 1, 2
), assets AS (
    SELECT 1::smallint AS asset_kind, id AS asset_id, school_id, NULL::integer AS down_mbps, NULL::integer AS up_mbps
      FROM access_point WHERE id = ANY(ARRAY(SELECT asset_id FROM last WHERE asset_kind = 1))
    UNION ALL
    SELECT 2::smallint, id, school_id, down_mbps, up_mbps
      FROM uplink WHERE id = ANY(ARRAY(SELECT asset_id FROM last WHERE asset_kind = 2))
), answered AS (
    SELECT a.asset_kind, a.asset_id, a.polled_at, a.uptime_ticks, a.in_octets, a.out_octets, a.if_speed_mbps,
           a.counter_bits,
           -- the poll just before was answered: the state's (first in the pass), or the previous
           -- answered one of the pass right before this one (consecutive numbers)
           CASE WHEN lag(a.k) OVER w IS NULL THEN a.k = 1 AND a.s_reachable ELSE lag(a.k) OVER w = a.k - 1 END
           AS prev_reachable,
           lag(a.uptime_ticks, 1, a.s_uptime) OVER w AS p_uptime,
           lag(a.polled_at, 1, a.s_up_at) OVER w AS p_up_at,
           lag(a.in_octets, 1, a.s_in) OVER w AS p_in, lag(a.out_octets, 1, a.s_out) OVER w AS p_out,
           lead(a.k) OVER w IS NULL AS latest
      FROM (SELECT m.asset_kind, m.asset_id, m.polled_at, m.reachable, m.uptime_ticks, m.in_octets, m.out_octets,
                   m.if_speed_mbps, m.counter_bits, m.s_reachable, m.s_uptime, m.s_up_at, m.s_in, m.s_out,
                   row_number() OVER (PARTITION BY m.asset_id, m.asset_kind ORDER BY m.polled_at) AS k
              FROM samples m WHERE NOT m.straggler AND m.asset_kind = {int(AssetKind.UPLINK)}) a
     WHERE a.reachable
    WINDOW w AS (PARTITION BY a.asset_id, a.asset_kind ORDER BY a.polled_at)
), ticks AS (
    SELECT a.*,
           CASE WHEN a.uptime_ticks >= a.p_uptime THEN a.uptime_ticks - a.p_uptime
                WHEN abs((a.uptime_ticks + 4294967296 - a.p_uptime) / 100.0
                         - extract(epoch FROM a.polled_at - a.p_up_at))
                     <= greatest(60, extract(epoch FROM a.polled_at - a.p_up_at) * 0.1)
                THEN a.uptime_ticks + 4294967296 - a.p_uptime
           END AS elapsed,  -- none: no uptime, or a reboot (`polls` counts it)
           -- counter deltas: none where a counter went back (reset), unless it is a 32-bit counter's wrap
           CASE WHEN a.in_octets >= a.p_in THEN a.in_octets - a.p_in
                WHEN a.counter_bits = 32 AND a.p_in < 4294967296 THEN a.in_octets + 4294967296 - a.p_in END AS in_delta,
           CASE WHEN a.out_octets >= a.p_out THEN a.out_octets - a.p_out
                WHEN a.counter_bits = 32 AND a.p_out < 4294967296 THEN a.out_octets + 4294967296 - a.p_out
           END AS out_delta
      FROM answered a
    OFFSET 0  -- computed once per row: flattened, every use below would evaluate it again
), rates AS (
    SELECT t.asset_kind, t.asset_id, t.polled_at, t.latest,
           CASE WHEN t.elapsed > 0 AND t.prev_reachable AND t.in_delta IS NOT NULL AND t.out_delta IS NOT NULL
                THEN (t.in_delta * 8 / (t.elapsed / 100.0) / 1e6)::double precision END AS in_raw,
           CASE WHEN t.elapsed > 0 AND t.prev_reachable AND t.in_delta IS NOT NULL AND t.out_delta IS NOT NULL
                THEN (t.out_delta * 8 / (t.elapsed / 100.0) / 1e6)::double precision END AS out_raw,
           -- the interface's speed caps a plausible rate; without one (ifHighSpeed 0 or missing, as on
           -- PPPoE WAN interfaces) the contracted rate does, each direction by its own
           least({MAX_PLAUSIBLE_MBPS}, coalesce(nullif(t.if_speed_mbps, 0) * {SPEED_HEADROOM},
                                                u.down_mbps * {CONTRACT_HEADROOM}, {MAX_PLAUSIBLE_MBPS})) AS in_ceiling,
           least({MAX_PLAUSIBLE_MBPS}, coalesce(nullif(t.if_speed_mbps, 0) * {SPEED_HEADROOM},
                                                u.up_mbps * {CONTRACT_HEADROOM}, {MAX_PLAUSIBLE_MBPS})) AS out_ceiling
      FROM ticks t
      LEFT JOIN assets u ON u.asset_kind = t.asset_kind AND u.asset_id = t.asset_id
    OFFSET 0
), rated AS (
    SELECT r.asset_kind, r.asset_id, r.polled_at, r.latest,
           CASE WHEN r.in_raw <= r.in_ceiling AND r.out_raw <= r.out_ceiling THEN r.in_raw END AS in_mbps,
           CASE WHEN r.in_raw <= r.in_ceiling AND r.out_raw <= r.out_ceiling THEN r.out_raw END AS out_mbps
      FROM rates r
), hours AS (
    SELECT h.asset_kind, h.asset_id, h.hour, h.county_id, a.school_id, h.samples, h.up_samples, h.clients_sum,
           h.clients_max, coalesce(r.rate_samples, 0) AS rate_samples, coalesce(r.in_mbps_sum, 0) AS in_mbps_sum,
           coalesce(r.out_mbps_sum, 0) AS out_mbps_sum, r.in_mbps_max, r.out_mbps_max,
           -- the largest utilisation of the hour is the largest rate over the contracted one
           CASE WHEN a.down_mbps > 0 AND a.up_mbps > 0
                THEN greatest(r.in_mbps_max / a.down_mbps, r.out_mbps_max / a.up_mbps) END AS utilisation_max
      FROM (SELECT asset_kind, asset_id, {_HOUR.format("polled_at")} AS hour, county_id,
                   count(*) AS samples, count(*) FILTER (WHERE reachable) AS up_samples,
                   coalesce(sum(clients) FILTER (WHERE reachable), 0) AS clients_sum,
                   max(clients) FILTER (WHERE reachable) AS clients_max
              FROM samples GROUP BY 1, 2, 3, 4) h
      JOIN assets a ON a.asset_kind = h.asset_kind AND a.asset_id = h.asset_id
      LEFT JOIN (SELECT asset_kind, asset_id, {_HOUR.format("polled_at")} AS hour,
                        count(in_mbps) AS rate_samples, sum(in_mbps) AS in_mbps_sum, sum(out_mbps) AS out_mbps_sum,
                        max(in_mbps) AS in_mbps_max, max(out_mbps) AS out_mbps_max
                   FROM rated WHERE in_mbps IS NOT NULL GROUP BY 1, 2, 3) r
        ON r.asset_kind = h.asset_kind AND r.asset_id = h.asset_id AND r.hour = h.hour
), hour_days AS (  -- each hour's Berlin day, once per distinct hour (not a time zone conversion per row)
    SELECT hour, (hour AT TIME ZONE 'Europe/Berlin')::date AS day FROM (SELECT DISTINCT hour FROM hours) h
), day_rows AS (
    SELECT h.asset_kind, h.asset_id, d.day, max(h.county_id) AS county_id, max(h.school_id) AS school_id,
           {_MERGED.format(source="h")}
      FROM hours h JOIN hour_days d ON d.hour = h.hour
     GROUP BY 1, 2, 3
), periods AS (  -- the open hour and day of each asset whose state the pass writes (one that is not all stragglers)
    SELECT h.asset_kind, h.asset_id, greatest(max(h.hour), max(st.hour_at)) AS hour_at,
           greatest(max(d.day), max(st.day)) AS day
      FROM hours h
      JOIN hour_days d ON d.hour = h.hour
      JOIN last l ON l.asset_kind = h.asset_kind AND l.asset_id = h.asset_id AND l.last_at IS NOT NULL
      LEFT JOIN prior st ON st.asset_kind = h.asset_kind AND st.asset_id = h.asset_id
     GROUP BY 1, 2
), hourly AS (  -- hours that are not open (any more): the pass's, and the state's open hour that ended
    {_ended("probe_rollup_hourly", "hour", "hours")}
), daily AS (  -- the same for days
    {_ended("probe_rollup_daily", "day", "day_rows")}
), open AS (  -- the open hour's and day's figures after the pass: the state's when still open, plus the pass's
    SELECT o.asset_kind, o.asset_id, o.hour_at, o.day, {_OPEN_MERGE}
      FROM periods o
      LEFT JOIN prior st ON st.asset_kind = o.asset_kind AND st.asset_id = o.asset_id
      LEFT JOIN hours hh ON hh.asset_kind = o.asset_kind AND hh.asset_id = o.asset_id AND hh.hour = o.hour_at
      LEFT JOIN day_rows dd ON dd.asset_kind = o.asset_kind AND dd.asset_id = o.asset_id AND dd.day = o.day
), state AS ({{state}}
)
SELECT DISTINCT t.probe_id, a.school_id
  FROM seen t
  JOIN assets a ON a.asset_kind = t.asset_kind AND a.asset_id = t.asset_id
"""  # noqa: S608 (only constants are formatted in)

_STATE_NAMES = ("asset_kind", "asset_id", "county_id", "school_id", "probe_id", "last_polled_at", "reachable",
                "consecutive_failures", "down_since", "last_up_at", "uptime_ticks", "reboots", "last_reboot_at",
                "clients", "radio_up", "in_octets", "out_octets", "in_mbps", "out_mbps", "utilisation", "updated_at",
                "hour_at", "day", *_OPEN_NAMES)
_STATE_COLUMNS = ", ".join(_STATE_NAMES)
_STATE_WRITE = f"""ON CONFLICT (asset_kind, asset_id) DO UPDATE SET
        county_id = EXCLUDED.county_id, school_id = EXCLUDED.school_id, probe_id = EXCLUDED.probe_id,
        last_polled_at = EXCLUDED.last_polled_at, reachable = EXCLUDED.reachable,
        consecutive_failures = EXCLUDED.consecutive_failures, down_since = EXCLUDED.down_since,
        last_up_at = EXCLUDED.last_up_at, uptime_ticks = EXCLUDED.uptime_ticks, reboots = EXCLUDED.reboots,
        last_reboot_at = EXCLUDED.last_reboot_at, clients = EXCLUDED.clients, radio_up = EXCLUDED.radio_up,
        in_octets = EXCLUDED.in_octets, out_octets = EXCLUDED.out_octets, in_mbps = EXCLUDED.in_mbps,
        out_mbps = EXCLUDED.out_mbps, utilisation = EXCLUDED.utilisation, updated_at = now(),
        hour_at = EXCLUDED.hour_at, day = EXCLUDED.day, {_OPEN_UPDATES}"""

# The state after the pass: the latest sample decides up or down (and the probe, county, school);
# while down, the figures of the latest answered poll stay (from this pass, or from before it).
# Only the rows that decide it are read: the latest, the latest answered, reboots, and the failures
# since the last answer (the down tail).
_STATE = f"""
    INSERT INTO probe_asset_state ({_STATE_COLUMNS})
    SELECT p.asset_kind, p.asset_id, p.county_id, a.school_id, p.probe_id, p.last_at, p.reachable,
           CASE WHEN p.reachable THEN 0
                ELSE p.down_tail + CASE WHEN p.last_up IS NULL THEN coalesce(s.consecutive_failures, 0) ELSE 0 END
           END,
           CASE WHEN p.reachable THEN NULL WHEN p.last_up IS NULL THEN coalesce(s.down_since, p.first_down)
                ELSE p.first_down END,
           coalesce(p.last_up, s.last_up_at),
           CASE WHEN p.answered THEN p.a_uptime ELSE s.uptime_ticks END,
           coalesce(s.reboots, 0) + coalesce(b.reboots, 0),
           coalesce(b.last_reboot, s.last_reboot_at),
           CASE WHEN p.answered THEN p.a_clients ELSE s.clients END,
           CASE WHEN p.answered THEN p.a_radio_up ELSE s.radio_up END,
           CASE WHEN p.answered THEN p.a_in ELSE s.in_octets END,
           CASE WHEN p.answered THEN p.a_out ELSE s.out_octets END,
           CASE WHEN p.reachable THEN r.in_mbps END, CASE WHEN p.reachable THEN r.out_mbps END,
           CASE WHEN p.reachable AND r.in_mbps IS NOT NULL AND a.down_mbps > 0 AND a.up_mbps > 0
                THEN greatest(r.in_mbps / a.down_mbps, r.out_mbps / a.up_mbps) END, now(),
           o.hour_at, o.day, {_OPEN_COLUMNS}
      FROM (SELECT d.asset_kind, d.asset_id,
                   max(d.county_id) FILTER (WHERE d.latest) AS county_id,
                   max(d.probe_id) FILTER (WHERE d.latest) AS probe_id, max(d.last_at) AS last_at,
                   bool_or(d.reachable) FILTER (WHERE d.latest) AS reachable, max(d.last_up) AS last_up,
                   count(*) FILTER (WHERE d.down_tail) AS down_tail,
                   min(d.polled_at) FILTER (WHERE d.down_tail) AS first_down,
                   bool_or(d.latest_answered) AS answered,
                   max(d.uptime_ticks) FILTER (WHERE d.latest_answered) AS a_uptime,
                   max(d.clients) FILTER (WHERE d.latest_answered) AS a_clients,
                   bool_or(d.radio_up) FILTER (WHERE d.latest_answered) AS a_radio_up,
                   max(d.in_octets) FILTER (WHERE d.latest_answered) AS a_in,
                   max(d.out_octets) FILTER (WHERE d.latest_answered) AS a_out
              FROM (SELECT x.*, l.last_at, l.last_up, x.polled_at = l.last_at AS latest,
                           x.reachable AND x.polled_at = l.last_up AS latest_answered,
                           NOT x.reachable AND (l.last_up IS NULL OR x.polled_at > l.last_up) AS down_tail
                      FROM samples x
                      JOIN last l ON l.asset_kind = x.asset_kind AND l.asset_id = x.asset_id
                     WHERE NOT x.straggler
                       AND (x.polled_at = l.last_at OR x.polled_at = l.last_up
                            OR NOT x.reachable AND (l.last_up IS NULL OR x.polled_at > l.last_up))) d
             GROUP BY 1, 2) p
      JOIN assets a ON a.asset_kind = p.asset_kind AND a.asset_id = p.asset_id
      LEFT JOIN prior s ON s.asset_kind = p.asset_kind AND s.asset_id = p.asset_id
      LEFT JOIN (SELECT asset_kind, asset_id, count(*) AS reboots, max(polled_at) AS last_reboot
                   FROM polls WHERE rebooted GROUP BY 1, 2) b ON b.asset_kind = p.asset_kind AND b.asset_id = p.asset_id
      -- the rates of the latest answered poll, which is the latest poll when the asset is up
      LEFT JOIN rated r ON r.asset_kind = p.asset_kind AND r.asset_id = p.asset_id AND r.latest
      LEFT JOIN open o ON o.asset_kind = p.asset_kind AND o.asset_id = p.asset_id
    {_STATE_WRITE}"""  # noqa: S608 (only constants)

# The uplinks' samples: the access points' are derived in the app (`schoolit.probes.access_point_pass`). (`+ 0`:
# never by the index on the kind, which holds every uplink's sample of the day.)
PASS = _PASS.format(state=_STATE, batch_ids="{}", kind=f" AND s.asset_kind + 0 = {int(AssetKind.UPLINK)}")

# What the access points' part of a pass (`ap_pass.derive`) writes, copied into temporary tables first: the
# state rows, and the ended hours and days (periods in hours and days since 2000-01-01). The tables are
# emptied before the part reads (a pass inside an outer transaction, as in tests, commits nothing).
AP_TABLES = {"state": "derivation_ap_state", "hour": "derivation_ap_hours", "day": "derivation_ap_days"}
AP_TABLES_READY = "; ".join(
    [ap_pass.table_of(table, ap_pass.STATE_COLUMNS if part == "state" else ap_pass.ROLLUP_COLUMNS)
     for part, table in AP_TABLES.items()] + [f"TRUNCATE {', '.join(AP_TABLES.values())}"])
_RATES_UNSET = {"in_mbps": "NULL", "out_mbps": "NULL", "utilisation": "NULL", "updated_at": "now()"}
_AP_STATE_VALUES = {name: _RATES_UNSET.get(name) or ap_pass.state_value(name) for name in _STATE_NAMES[2:]}
AP_STATE = f"""INSERT INTO probe_asset_state ({_STATE_COLUMNS})
SELECT {int(AssetKind.ACCESS_POINT)}, u.asset_id, {", ".join(_AP_STATE_VALUES.values())}
  FROM {AP_TABLES["state"]} u
{_STATE_WRITE}"""  # noqa: S608 (only constants)
_AP_FIGURES = ", ".join(ap_pass.value_of(next(c for c in ap_pass.ROLLUP_COLUMNS if c.name == name))
                        if name in ap_pass.AP_FIGURES else ap_pass.nothing(name) for name in ROLLUP_FIGURES)
AP_ENDED = {period: f"""INSERT INTO {table} AS r ({_ROLLUP_COLUMNS.format(period=period)})
SELECT {int(AssetKind.ACCESS_POINT)}, u.asset_id, {value}, u.county_id, u.school_id, {_AP_FIGURES}
  FROM {AP_TABLES[period]} u
{_MERGE.format(period=period)}"""  # noqa: S608 (only constants)
            for period, table, value in (
                ("hour", "probe_rollup_hourly", f"{ap_pass.ORIGIN_SQL} + u.period * INTERVAL '1 hour'"),
                ("day", "probe_rollup_daily", f"{ap_pass.ORIGIN_DAY_SQL} + u.period::integer"))}


# The common case without windows, joins over the pass or aggregates: an access point with one sample in the
# pass, newer than its state and in the state's open hour or a later one. Nationwide nearly every sample is
# one — each access point is polled about once a minute, so a pass holds it once — and a general pass spends
# ~30 µs of the database's CPU on such a sample. This statement updates the state row in place through its
# unique index as `PASS` would (the tests hold both to the reference model) and returns the access points it
# did, with probe and school; `PASS` leaves them out. A sample in a later hour than the state's open one (the
# first poll of every access point after each full hour) ends that hour: its figures go to
# `probe_rollup_hourly` (and the open day's to `probe_rollup_daily` when the day ended too), and the sample's
# period opens with the sample alone. Nationwide those are a million samples in the first minute of every
# hour; through the general statement they paid its windows and joins besides the hourly rows' inserts,
# which land together because the hourly table's indexes lead with the hour (docs/performance.md "Pages
# under ingest").
_ANSWERED = "CASE WHEN m.reachable THEN {} ELSE st.{} END"  # the answered poll's value, else the state's
_SIMPLE_REBOOT = "m.reachable AND " + _REBOOTED.format(uptime="m.uptime_ticks", polled="m.polled_at",
                                                       p_uptime="st.uptime_ticks", p_up_at="st.last_up_at")
_SAMPLE_FIGURES = {  # the sample's own contribution to a rollup; figures it has none for (rates) add nothing
    "samples": "1", "up_samples": "m.reachable::integer",
    "clients_sum": "CASE WHEN m.reachable THEN coalesce(m.clients, 0) ELSE 0 END",
    "clients_max": "CASE WHEN m.reachable THEN m.clients END"}


def _open_figure(period: str, name: str) -> str:
    """A figure of the open `period` after the sample: the state's while the period goes on (else nothing), with
    the sample's added (sums and counts) or compared (maxima)."""
    key = OPEN_KEY[period]
    kept = f"CASE WHEN m.{key} = m.was_{key} THEN st.{period}_{name}{'' if name in _MAXIMA else ' ELSE 0'} END"
    if name not in _SAMPLE_FIGURES:
        return kept
    return f"greatest({kept}, {_SAMPLE_FIGURES[name]})" if name in _MAXIMA else f"{kept} + {_SAMPLE_FIGURES[name]}"


_SIMPLE_ROLLUPS = ",\n    ".join(f"{period}_{name} = {_open_figure(period, name)}"
                                  for period in OPEN_KEY for name in ROLLUP_FIGURES)


def _simple_ended(table: str, period: str) -> str:
    """Into `table` (by addition): the state's open `period` ("hour" or "day") where the sample opens a later one."""
    key = OPEN_KEY[period]
    figures = ", ".join(f"m.was_{period}_{name}" for name in ROLLUP_FIGURES)
    return f"""INSERT INTO {table} AS r ({_ROLLUP_COLUMNS.format(period=period)})
    SELECT {int(AssetKind.ACCESS_POINT)}, m.asset_id, m.was_{key}, m.was_county_id, m.was_school_id, {figures}
      FROM moving m WHERE m.{key} > m.was_{key}
    {_MERGE.format(period=period)}"""  # noqa: S608 (only constants)


_WAS = ", ".join(f"st.{column} AS was_{column}" for column in ("hour_at", "day", "county_id", "school_id",
                                                               *_OPEN_NAMES))
_SIMPLE_WITH = f"""
WITH one AS MATERIALIZED (
    SELECT s.asset_id, min(s.polled_at) AS polled_at, bool_or(s.reachable) AS reachable, min(s.county_id) AS county_id,
           min(s.probe_id) AS probe_id, min(s.uptime_ticks) AS uptime_ticks, min(s.clients) AS clients,
           bool_or(s.radio_up) AS radio_up, min(s.in_octets) AS in_octets, min(s.out_octets) AS out_octets
      FROM probe_sample s
     WHERE s.batch_id = ANY({{}}::bigint[]) AND s.asset_kind = {int(AssetKind.ACCESS_POINT)}
     GROUP BY s.asset_id HAVING count(*) = 1
), moving AS MATERIALIZED (  -- with the sample's hour and day, and the state's open periods before it
    SELECT o.*, a.school_id, h.hour_at,
           CASE WHEN h.hour_at = st.hour_at THEN st.day ELSE (h.hour_at AT TIME ZONE 'Europe/Berlin')::date END AS day,
           {_WAS}
      FROM one o
      JOIN probe_asset_state st ON st.asset_kind = {int(AssetKind.ACCESS_POINT)} AND st.asset_id = o.asset_id
      JOIN access_point a ON a.id = o.asset_id
      CROSS JOIN LATERAL (SELECT {_HOUR.format("o.polled_at")} AS hour_at) h
     WHERE o.polled_at > st.last_polled_at AND h.hour_at >= st.hour_at
       AND st.day = (st.hour_at AT TIME ZONE 'Europe/Berlin')::date
), hourly AS (
    {_simple_ended("probe_rollup_hourly", "hour")}
), daily AS (
    {_simple_ended("probe_rollup_daily", "day")}
)"""  # noqa: S608 (only constants)
_SIMPLE_UPDATE = f"""
UPDATE probe_asset_state st SET
    county_id = m.county_id, school_id = m.school_id, probe_id = m.probe_id, last_polled_at = m.polled_at,
    reachable = m.reachable,
    consecutive_failures = CASE WHEN m.reachable THEN 0 ELSE st.consecutive_failures + 1 END,
    down_since = CASE WHEN m.reachable THEN NULL ELSE coalesce(st.down_since, m.polled_at) END,
    last_up_at = {_ANSWERED.format("m.polled_at", "last_up_at")},
    uptime_ticks = {_ANSWERED.format("m.uptime_ticks", "uptime_ticks")},
    reboots = st.reboots + CASE WHEN {_SIMPLE_REBOOT} THEN 1 ELSE 0 END,
    last_reboot_at = CASE WHEN {_SIMPLE_REBOOT} THEN m.polled_at ELSE st.last_reboot_at END,
    clients = {_ANSWERED.format("m.clients", "clients")}, radio_up = {_ANSWERED.format("m.radio_up", "radio_up")},
    in_octets = {_ANSWERED.format("m.in_octets", "in_octets")},
    out_octets = {_ANSWERED.format("m.out_octets", "out_octets")},
    in_mbps = NULL, out_mbps = NULL, utilisation = NULL, updated_at = now(), hour_at = m.hour_at, day = m.day,
    {_SIMPLE_ROLLUPS}
  FROM moving m
 WHERE st.asset_kind = {int(AssetKind.ACCESS_POINT)} AND st.asset_id = m.asset_id
RETURNING st.asset_id, st.probe_id, st.school_id"""  # noqa: S608 (only constants)
SIMPLE = _SIMPLE_WITH + _SIMPLE_UPDATE
# Its answer as one row of arrays (decoded in C; a row per access point cost the worker's event loop, which
# also serves pages, ~15 ms a pass): the access points done, and the (probe, school) pairs reported on.
# (A data-modifying statement's WITH must be the outermost one: `done` joins SIMPLE's list.)
SIMPLE_DONE = f"""{_SIMPLE_WITH}, done AS ({_SIMPLE_UPDATE})
SELECT coalesce((SELECT array_agg(asset_id) FROM done), '{{{{}}}}') AS asset_ids,
       coalesce(array_agg(probe_id), '{{{{}}}}') AS probe_ids, coalesce(array_agg(school_id), '{{{{}}}}') AS school_ids
  FROM (SELECT DISTINCT probe_id, school_id FROM done) pairs
"""  # noqa: S608 (only constants)

# Sorts and hashes of a pass fit in memory this way (the default 4 MB spills them to disk); the
# statistics of a day partition lag behind its newest rows, and with them the planner would probe
# indexes row by row where hash joins are many times faster. No JIT: the one nested loop left (the
# state's look-up per asset) carries the planner's penalty for disabled plans, which puts the pass's
# estimate far above `jit_above_cost`, and a server built with LLVM would compile the statement anew in
# every pass. The commit need not wait for the disk: a pass lost in a crash is lost whole, marks
# included, and simply done again.
DERIVATION_SETTINGS = "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; SET LOCAL synchronous_commit = off"
# `SIMPLE` looks up each access point's state and asset row through their unique indexes, nothing else: the
# planner, guessing the pass's rows, could otherwise hash the whole state table (1,000,000 rows nationwide).
SIMPLE_SETTINGS = "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
GENERAL_SETTINGS = "SET LOCAL enable_hashjoin = on; SET LOCAL enable_mergejoin = on; SET LOCAL enable_nestloop = off"


@dataclass
class Derived:
    """What derivation took in: batches and samples (`simple` of them by the access points' own statement,
    in `simple_passes` of its passes: the others had no access point with one sample in a batch); the passes
    that derived access points in the app (`access_point_passes`) and uplinks in SQL (`uplink_passes`); `busy`
    when another process held the lock."""

    batches: int = 0
    samples: int = 0
    simple: int = 0
    simple_passes: int = 0
    access_point_passes: int = 0
    uplink_passes: int = 0
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


async def _derive_access_points(batch_ids: list[int], done: list[int], touched: dict[int, set[int]],
                                setup: str) -> list[str]:
    """The access points of the pass that `SIMPLE` did not take, derived in the app (`ap_pass`), after the
    statements `setup`. Their rows go to temporary tables here; the statements that take them from there
    are returned, for the pass's last round trip."""
    await execute(f"{setup}{ap_pass.SETTINGS}; {AP_TABLES_READY}")
    samples = ap_pass.decode((await fetch(ap_pass.SAMPLES, batch_ids, done))[0], ap_pass.SAMPLE_COLUMNS)
    if not len(samples["asset_id"]):
        return []
    octets = await fetch(ap_pass.OCTETS, batch_ids) if samples["octets"].any() else []
    samples = ap_pass.with_octets(samples, octets)
    prior = ap_pass.decode((await fetch(ap_pass.PRIOR, np.unique(samples["asset_id"]).tolist()))[0],
                           ap_pass.PRIOR_COLUMNS)
    # In a thread: the event loop serves requests meanwhile (numpy lets go of the GIL for its loops).
    derived = await asyncio.to_thread(ap_pass.derive, samples, prior)
    writes = []
    if len(derived.states.get("asset_id", ())):
        await copy_in(AP_TABLES["state"], derived.state_copy())
        writes.append(AP_STATE)
    for period, ended in (("hour", derived.ended_hours), ("day", derived.ended_days)):
        if len(ended):
            await copy_in(AP_TABLES[period], ended.copy())
            writes.append(AP_ENDED[period])
    for probe_id, school_id in derived.touched:
        touched[probe_id].add(school_id)  # type: ignore[index]  # a probe's samples have its id
    return writes


def _derived(batch_ids: list[int]) -> str:
    """The statement that marks the pass's batches derived, without placeholders (it travels with others): the
    ids are the database's own integers, the array's braces doubled for `schoolit.sql`'s placeholders."""
    ids = ",".join(str(int(batch_id)) for batch_id in batch_ids)
    return f"UPDATE probe_ingest_batch SET derived_at = now() WHERE id = ANY('{{{{{ids}}}}}'::bigint[])"  # noqa: S608


async def _derive_pass(*, wait: bool, limit: int) -> tuple[Derived, dict[int, set[int]]] | None:
    """One pass in one transaction; None when another process derives right now (and `wait` is off).

    Returns what was derived and, per probe, the schools its samples were about. Under a busy CPU every
    round trip waits for a core, so statements without answers travel together: the settings with the next
    statement, and the access points' writes with the marks."""
    async with atomic():
        if wait:
            await execute("SELECT pg_advisory_xact_lock({})", DERIVATION_LOCK)
        elif not (await fetch("SELECT pg_try_advisory_xact_lock({}) AS locked", DERIVATION_LOCK))[0]["locked"]:
            return None
        pending = await fetch("SELECT id, samples, single_sample_aps, uplink_samples FROM probe_ingest_batch "
                              "WHERE derived_at IS NULL ORDER BY id LIMIT 10000")
        batch_ids = _take(pending, limit)
        if not batch_ids:
            return Derived(), {}
        touched: dict[int, set[int]] = defaultdict(set)
        taken = pending[:len(batch_ids)]
        # An access point with one sample in the pass has one in its batch: without any, `SIMPLE` would
        # read the pass's samples and find nothing (a spool replayed, several poll rounds per batch).
        singles = [row["single_sample_aps"] for row in taken]
        ran_simple = None in singles or sum(singles) > 0
        simple: dict[str, list[int]] = {"asset_ids": []}
        setup = f"{DERIVATION_SETTINGS}; "
        if ran_simple:
            await execute(f"{setup}{SIMPLE_SETTINGS}")
            setup = ""
            simple = (await fetch(SIMPLE_DONE, batch_ids))[0]
            for probe_id, school_id in zip(simple["probe_ids"], simple["school_ids"], strict=True):
                touched[probe_id].add(school_id)
        # The batches count their uplinks' samples (those stored before did not): when `SIMPLE` took every access
        # point's sample (nationwide, nearly every pass), nothing is left for the access points' part; without
        # uplinks' samples, nothing for the uplinks' statement.
        counted = all(row["uplink_samples"] is not None for row in taken)
        access_points = not counted or sum(row["samples"] - row["uplink_samples"] for row in taken) > len(
            simple["asset_ids"])
        uplinks = not counted or any(row["uplink_samples"] for row in taken)
        writes: list[str] = []
        if access_points:
            writes = await _derive_access_points(batch_ids, simple["asset_ids"], touched, setup)
            setup = ""
        if uplinks:
            await execute(f"{setup}{GENERAL_SETTINGS}")
            setup = ""
            for row in await fetch(PASS, batch_ids):
                touched[row["probe_id"]].add(row["school_id"])
        await execute(setup + "; ".join([*writes, _derived(batch_ids)]))  # the settings too, when nothing ran
    return Derived(batches=len(batch_ids), samples=sum(row["samples"] for row in taken),
                   simple=len(simple["asset_ids"]), simple_passes=int(ran_simple),
                   access_point_passes=int(access_points), uplink_passes=int(uplinks)), touched


async def _handle_outages(touched: dict[int, set[int]]) -> None:
    """Outage tickets for the schools a pass touched, each with the scope of the probe that reported."""
    for probe in await directory.probes_by_id(touched):
        await outages.handle_outages(scope_for_probe(probe, None), sorted(touched[probe["id"]]))


async def derive_pending(*, wait: bool = True, limit: int = MAX_SAMPLES_PER_PASS) -> Derived:
    """Derive every batch stored and not derived yet, pass after pass, outages included.

    With `wait` (tests, the CLI) it waits for a pass another process is running and then derives
    what is left; without it (the server's worker) it leaves the work to that process. Outages are
    looked for once the backlog is derived (or every `OUTAGE_CHECK_SECONDS` while it lasts), at every
    school a pass touched since: between two passes the check would hold up the next pass, and outage
    tickets wait for several failed polls, minutes apart, anyway."""
    total = Derived()
    touched: dict[int, set[int]] = defaultdict(set)
    checked = time.perf_counter()
    try:
        while True:
            started = time.perf_counter()
            step = await _derive_pass(wait=wait, limit=limit)
            if step is None:
                total.busy = True
                return total
            derived, schools = step
            if not derived.batches:
                return total
            DERIVATION_PASS_BATCHES.observe(derived.batches)
            DERIVATION_PASS_SECONDS.observe(time.perf_counter() - started)
            total.batches += derived.batches
            total.samples += derived.samples
            total.simple += derived.simple
            total.simple_passes += derived.simple_passes
            total.access_point_passes += derived.access_point_passes
            total.uplink_passes += derived.uplink_passes
            for probe_id, ids in schools.items():
                touched[probe_id] |= ids
            if touched and time.perf_counter() - checked >= OUTAGE_CHECK_SECONDS:
                due, touched, checked = touched, defaultdict(set), time.perf_counter()
                await _handle_outages(due)
    finally:
        if touched:  # what the committed passes touched, even when a later one failed
            await _handle_outages(touched)


# --- the worker in the server ----------------------------------------------------------------------

_wakeup: asyncio.Event | None = None


def wake() -> None:
    """A batch was stored: let this process's worker (if it runs one) derive now."""
    if _wakeup is not None:
        _wakeup.set()


async def run_worker(stop: asyncio.Event, wakeup: asyncio.Event, every: float = RETRY_SECONDS,
                     derive: Callable[..., Awaitable[Derived]] = derive_pending) -> None:
    """Derive (`derive_pending`) whenever woken, and every `every` seconds, until `stop`."""
    while not stop.is_set():
        wakeup.clear()  # batches stored from here on wake the next round
        try:
            await derive(wait=False)
        except Exception:  # the next round tries again; nothing is marked derived that was not
            log.exception("derivation pass failed")
        else:
            if wakeup.is_set() and not stop.is_set():
                continue  # batches were stored while it derived: they have gathered already, derive them now
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout=every)
            if not stop.is_set():
                # Woken after a quiet spell by one stored batch: the batches in flight join it, and
                # the pass pays its costs per asset (state and rollup rows) once for all of them.
                await asyncio.sleep(GATHER_SECONDS)


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
