"""Ingest of sample batches: validate, check the scope, store once — and nothing more on the way in.

One batch is one transaction: the idempotency key and the raw samples (COPY straight into the day
partitions of `probe_sample`), durable before the probe gets its 2xx, which means "stored". A
replayed batch (the probe lost our answer) is recognised by its key and ignored, and a rejected or
failed batch leaves nothing behind.

What follows from the samples — reboots and rates, the state per asset, hourly and daily rollups,
outage tickets — is derived afterwards from the stored batches, in batch order and over many batches
at once (`schoolit.probes.derivation`), which is what makes ingest cheap: one pass amortises the
state and rollup upserts that dominated when every batch paid for its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schoolit.accounts.choices import Permission
from schoolit.accounts.scope import Scope
from schoolit.db import atomic, fetch
from schoolit.errors import FieldError, ValidationFailed
from schoolit.probes.choices import AssetKind
from schoolit.probes.schemas import SampleBatch

SAMPLE_COLUMNS = ("polled_at", "asset_kind", "asset_id", "county_id", "probe_id", "batch_id", "reachable",
                  "response_ms", "uptime_ticks", "clients", "radio_up", "in_octets", "out_octets", "if_speed_mbps",
                  "oper_status", "error")
# Plain ints, not the IntEnum: a batch builds thousands of keys, and an enum member hashes in Python.
_KINDS = {"access_point": int(AssetKind.ACCESS_POINT), "uplink": int(AssetKind.UPLINK)}

@dataclass
class IngestResult:
    stored: int
    duplicate: bool
    batch_id: int | None = None


async def _visible_counties(connection: Any, scope: Scope, ids: dict[str, set[int]]) -> dict[str, dict[int, int]]:
    """The county of every named asset that exists and that the scope may see, by wire kind and id."""
    rows = await connection.fetch(
        "SELECT $1::smallint AS kind, id, county_id, school_id FROM access_point WHERE id = ANY($2::integer[]) "
        "UNION ALL "
        "SELECT $3::smallint, id, county_id, school_id FROM uplink WHERE id = ANY($4::integer[])",
        _KINDS["access_point"], list(ids["access_point"]), _KINDS["uplink"], list(ids["uplink"]))
    # A batch names thousands of assets at a handful of schools: ask the scope once per school.
    sees = {(county_id, school_id): scope.sees(county_id, school_id)
            for county_id, school_id in {(row["county_id"], row["school_id"]) for row in rows}}
    wire = {kind: name for name, kind in _KINDS.items()}
    county: dict[str, dict[int, int]] = {name: {} for name in _KINDS}
    for row in rows:
        if sees[(row["county_id"], row["school_id"])]:
            county[wire[row["kind"]]][row["id"]] = row["county_id"]
    return county


def _check_scope(batch: SampleBatch, visible: dict[str, dict[int, int]]) -> None:
    errors = []
    for index, sample in enumerate(batch.samples):
        if sample.asset_id not in visible[sample.asset_kind]:
            # The same message for unknown and foreign assets: nothing about other counties leaks.
            errors.append(FieldError(f"samples[{index}].asset_id",
                                     f"unknown {sample.asset_kind.replace('_', ' ')} {sample.asset_id}"))
    if errors:
        raise ValidationFailed(errors, detail="the batch names assets outside this probe's scope")


async def ingest(scope: Scope, batch: SampleBatch) -> IngestResult:
    """Store a batch once; returns how many samples were stored (0 for a replay)."""
    scope.require(Permission.PROBE_INGEST)
    probe_id = scope.actor.id
    probe_county = min(scope.county_ids) if scope.county_ids else None
    async with atomic() as transaction:
        claimed = await fetch(
            "INSERT INTO probe_ingest_batch (idempotency_key, probe_id, county_id, received_at, sent_at, samples) "
            "VALUES ({}, {}, {}, now(), {}, {}) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            batch.idempotency_key, probe_id, probe_county, batch.sent_at, len(batch.samples))
        if not claimed:
            return IngestResult(stored=0, duplicate=True)
        ids: dict[str, set[int]] = {name: set() for name in _KINDS}
        for sample in batch.samples:
            ids[sample.asset_kind].add(sample.asset_id)
        county = await _visible_counties(transaction.connection, scope, ids)
        if sum(map(len, county.values())) < sum(map(len, ids.values())):
            _check_scope(batch, county)
        batch_id = claimed[0]["id"]
        kinds = _KINDS
        records = [(s.polled_at, kinds[s.asset_kind], s.asset_id, county[s.asset_kind][s.asset_id], probe_id, batch_id,
                    s.reachable, s.response_ms, s.uptime_ticks, s.clients, s.radio_up, s.in_octets, s.out_octets,
                    s.if_speed_mbps, s.oper_status, s.error) for s in batch.samples]
        await transaction.connection.copy_records_to_table("probe_sample", records=records, columns=SAMPLE_COLUMNS)
    return IngestResult(stored=len(records), duplicate=False, batch_id=batch_id)
