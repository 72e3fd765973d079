"""Ingest of sample batches: validate, store once, keep the current state and the rollups.

One batch is one transaction. The idempotency key is stored with the samples, so a replayed batch
(the probe lost our answer) is recognised and ignored, and a failed batch leaves nothing behind.

The work is set-based, in PostgreSQL: the batch is COPYed into a session-local staging table, and a
few statements derive everything from it — the raw samples, per-sample reboots and counter rates
(window functions), the hourly and daily rollups (aggregates merged by addition) and the state per
asset. Python only decodes, checks the scope and ships rows. The rules are those of the reference
model in tests/unit/probes/model.py, and a randomized test holds the two to the same answers:

- rates come from counter deltas over the device's own sysUpTime delta, only between two consecutive
  answered polls; a counter going back (interface reset) or an implausible rate gives no rate;
- a sysUpTime below the last one is a reboot, unless it is the 2^32 wrap (~497 days) — told apart
  by comparing the wrapped difference with the time that really passed;
- a sample older than the asset's last one (a straggler) is stored and counted in rollups, but does
  not move the state.
"""

from __future__ import annotations

from dataclasses import dataclass

from schoolit.accounts.choices import Permission
from schoolit.accounts.scope import Scope
from schoolit.db import atomic, fetch
from schoolit.errors import FieldError, ValidationFailed
from schoolit.probes.choices import AssetKind
from schoolit.probes.schemas import SampleBatch

STAGING_COLUMNS = ("polled_at", "asset_kind", "asset_id", "county_id", "school_id", "reachable", "response_ms",
                   "uptime_ticks", "clients", "radio_up", "in_octets", "out_octets", "if_speed_mbps", "oper_status",
                   "error", "down_mbps", "up_mbps")
SAMPLE_COLUMNS = ("polled_at", "asset_kind", "asset_id", "county_id", "probe_id", "reachable", "response_ms",
                  "uptime_ticks", "clients", "radio_up", "in_octets", "out_octets", "if_speed_mbps", "oper_status",
                  "error")
MAX_PLAUSIBLE_MBPS = 400_000  # nothing a school connects to is faster; more means garbage

_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS probe_incoming (
    polled_at timestamptz NOT NULL, asset_kind smallint NOT NULL, asset_id integer NOT NULL,
    county_id integer NOT NULL, school_id integer NOT NULL, reachable boolean NOT NULL, response_ms real,
    uptime_ticks bigint, clients integer, radio_up boolean, in_octets numeric(20, 0), out_octets numeric(20, 0),
    if_speed_mbps integer, oper_status smallint, error text, down_mbps integer, up_mbps integer
) ON COMMIT DELETE ROWS
"""
_DERIVED = """
CREATE TEMP TABLE IF NOT EXISTS probe_derived (
    polled_at timestamptz NOT NULL, asset_kind smallint NOT NULL, asset_id integer NOT NULL,
    county_id integer NOT NULL, school_id integer NOT NULL, reachable boolean NOT NULL, straggler boolean NOT NULL,
    uptime_ticks bigint, clients integer, radio_up boolean, in_octets numeric(20, 0), out_octets numeric(20, 0),
    rebooted boolean NOT NULL, in_mbps double precision, out_mbps double precision, utilisation double precision
) ON COMMIT DELETE ROWS
"""

# Per sample: is it a straggler, did the device reboot, and the rate since the previous answered poll.
_DERIVE = f"""
INSERT INTO probe_derived
WITH fresh AS (
    SELECT i.*, s.reachable AS s_reachable, s.uptime_ticks AS s_uptime, s.last_up_at AS s_last_up_at,
           s.in_octets AS s_in, s.out_octets AS s_out,
           coalesce(i.polled_at <= s.last_polled_at, false) AS straggler
      FROM probe_incoming i
      LEFT JOIN probe_asset_state s ON s.asset_kind = i.asset_kind AND s.asset_id = i.asset_id
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
SELECT f.polled_at, f.asset_kind, f.asset_id, f.county_id, f.school_id, f.reachable, f.straggler, f.uptime_ticks,
       f.clients, f.radio_up, f.in_octets, f.out_octets, coalesce(p.rebooted, false), p.in_mbps, p.out_mbps,
       CASE WHEN p.in_mbps IS NOT NULL AND p.down_mbps > 0 AND p.up_mbps > 0
            THEN greatest(p.in_mbps / p.down_mbps, p.out_mbps / p.up_mbps) END
  FROM fresh f
  LEFT JOIN plausible p ON p.asset_kind = f.asset_kind AND p.asset_id = f.asset_id AND p.polled_at = f.polled_at
"""  # noqa: S608 (only constants are formatted in)

# Aggregates merge by addition (sums and counts) or GREATEST (maxima), so any split into batches
# gives the same rollup.
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

# The state after the batch: the last sample decides up or down; while down, the figures of the last
# answered poll stay (from this batch, or from before it).
_STATE = """
WITH marked AS (
    SELECT d.*, max(d.polled_at) FILTER (WHERE d.reachable) OVER (PARTITION BY d.asset_kind, d.asset_id) AS last_up
      FROM probe_derived d WHERE NOT d.straggler
), per AS (
    SELECT asset_kind, asset_id, county_id, school_id, max(polled_at) AS last_at, max(last_up) AS last_up,
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
SELECT p.asset_kind, p.asset_id, p.county_id, p.school_id, {}, p.last_at, p.reachable,
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

Key = tuple[AssetKind, int]  # (asset kind, asset id)


@dataclass
class IngestResult:
    stored: int
    duplicate: bool
    assets: list[Key]  # the assets this batch was about (outage handling looks at their state)


async def _assets(keys: set[Key]) -> dict[Key, tuple[int, int, int | None, int | None]]:
    """county, school and (uplinks) contracted down/up rates of the assets a batch names."""
    found: dict[Key, tuple[int, int, int | None, int | None]] = {}
    ap_ids = [asset_id for kind, asset_id in keys if kind == AssetKind.ACCESS_POINT]
    uplink_ids = [asset_id for kind, asset_id in keys if kind == AssetKind.UPLINK]
    if ap_ids:
        for row in await fetch("SELECT id, county_id, school_id FROM access_point WHERE id = ANY({})", ap_ids):
            found[(AssetKind.ACCESS_POINT, row["id"])] = (row["county_id"], row["school_id"], None, None)
    if uplink_ids:
        for row in await fetch(
                "SELECT id, county_id, school_id, down_mbps, up_mbps FROM uplink WHERE id = ANY({})", uplink_ids):
            found[(AssetKind.UPLINK, row["id"])] = (row["county_id"], row["school_id"], row["down_mbps"],
                                                    row["up_mbps"])
    return found


def _check_scope(scope: Scope, batch: SampleBatch, assets: dict[Key, tuple[int, int, int | None, int | None]]) -> None:
    errors = []
    for index, sample in enumerate(batch.samples):
        asset = assets.get((AssetKind.from_wire(sample.asset_kind), sample.asset_id))
        if asset is None or not scope.sees(asset[0], asset[1]):
            # The same message for unknown and foreign assets: nothing about other counties leaks.
            errors.append(FieldError(f"samples[{index}].asset_id",
                                     f"unknown {sample.asset_kind.replace('_', ' ')} {sample.asset_id}"))
    if errors:
        raise ValidationFailed(errors, detail="the batch names assets outside this probe's scope")


async def ingest(scope: Scope, batch: SampleBatch) -> IngestResult:
    """Store a batch once; returns how many samples were stored and which assets it was about."""
    scope.require(Permission.PROBE_INGEST)
    probe_id = scope.actor.id
    probe_county = min(scope.county_ids) if scope.county_ids else None
    async with atomic() as transaction:
        claimed = await fetch(
            "INSERT INTO probe_ingest_batch (idempotency_key, probe_id, county_id, received_at, sent_at, samples) "
            "VALUES ({}, {}, {}, now(), {}, {}) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            batch.idempotency_key, probe_id, probe_county, batch.sent_at, len(batch.samples))
        if not claimed:
            return IngestResult(stored=0, duplicate=True, assets=[])
        kinds = {"access_point": AssetKind.ACCESS_POINT, "uplink": AssetKind.UPLINK}
        keys = {(kinds[s.asset_kind], s.asset_id) for s in batch.samples}
        assets = await _assets(keys)
        _check_scope(scope, batch, assets)
        records = []
        for s in batch.samples:
            kind = kinds[s.asset_kind]
            county_id, school_id, down, up = assets[(kind, s.asset_id)]
            records.append((s.polled_at, kind, s.asset_id, county_id, school_id, s.reachable, s.response_ms,
                            s.uptime_ticks, s.clients, s.radio_up, s.in_octets, s.out_octets, s.if_speed_mbps,
                            s.oper_status, s.error, down, up))
        connection = transaction.connection
        await connection.execute(_STAGING)
        await connection.execute(_DERIVED)
        # Session-local tables outlive one ingest when a caller's transaction spans several.
        await connection.execute("TRUNCATE probe_incoming, probe_derived")
        await connection.copy_records_to_table("probe_incoming", records=records, columns=STAGING_COLUMNS)
        await connection.execute("ANALYZE probe_incoming")  # fresh statistics: the planner's joins depend on them
        await connection.execute(
            f"INSERT INTO probe_sample ({', '.join(SAMPLE_COLUMNS)}) "  # noqa: S608 (constants)
            f"SELECT {', '.join('$1' if c == 'probe_id' else c for c in SAMPLE_COLUMNS)} FROM probe_incoming",
            probe_id)
        await connection.execute(_DERIVE)
        await connection.execute("ANALYZE probe_derived")
        await connection.execute(_ROLLUP.format(table="probe_rollup_hourly", period="hour",
                                                bucket="date_trunc('hour', polled_at, 'UTC')"))
        await connection.execute(_ROLLUP.format(table="probe_rollup_daily", period="day",
                                                bucket="(polled_at AT TIME ZONE 'Europe/Berlin')::date"))
        await fetch(_STATE, probe_id)
    return IngestResult(stored=len(records), duplicate=False, assets=sorted(keys))
