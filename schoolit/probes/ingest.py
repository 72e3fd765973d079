"""Ingest of sample batches: validate, check the scope, store once — and nothing more on the way in.

One batch is one transaction: the idempotency key and the raw samples (COPY straight into the day
partitions of `probe_sample`), durable before the probe gets its 2xx, which means "stored". A
replayed batch (the probe lost our answer) is recognised by its key and ignored, and a failed batch
leaves nothing behind. Samples of assets that do not exist (deleted since the probe fetched its
targets) or that the probe may not report are refused one by one and named in the answer; the batch's
other samples are stored. The one query that finds the assets' counties decides this for the whole
batch, so a batch costs no more queries with refusals than without. The run report a batch may carry
(`RunReport`) is kept per probe in `probe_run`.

What follows from the samples — reboots and rates, the state per asset, hourly and daily rollups,
outage tickets — is derived afterwards from the stored batches, in batch order and over many batches
at once (`schoolit.probes.derivation`), which is what makes ingest cheap: one pass amortises the
state and rollup upserts that dominated when every batch paid for its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.inventory.wlan_controllers import controller_places
from schoolit.kernel.access import Permission
from schoolit.logs import get_logger
from schoolit.probes import outages
from schoolit.probes.agent.wire import ControllerReport, RefusedSample, Sample, SampleBatch
from schoolit.probes.choices import AssetKind
from schoolit.sql import copy_records, fetch

log = get_logger("schoolit.probes")

SAMPLE_COLUMNS = ("polled_at", "asset_kind", "asset_id", "county_id", "probe_id", "batch_id", "reachable",
                  "response_ms", "uptime_ticks", "clients", "radio_up", "in_octets", "out_octets", "if_speed_mbps",
                  "oper_status", "error", "icmp_reachable", "counter_bits")
# Plain ints, not the IntEnum: a batch builds thousands of keys, and an enum member hashes in Python.
_KINDS = {"access_point": int(AssetKind.ACCESS_POINT), "uplink": int(AssetKind.UPLINK)}

@dataclass
class IngestResult:
    stored: int
    duplicate: bool
    batch_id: int | None = None
    refused: list[RefusedSample] = field(default_factory=list)


async def _visible_counties(scope: Scope, ids: dict[str, set[int]]) -> dict[str, dict[int, int]]:
    """The county of every named asset that exists and that the scope may see, by wire kind and id."""
    # One row per school and kind with its assets' ids (a batch names thousands of assets at a handful
    # of schools): no row and no dict per asset in Python, and the scope is asked once per school.
    rows = await fetch(
        "SELECT kind, county_id, school_id, array_agg(id) AS ids FROM ("
        "SELECT {}::smallint AS kind, id, county_id, school_id FROM access_point WHERE id = ANY({}::integer[]) "
        "UNION ALL "
        "SELECT {}::smallint, id, county_id, school_id FROM uplink WHERE id = ANY({}::integer[])) a "
        "GROUP BY 1, 2, 3",
        _KINDS["access_point"], list(ids["access_point"]), _KINDS["uplink"], list(ids["uplink"]))
    wire = {kind: name for name, kind in _KINDS.items()}
    county: dict[str, dict[int, int]] = {name: {} for name in _KINDS}
    for row in rows:
        if scope.sees(row["county_id"], row["school_id"]):
            county[wire[row["kind"]]].update(dict.fromkeys(row["ids"], row["county_id"]))
    return county


def _refused(batch: SampleBatch, visible: dict[str, dict[int, int]]) -> list[RefusedSample]:
    # The same words for unknown and foreign assets: nothing about other counties leaks.
    return [RefusedSample(index, sample.asset_kind, sample.asset_id,
                          f"unknown {sample.asset_kind.replace('_', ' ')} {sample.asset_id}")
            for index, sample in enumerate(batch.samples)
            if sample.asset_id not in visible.get(sample.asset_kind, {})]


_RUN_UPSERT = (
    "INSERT INTO probe_run AS r (probe_id, started_at, reported_at, duration_s, targets, reachable, failed, "
    "spool_replayed, spool_damaged, samples_refused, version) VALUES ({}, {}, now(), {}, {}, {}, {}, {}, {}, {}, {}) "
    "ON CONFLICT (probe_id) DO UPDATE SET started_at = EXCLUDED.started_at, reported_at = now(), "
    "duration_s = EXCLUDED.duration_s, targets = EXCLUDED.targets, reachable = EXCLUDED.reachable, "
    "failed = EXCLUDED.failed, spool_replayed = EXCLUDED.spool_replayed, spool_damaged = EXCLUDED.spool_damaged, "
    "samples_refused = EXCLUDED.samples_refused, version = EXCLUDED.version "
    "WHERE r.started_at <= EXCLUDED.started_at")  # a late replay keeps the newer run


_CONTROLLER_UPSERT = (
    "INSERT INTO probe_controller_state AS c (controller_id, county_id, probe_id, polled_at, reachable, error, "
    "listed, matched, unknown, updated_at, consecutive_failures, down_since) "
    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}::jsonb, now(), CASE WHEN {} THEN 0 ELSE 1 END, "
    "CASE WHEN {} THEN NULL ELSE {}::timestamptz END) "
    "ON CONFLICT (controller_id) DO UPDATE SET county_id = EXCLUDED.county_id, probe_id = EXCLUDED.probe_id, "
    "polled_at = EXCLUDED.polled_at, reachable = EXCLUDED.reachable, error = EXCLUDED.error, "
    "listed = CASE WHEN EXCLUDED.reachable THEN EXCLUDED.listed ELSE c.listed END, "
    "matched = CASE WHEN EXCLUDED.reachable THEN EXCLUDED.matched ELSE c.matched END, "
    "unknown = CASE WHEN EXCLUDED.reachable THEN EXCLUDED.unknown ELSE c.unknown END, updated_at = now(), "
    "consecutive_failures = CASE WHEN EXCLUDED.reachable THEN 0 ELSE c.consecutive_failures + 1 END, "
    "down_since = CASE WHEN EXCLUDED.reachable THEN NULL ELSE coalesce(c.down_since, EXCLUDED.polled_at) END "
    "WHERE c.polled_at < EXCLUDED.polled_at")  # a late replay keeps the newer poll; a failed one its last list


async def _store_controllers(scope: Scope, probe_id: int | None, reports: list[ControllerReport]) -> None:
    """Keep each visible controller's last poll (the adoption list among it); others are ignored."""
    places = await controller_places(sorted({report.controller_id for report in reports}))
    for report in reports:
        place = places.get(report.controller_id)
        if place is None or not scope.sees(*place):
            continue
        unknown = msgspec.json.encode(report.unknown).decode()
        await fetch(_CONTROLLER_UPSERT, report.controller_id, place[0], probe_id, report.polled_at, report.reachable,
                    report.error, report.listed, report.matched, unknown, report.reachable, report.reachable,
                    report.polled_at)


@dataclass
class _Tally:
    """What one look at a batch's samples finds: the assets named, by wire kind; the access points with one
    sample (only they can take derivation's simple statement); the uplinks' samples (a pass without any skips
    the uplinks' statement); samples of other kinds (refused)."""

    ids: dict[str, set[int]]
    single_sample_aps: int
    uplink_samples: int
    other_kinds: int


def _tally(samples: list[Sample]) -> _Tally:
    ids: dict[str, set[int]] = {name: set() for name in _KINDS}
    aps, uplinks, repeated = ids["access_point"], ids["uplink"], set()
    uplink_samples = other_kinds = 0
    for sample in samples:  # one loop without a Counter: thousands of samples a batch
        if sample.asset_kind == "access_point":
            if sample.asset_id in aps:
                repeated.add(sample.asset_id)
            else:
                aps.add(sample.asset_id)
        elif sample.asset_kind == "uplink":
            uplinks.add(sample.asset_id)
            uplink_samples += 1
        else:  # a controller's own sample (the agent sends its report instead): refused
            other_kinds += 1
    return _Tally(ids, len(aps) - len(repeated), uplink_samples, other_kinds)


async def ingest(scope: Scope, batch: SampleBatch) -> IngestResult:
    """Store a batch once: the samples of visible assets, the others refused (and listed)."""
    scope.require(Permission.PROBE_INGEST)
    probe_id = scope.actor.id
    probe_county = min(scope.county_ids) if scope.county_ids else None
    async with atomic():
        tally = _tally(batch.samples)
        county = await _visible_counties(scope, tally.ids)
        kinds = _KINDS
        if not tally.other_kinds and sum(map(len, county.values())) == sum(map(len, tally.ids.values())):
            refused: list[RefusedSample] = []
            samples = batch.samples
        else:
            refused = _refused(batch, county)
            samples = [s for s in batch.samples if s.asset_id in county.get(s.asset_kind, {})]
            tally = _tally(samples)  # what is stored
        claimed = await fetch(
            "INSERT INTO probe_ingest_batch (idempotency_key, probe_id, county_id, received_at, sent_at, samples, "
            "single_sample_aps, uplink_samples) VALUES ({}, {}, {}, now(), {}, {}, {}, {}) "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            batch.idempotency_key, probe_id, probe_county, batch.sent_at, len(samples), tally.single_sample_aps,
            tally.uplink_samples)
        if not claimed:
            return IngestResult(stored=0, duplicate=True)
        batch_id = claimed[0]["id"]
        records = [(s.polled_at, kinds[s.asset_kind], s.asset_id, county[s.asset_kind][s.asset_id], probe_id, batch_id,
                    s.reachable, s.response_ms, s.uptime_ticks, s.clients, s.radio_up, s.in_octets, s.out_octets,
                    s.if_speed_mbps, s.oper_status, s.error, s.icmp_reachable, s.counter_bits) for s in samples]
        if records:
            await copy_records("probe_sample", records, SAMPLE_COLUMNS)
        if batch.run is not None and probe_id is not None:
            run = batch.run
            await fetch(_RUN_UPSERT, probe_id, run.started_at, run.duration_s, run.targets, run.reachable, run.failed,
                        run.spool_replayed, run.spool_damaged, run.samples_refused + len(refused), run.version[:40])
        if batch.controllers:
            await _store_controllers(scope, probe_id, batch.controllers)
    if batch.controllers:
        # After the batch is durable: a ticket that cannot be filed must not cost the samples.
        try:
            await outages.handle_controller_outages(scope, [report.controller_id for report in batch.controllers])
        except Exception:
            log.exception("controller outages not handled", probe_id=probe_id)
    return IngestResult(stored=len(records), duplicate=False, batch_id=batch_id, refused=refused)
