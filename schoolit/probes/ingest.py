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

from schoolit.accounts.choices import Permission
from schoolit.accounts.scope import Scope
from schoolit.db import atomic, fetch
from schoolit.errors import FieldError, ValidationFailed
from schoolit.probes.choices import AssetKind
from schoolit.probes.schemas import SampleBatch

SAMPLE_COLUMNS = ("polled_at", "asset_kind", "asset_id", "county_id", "probe_id", "batch_id", "reachable",
                  "response_ms", "uptime_ticks", "clients", "radio_up", "in_octets", "out_octets", "if_speed_mbps",
                  "oper_status", "error")
_KINDS = {"access_point": AssetKind.ACCESS_POINT, "uplink": AssetKind.UPLINK}

Key = tuple[AssetKind, int]  # (asset kind, asset id)


@dataclass
class IngestResult:
    stored: int
    duplicate: bool
    batch_id: int | None = None


async def _assets(keys: set[Key]) -> dict[Key, tuple[int, int]]:
    """County and school of every asset a batch names that exists."""
    ap_ids = [asset_id for kind, asset_id in keys if kind == AssetKind.ACCESS_POINT]
    uplink_ids = [asset_id for kind, asset_id in keys if kind == AssetKind.UPLINK]
    rows = await fetch("SELECT {}::smallint AS kind, id, county_id, school_id FROM access_point WHERE id = ANY({}) "
                       "UNION ALL "
                       "SELECT {}::smallint, id, county_id, school_id FROM uplink WHERE id = ANY({})",
                       int(AssetKind.ACCESS_POINT), ap_ids, int(AssetKind.UPLINK), uplink_ids)
    return {(AssetKind(row["kind"]), row["id"]): (row["county_id"], row["school_id"]) for row in rows}


def _check_scope(batch: SampleBatch, visible: dict[Key, int]) -> None:
    errors = []
    for index, sample in enumerate(batch.samples):
        if (_KINDS[sample.asset_kind], sample.asset_id) not in visible:
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
        keys = {(_KINDS[s.asset_kind], s.asset_id) for s in batch.samples}
        # The scope is checked per asset, not per sample: a batch names each asset a few times.
        county = {key: county_id for key, (county_id, school_id) in (await _assets(keys)).items()
                  if scope.sees(county_id, school_id)}
        if len(county) < len(keys):
            _check_scope(batch, county)
        batch_id = claimed[0]["id"]
        records = []
        for s in batch.samples:
            kind = _KINDS[s.asset_kind]
            records.append((s.polled_at, kind, s.asset_id, county[(kind, s.asset_id)], probe_id, batch_id,
                            s.reachable, s.response_ms, s.uptime_ticks, s.clients, s.radio_up, s.in_octets,
                            s.out_octets, s.if_speed_mbps, s.oper_status, s.error))
        await transaction.connection.copy_records_to_table("probe_sample", records=records, columns=SAMPLE_COLUMNS)
    return IngestResult(stored=len(records), duplicate=False, batch_id=batch_id)
