"""Ingest of sample batches: validate, check the scope, store once — and nothing more on the way in.

One batch is one transaction: the idempotency key and the raw samples (COPY straight into the day
partitions of `probe_sample`), durable before the probe gets its 2xx, which means "stored". A
replayed batch (the probe lost our answer) is recognised by its key and ignored, and a failed batch
leaves nothing behind. Samples of assets that do not exist (deleted since the probe fetched its
targets) or that the probe may not report are refused one by one and named in the answer; the batch's
other samples are stored. The one query that finds the assets' counties decides this for the whole
batch, so a batch costs no more queries with refusals than without. The run report a batch may carry
(`RunReport`) is kept per probe in `probe_run`.

A batch's samples, as columns (`SampleColumns`, what the agent sends) or as objects (turned into columns
first), become one numpy array per column: the scope check, the refusals and the batch's counts are array
operations, and the COPY is binary, built by `schoolit.binary_copy` — no tuple per sample and no encoding of
each value by asyncpg, which took about a third of the server's time on ingest.

What follows from the samples — reboots and rates, the state per asset, hourly and daily rollups,
outage tickets — is derived afterwards from the stored batches, in batch order and over many batches
at once (`schoolit.probes.derivation`), which is what makes ingest cheap: one pass amortises the
state and rollup upserts that dominated when every batch paid for its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import msgspec
import numpy as np

from schoolit import binary_copy
from schoolit.accounts.scope import Scope
from schoolit.binary_copy import NUMERIC, TEXT, Array
from schoolit.db import atomic
from schoolit.inventory.wlan_controllers import controller_places
from schoolit.kernel.access import Permission
from schoolit.logs import get_logger
from schoolit.probes import access_point_pass as ap_pass
from schoolit.probes import outages
from schoolit.probes.agent.wire import ControllerReport, RefusedSample, SampleBatch, SampleColumns, columns_of
from schoolit.probes.choices import AssetKind
from schoolit.sql import copy_in, fetch

log = get_logger("schoolit.probes")

# The columns of probe_sample a batch fills, with their types in binary COPY (`schoolit.binary_copy`).
STORED = (("polled_at", "timestamptz"), ("asset_kind", "smallint"), ("asset_id", "integer"),
          ("county_id", "integer"), ("probe_id", "integer"), ("batch_id", "bigint"), ("reachable", "boolean"),
          ("response_ms", "real"), ("uptime_ticks", "bigint"), ("clients", "integer"), ("radio_up", "boolean"),
          ("in_octets", NUMERIC), ("out_octets", NUMERIC), ("if_speed_mbps", "integer"), ("oper_status", "smallint"),
          ("error", TEXT), ("icmp_reachable", "boolean"), ("counter_bits", "smallint"))
SAMPLE_COLUMNS = tuple(name for name, _ in STORED)
_NUMBERS = {"timestamptz": np.int64, "smallint": np.int64, "integer": np.int64, "bigint": np.int64,
            "boolean": np.bool_, "real": np.float64, NUMERIC: np.uint64}
_KINDS = {"access_point": int(AssetKind.ACCESS_POINT), "uplink": int(AssetKind.UPLINK)}
_UNIX_EPOCH_US = ap_pass.microseconds(dt.datetime(1970, 1, 1, tzinfo=dt.UTC))  # in PostgreSQL's binary time
_EXACT = 2.0**53  # integers below it survive the way through float64 (which turns null into NaN)


@dataclass
class IngestResult:
    stored: int
    duplicate: bool
    batch_id: int | None = None
    refused: list[RefusedSample] = field(default_factory=list)


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
    """What one look at a batch's samples finds: the assets named, by kind (sorted, once each); the access
    points with one sample (only they can take derivation's simple statement); the uplinks' samples (a pass
    without any skips the uplinks' statement)."""

    ids: dict[int, Array]
    single_sample_aps: int
    uplink_samples: int


def _tally(kinds: Array, ids: Array) -> _Tally:
    access_points, counts = np.unique(ids[kinds == _KINDS["access_point"]], return_counts=True)
    of_uplinks = kinds == _KINDS["uplink"]
    return _Tally({_KINDS["access_point"]: access_points, _KINDS["uplink"]: np.unique(ids[of_uplinks])},
                  int(np.count_nonzero(counts == 1)), int(np.count_nonzero(of_uplinks)))


async def _counties(scope: Scope, kinds: Array, ids: Array, named: dict[int, Array]) -> Array:
    """The county of every sample's asset, or 0 where it does not exist or the scope may not see it."""
    # One row per school and kind with its assets' ids (a batch names thousands of assets at a handful
    # of schools): no row and no dict per asset in Python, and the scope is asked once per school.
    rows = await fetch(
        "SELECT kind, county_id, school_id, array_agg(id) AS ids FROM ("
        "SELECT {}::smallint AS kind, id, county_id, school_id FROM access_point WHERE id = ANY({}::integer[]) "
        "UNION ALL "
        "SELECT {}::smallint, id, county_id, school_id FROM uplink WHERE id = ANY({}::integer[])) a "
        "GROUP BY 1, 2, 3",
        _KINDS["access_point"], named[_KINDS["access_point"]].tolist(), _KINDS["uplink"],
        named[_KINDS["uplink"]].tolist())
    county = np.zeros(len(ids), np.int64)
    for kind in _KINDS.values():
        visible = [row for row in rows if row["kind"] == kind and scope.sees(row["county_id"], row["school_id"])]
        if not visible:
            continue
        known = np.concatenate([np.asarray(row["ids"], np.int64) for row in visible])
        counties = np.concatenate([np.full(len(row["ids"]), row["county_id"], np.int64) for row in visible])
        order = np.argsort(known)
        known, counties = known[order], counties[order]
        of_kind = np.flatnonzero(kinds == kind)
        position = np.minimum(np.searchsorted(known, ids[of_kind]), len(known) - 1)
        county[of_kind] = np.where(known[position] == ids[of_kind], counties[position], 0)
    return county


def _refused(columns: SampleColumns, indexes: Array) -> list[RefusedSample]:
    # The same words for unknown and foreign assets: nothing about other counties leaks.
    refused = []
    for index in indexes.tolist():
        kind, asset_id = columns.asset_kind[index], columns.asset_id[index]
        refused.append(RefusedSample(index, kind, asset_id, f"unknown {kind.replace('_', ' ')} {asset_id}"))
    return refused


def _numbers(values: list[Any] | None, count: int, kind: type) -> tuple[Array, Array | None]:
    """A column's values as an array, and where they are null (None: nowhere); an absent column is all null."""
    if values is None:
        return np.zeros(count, kind), np.ones(count, bool)
    if None not in values:
        return np.asarray(values, dtype=kind), None
    as_float = np.array(values, dtype=np.float64)
    null = np.isnan(as_float)
    if kind is np.float64 or not np.any(np.abs(as_float[~null]) >= _EXACT):
        return np.where(null, 0, as_float).astype(kind), null
    return np.array([0 if value is None else value for value in values], dtype=kind), null  # large counters


def _texts(values: list[str | None] | None, count: int) -> tuple[list[bytes], Array]:
    """A text column as UTF-8 bytes, and where it is null."""
    if values is None:
        return [b""] * count, np.ones(count, bool)
    return [b"" if value is None else value.encode() for value in values], \
        np.fromiter((value is None for value in values), bool, count)


def _copy(columns: SampleColumns, kinds: Array, ids: Array, county: Array, probe_id: int | None, batch_id: int,
          keep: Array | None) -> bytes:
    """The binary COPY of the batch's samples (those in `keep`, or all) into `SAMPLE_COLUMNS`."""
    count = len(columns)
    given: dict[str, tuple[Array | list[bytes], Array | None]] = {
        "polled_at": (np.asarray(columns.polled_at_us, np.int64) + _UNIX_EPOCH_US, None),
        "asset_kind": (kinds, None), "asset_id": (ids, None),
        "county_id": (county, None),
        "probe_id": (np.full(count, probe_id or 0), None if probe_id is not None else np.ones(count, bool)),
        "batch_id": (np.full(count, batch_id, np.int64), None)}
    fields = []
    for name, kind in STORED:
        if name in given:
            values, null = given[name]
        elif kind == TEXT:
            values, null = _texts(getattr(columns, name), count)
        else:
            values, null = _numbers(getattr(columns, name), count, _NUMBERS[kind])
        if keep is not None:
            values = [values[index] for index in np.flatnonzero(keep).tolist()] if isinstance(values, list) \
                else values[keep]
            null = None if null is None else null[keep]
        fields.append(binary_copy.Field(kind, values, null))
    return binary_copy.rows(fields)


async def ingest(scope: Scope, batch: SampleBatch) -> IngestResult:
    """Store a batch once: the samples of visible assets, the others refused (and listed)."""
    scope.require(Permission.PROBE_INGEST)
    probe_id = scope.actor.id
    probe_county = min(scope.county_ids) if scope.county_ids else None
    columns = batch.columns if batch.columns is not None else columns_of(batch.samples)
    # Other kinds (a controller's own sample: the agent sends its report instead) are refused.
    kinds = np.fromiter((_KINDS.get(kind, -1) for kind in columns.asset_kind), np.int64, len(columns))
    ids = np.asarray(columns.asset_id, np.int64)
    async with atomic():
        tally = _tally(kinds, ids)
        county = await _counties(scope, kinds, ids, tally.ids)
        stored = county > 0
        if stored.all():
            refused: list[RefusedSample] = []
            keep = None
        else:
            refused = _refused(columns, np.flatnonzero(~stored))
            keep = stored
            tally = _tally(kinds[keep], ids[keep])  # what is stored
        count = int(np.count_nonzero(stored))
        claimed = await fetch(
            "INSERT INTO probe_ingest_batch (idempotency_key, probe_id, county_id, received_at, sent_at, samples, "
            "single_sample_aps, uplink_samples) VALUES ({}, {}, {}, now(), {}, {}, {}, {}) "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            batch.idempotency_key, probe_id, probe_county, batch.sent_at, count, tally.single_sample_aps,
            tally.uplink_samples)
        if not claimed:
            return IngestResult(stored=0, duplicate=True)
        batch_id = claimed[0]["id"]
        if count:
            await copy_in("probe_sample", _copy(columns, kinds, ids, county, probe_id, batch_id, keep), SAMPLE_COLUMNS)
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
    return IngestResult(stored=count, duplicate=False, batch_id=batch_id, refused=refused)
