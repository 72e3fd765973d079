"""Ingest of sample batches: validate, store once, keep the current state and the rollups.

One batch is one transaction: the idempotency key is stored with the samples, so a replayed batch
(the probe lost our answer) is recognised and ignored, and a failed batch leaves nothing behind.
Samples go in with COPY; state and rollups with one set-based upsert each.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from schoolit.accounts.choices import Permission
from schoolit.accounts.scope import Scope
from schoolit.db import atomic, fetch
from schoolit.errors import FieldError, ValidationFailed
from schoolit.probes.choices import AssetKind
from schoolit.probes.derive import Observation, State, Step, advance
from schoolit.probes.schemas import Sample, SampleBatch

BERLIN = ZoneInfo("Europe/Berlin")
SAMPLE_COLUMNS = ("polled_at", "asset_kind", "asset_id", "county_id", "probe_id", "reachable", "response_ms",
                  "uptime_ticks", "clients", "radio_up", "in_octets", "out_octets", "if_speed_mbps", "oper_status",
                  "error")
STATE_FIELDS = ("last_polled_at", "reachable", "consecutive_failures", "down_since", "last_up_at", "uptime_ticks",
                "reboots", "last_reboot_at", "clients", "radio_up", "in_octets", "out_octets", "in_mbps", "out_mbps",
                "utilisation")
STATE_TYPES = ("timestamptz", "boolean", "integer", "timestamptz", "timestamptz", "bigint", "integer", "timestamptz",
               "integer", "boolean", "numeric", "numeric", "real", "real", "real")
ROLLUP_FIELDS = ("samples", "up_samples", "clients_sum", "clients_max", "rate_samples", "in_mbps_sum",
                 "out_mbps_sum", "in_mbps_max", "out_mbps_max", "utilisation_max")
ROLLUP_TYPES = ("integer", "integer", "bigint", "integer", "integer", "real", "real", "real", "real", "real")

Key = tuple[AssetKind, int]  # (asset kind, asset id)


@dataclass
class Transitions:
    """Assets whose state changed in a way outage handling cares about."""

    down: dict[Key, int] = field(default_factory=dict)  # asset -> consecutive failures now
    back: list[Key] = field(default_factory=list)


@dataclass
class IngestResult:
    stored: int
    duplicate: bool
    transitions: Transitions = field(default_factory=Transitions)


@dataclass
class _Rollup:
    samples: int = 0
    up_samples: int = 0
    clients_sum: int = 0
    clients_max: int | None = None
    rate_samples: int = 0
    in_mbps_sum: float = 0.0
    out_mbps_sum: float = 0.0
    in_mbps_max: float | None = None
    out_mbps_max: float | None = None
    utilisation_max: float | None = None

    def add(self, sample: Sample, step: Step) -> None:
        self.samples += 1
        if sample.reachable:
            self.up_samples += 1
            if sample.clients is not None:
                self.clients_sum += sample.clients
                self.clients_max = max(self.clients_max or 0, sample.clients)
        if step.rate is not None:
            rate = step.rate
            self.rate_samples += 1
            self.in_mbps_sum += rate.in_mbps
            self.out_mbps_sum += rate.out_mbps
            self.in_mbps_max = max(self.in_mbps_max or 0.0, rate.in_mbps)
            self.out_mbps_max = max(self.out_mbps_max or 0.0, rate.out_mbps)
            if rate.utilisation is not None:
                self.utilisation_max = max(self.utilisation_max or 0.0, rate.utilisation)

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in ROLLUP_FIELDS)


async def _assets(keys: set[Key]) -> dict[Key, dict[str, Any]]:
    """county, school and (uplinks) contracted rates of the assets a batch names."""
    found: dict[Key, dict[str, Any]] = {}
    ap_ids = [asset_id for kind, asset_id in keys if kind == AssetKind.ACCESS_POINT]
    uplink_ids = [asset_id for kind, asset_id in keys if kind == AssetKind.UPLINK]
    if ap_ids:
        for row in await fetch("SELECT id, county_id, school_id FROM access_point WHERE id = ANY({})", ap_ids):
            found[(AssetKind.ACCESS_POINT, row["id"])] = {**row, "contract": None}
    if uplink_ids:
        for row in await fetch(
                "SELECT id, county_id, school_id, down_mbps, up_mbps FROM uplink WHERE id = ANY({})", uplink_ids):
            found[(AssetKind.UPLINK, row["id"])] = {**row, "contract": (row["down_mbps"], row["up_mbps"])}
    return found


async def _states(keys: list[Key]) -> dict[Key, State]:
    if not keys:
        return {}
    rows = await fetch(
        f"SELECT asset_kind, asset_id, {', '.join(STATE_FIELDS)} FROM probe_asset_state "  # noqa: S608 (constants)
        "WHERE (asset_kind, asset_id) IN (SELECT * FROM unnest({}::smallint[], {}::integer[]))",
        [k for k, _ in keys], [i for _, i in keys])
    states = {}
    for row in rows:
        values = {name: row[name] for name in STATE_FIELDS}
        for counter in ("in_octets", "out_octets"):
            values[counter] = int(values[counter]) if values[counter] is not None else None
        states[(row["asset_kind"], row["asset_id"])] = State(**values)
    return states


def _check_scope(scope: Scope, batch: SampleBatch, assets: dict[Key, dict[str, Any]]) -> None:
    errors = []
    for index, sample in enumerate(batch.samples):
        key = (AssetKind.from_wire(sample.asset_kind), sample.asset_id)
        asset = assets.get(key)
        if asset is None or not scope.sees(asset["county_id"], asset["school_id"]):
            # The same message for unknown and foreign assets: nothing about other counties leaks.
            errors.append(FieldError(f"samples[{index}].asset_id",
                                     f"unknown {sample.asset_kind.replace('_', ' ')} {sample.asset_id}"))
    if errors:
        raise ValidationFailed(errors, detail="the batch names assets outside this probe's scope")


async def ingest(scope: Scope, batch: SampleBatch) -> IngestResult:
    """Store a batch once; returns what was stored and which assets went down or came back."""
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
        keys = {(AssetKind.from_wire(s.asset_kind), s.asset_id) for s in batch.samples}
        assets = await _assets(keys)
        _check_scope(scope, batch, assets)
        states = await _states(sorted(keys))

        records: list[tuple[Any, ...]] = []
        hourly: dict[tuple[int, int, dt.datetime], _Rollup] = defaultdict(_Rollup)
        daily: dict[tuple[int, int, dt.date], _Rollup] = defaultdict(_Rollup)
        transitions = Transitions()
        ordered = sorted(batch.samples, key=lambda s: (s.asset_kind, s.asset_id, s.polled_at))
        for sample in ordered:
            key = (AssetKind.from_wire(sample.asset_kind), sample.asset_id)
            asset = assets[key]
            previous = states.get(key)
            if previous and previous.last_polled_at and sample.polled_at <= previous.last_polled_at:
                step = Step(previous, None, False, False, False)  # a late straggler: stored, not re-derived
            else:
                step = advance(previous, Observation(
                    polled_at=sample.polled_at, reachable=sample.reachable, uptime_ticks=sample.uptime_ticks,
                    clients=sample.clients, radio_up=sample.radio_up, in_octets=sample.in_octets,
                    out_octets=sample.out_octets, if_speed_mbps=sample.if_speed_mbps), asset["contract"])
                states[key] = step.state
                if not step.state.reachable:
                    transitions.down[key] = step.state.consecutive_failures
                elif step.came_back:
                    transitions.back.append(key)
                    transitions.down.pop(key, None)
            records.append((sample.polled_at, key[0], key[1], asset["county_id"], probe_id, sample.reachable,
                            sample.response_ms, sample.uptime_ticks, sample.clients, sample.radio_up,
                            sample.in_octets, sample.out_octets, sample.if_speed_mbps, sample.oper_status,
                            sample.error))
            hour = sample.polled_at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
            hourly[(key[0], key[1], hour)].add(sample, step)
            daily[(key[0], key[1], sample.polled_at.astimezone(BERLIN).date())].add(sample, step)

        await transaction.connection.copy_records_to_table("probe_sample", records=records, columns=SAMPLE_COLUMNS)
        await _upsert_states(states, assets, keys, probe_id)
        await _upsert_rollups("probe_rollup_hourly", "hour", "timestamptz", hourly, assets)
        await _upsert_rollups("probe_rollup_daily", "day", "date", daily, assets)
    return IngestResult(stored=len(records), duplicate=False, transitions=transitions)


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(width)] if rows else [[] for _ in range(width)]


async def _upsert_states(states: dict[Key, State], assets: dict[Key, dict[str, Any]], keys: set[Key],
                         probe_id: int | None) -> None:
    rows = [(k[0], k[1], assets[k]["county_id"], assets[k]["school_id"], probe_id,
             *(getattr(states[k], name) for name in STATE_FIELDS)) for k in sorted(keys) if k in states]
    names = ("asset_kind", "asset_id", "county_id", "school_id", "probe_id", *STATE_FIELDS)
    types = ("smallint", "integer", "integer", "integer", "integer", *STATE_TYPES)
    await fetch(
        f"INSERT INTO probe_asset_state ({', '.join(names)}, updated_at) "  # noqa: S608 (identifiers are constants)
        f"SELECT *, now() FROM unnest({', '.join('{}::' + t + '[]' for t in types)}) "
        "ON CONFLICT (asset_kind, asset_id) DO UPDATE SET "
        + ", ".join(f"{n} = EXCLUDED.{n}" for n in names[2:]) + ", updated_at = now()",
        *_columns(rows, len(names)))


async def _upsert_rollups(table: str, period: str, period_type: str, rollups: dict[Any, _Rollup],
                          assets: dict[Key, dict[str, Any]]) -> None:
    rows = [(kind, asset_id, when, assets[(kind, asset_id)]["county_id"], assets[(kind, asset_id)]["school_id"],
             *rollup.values()) for (kind, asset_id, when), rollup in sorted(rollups.items())]
    names = ("asset_kind", "asset_id", period, "county_id", "school_id", *ROLLUP_FIELDS)
    types = ("smallint", "integer", period_type, "integer", "integer", *ROLLUP_TYPES)
    merge = []
    for name in ROLLUP_FIELDS:
        if name.endswith("_max"):
            merge.append(f"{name} = GREATEST(r.{name}, EXCLUDED.{name})")
        else:
            merge.append(f"{name} = r.{name} + EXCLUDED.{name}")
    await fetch(
        f"INSERT INTO {table} AS r ({', '.join(names)}) "  # noqa: S608 (identifiers are constants)
        f"SELECT * FROM unnest({', '.join('{}::' + t + '[]' for t in types)}) "
        f"ON CONFLICT (asset_kind, asset_id, {period}) DO UPDATE SET " + ", ".join(merge),
        *_columns(rows, len(names)))
