"""The access points' part of a derivation pass: its arrays to and from PostgreSQL, the parts a pass runs,
and what the reference model (test_ingest_model.py) does not reach — counters on an access point, an access
point deleted before its samples are derived."""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np

from schoolit.db import atomic
from schoolit.probes import access_point_pass as ap_pass
from schoolit.probes.access_point_pass import Column
from schoolit.probes.agent.wire import Sample, SampleBatch
from schoolit.probes.derivation import derive_pending
from schoolit.probes.ingest import ingest
from schoolit.sql import copy_in, execute, fetch
from tests.integration.probes.network import build_network, probe_scope
from tests.integration.probes.test_ingest import bulk_access_points, sweep_batch
from tests.integration.world import World

T0 = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
COLUMNS = (Column("n", "v.n", "integer"), Column("big", "v.big", "bigint", nullable=True),
           Column("at", "v.at", "timestamptz", nullable=True), Column("day", "v.day", "date"),
           Column("up", "v.up", "boolean", nullable=True), Column("ratio", "v.ratio", "real", nullable=True))
VALUES = """(VALUES (1, '-9223372036854775808'::bigint, TIMESTAMPTZ '1999-12-31 23:59:59.999999+00', DATE '1970-01-01',
                     true, real '0.5'),
                    (-2147483648, NULL, NULL, DATE '2099-12-31', NULL, NULL),
                    (2147483647, 9223372036854775807, TIMESTAMPTZ '2026-11-23 07:00:00.000001+00',
                     DATE '2000-01-01', false, real '-3.25')) AS v(n, big, at, day, up, ratio)"""


async def test_arrays_come_back_exactly_with_their_nulls(world: World) -> None:
    """Every type the pass reads, at its limits and null: one row of arrays decoded to the values."""
    row = (await fetch(f"SELECT {ap_pass.arrays_of(COLUMNS)} FROM {VALUES}"))[0]  # noqa: S608 (constants)
    arrays = ap_pass.decode(row, COLUMNS)
    assert arrays["n"].tolist() == [1, -2**31, 2**31 - 1]
    assert arrays["big"].tolist() == [-2**63, 0, 2**63 - 1] and arrays["big_null"].tolist() == [False, True, False]
    assert arrays["at"].tolist() == [-1, 0, ap_pass.microseconds(dt.datetime(2026, 11, 23, 7, 0, 0, 1, tzinfo=dt.UTC))]
    assert arrays["at_null"].tolist() == [False, True, False]
    assert arrays["day"].tolist() == [-10957, 36524, 0]  # days since 2000-01-01
    assert arrays["up"].tolist() == [True, False, False] and arrays["up_null"].tolist() == [False, True, False]
    assert arrays["ratio"].tolist() == [0.5, 0.0, -3.25] and arrays["ratio_null"].tolist() == [False, True, False]

    nothing = f"SELECT {ap_pass.arrays_of(COLUMNS)} FROM {VALUES} WHERE false"  # noqa: S608 (constants)
    empty = ap_pass.decode((await fetch(nothing))[0], COLUMNS)
    assert all(len(values) == 0 for values in empty.values())


async def test_rows_written_by_binary_copy_read_back_as_written(world: World) -> None:
    """What the pass writes goes through a temporary table by binary COPY: the values and their nulls."""
    arrays = {"n": np.array([7, -1]), "big": np.array([2**62, 0]), "big_null": np.array([False, True]),
              "at": np.array([0, 5]), "at_null": np.array([True, False]), "day": np.array([9823, -1]),
              "up": np.array([True, False]), "up_null": np.array([False, True]),
              "ratio": np.array([1.5, 0.0]), "ratio_null": np.array([False, True])}
    async with atomic():
        await execute(ap_pass.table_of("pass_check", COLUMNS))
        await copy_in("pass_check", ap_pass.encode(arrays, COLUMNS))
        rows = await fetch(f"SELECT {', '.join(ap_pass.value_of(c) + ' AS ' + c.name for c in COLUMNS)} "  # noqa: S608
                           "FROM pass_check u ORDER BY n DESC")
    assert rows == [
        {"n": 7, "big": 2**62, "at": None, "day": dt.date(2026, 11, 23), "up": True, "ratio": 1.5},
        {"n": -1, "big": None, "at": ap_pass.ORIGIN + dt.timedelta(microseconds=5), "day": dt.date(1999, 12, 31),
         "up": None, "ratio": None}]


async def test_a_pass_runs_only_the_parts_its_batches_need(world: World) -> None:
    """Batches count their uplinks' samples: a pass without any skips the uplinks' statement, and a pass whose
    access points `SIMPLE` took all skips the access points' part. Batches stored before the count run both."""
    network, scope, aps = await build_network(world), await probe_scope(world), await bulk_access_points(world, 20)
    await ingest(scope, sweep_batch(aps, T0, sweeps=3))
    derived = await derive_pending()
    assert (derived.access_point_passes, derived.uplink_passes, derived.simple) == (1, 0, 0)

    await ingest(scope, sweep_batch(aps, T0 + dt.timedelta(minutes=3)))  # one poll each: all `SIMPLE`'s
    derived = await derive_pending()
    assert (derived.access_point_passes, derived.uplink_passes, derived.simple) == (0, 0, len(aps))

    uplink = network.uplinks["kib"]
    mixed = sweep_batch(aps, T0 + dt.timedelta(minutes=4), sweeps=2)
    mixed.samples.append(Sample(asset_kind="uplink", asset_id=uplink, polled_at=T0 + dt.timedelta(minutes=4),
                                reachable=True, uptime_ticks=1000, in_octets=10, out_octets=10))
    stored = await ingest(scope, mixed)
    assert (await fetch("SELECT uplink_samples FROM probe_ingest_batch WHERE id = {}", stored.batch_id)) == [
        {"uplink_samples": 1}]
    derived = await derive_pending()
    assert (derived.access_point_passes, derived.uplink_passes) == (1, 1)

    uncounted = sweep_batch(aps, T0 + dt.timedelta(minutes=6))
    uncounted.samples.append(Sample(asset_kind="uplink", asset_id=uplink, polled_at=T0 + dt.timedelta(minutes=6),
                                    reachable=False))
    stored = await ingest(scope, uncounted)
    await execute("UPDATE probe_ingest_batch SET uplink_samples = NULL WHERE id = {}", stored.batch_id)
    derived = await derive_pending()
    assert (derived.access_point_passes, derived.uplink_passes, derived.simple) == (1, 1, len(aps))
    states = await fetch("SELECT asset_kind, count(*) AS n, max(last_polled_at) AS at FROM probe_asset_state "
                         "WHERE (asset_kind = 1 AND asset_id = ANY({})) OR (asset_kind = 2 AND asset_id = {}) "
                         "GROUP BY asset_kind ORDER BY asset_kind", aps, uplink)
    assert states == [{"asset_kind": 1, "n": len(aps), "at": T0 + dt.timedelta(minutes=6)},
                      {"asset_kind": 2, "n": 1, "at": T0 + dt.timedelta(minutes=6)}]


async def test_an_access_points_counters_reach_its_state_exactly(world: World) -> None:
    """Nothing sends counters for an access point, but a sample may carry them: the latest answered poll's
    reach the state exactly (Counter64 exceeds a float's precision), and an unanswered poll keeps them."""
    scope, aps = await probe_scope(world), await bulk_access_points(world, 2)
    polls = [Sample(asset_kind="access_point", asset_id=aps[0], polled_at=T0 + dt.timedelta(minutes=minute),
                    reachable=True, uptime_ticks=6000 * minute, clients=3, in_octets=2**64 - 1 - minute,
                    out_octets=2**53 + 1) for minute in range(1, 3)]
    polls.append(Sample(asset_kind="access_point", asset_id=aps[0], polled_at=T0 + dt.timedelta(minutes=3),
                        reachable=False))
    polls += sweep_batch(aps[1:], T0, sweeps=2).samples
    await ingest(scope, SampleBatch(idempotency_key=uuid.uuid4(), sent_at=T0, samples=polls))
    assert (await derive_pending()).access_point_passes == 1
    state = await fetch("SELECT asset_id, reachable, in_octets, out_octets, clients FROM probe_asset_state "
                        "WHERE asset_kind = 1 AND asset_id = ANY({}) ORDER BY asset_id", aps)
    assert [(row["reachable"], row["in_octets"], row["out_octets"], row["clients"]) for row in state] == [
        (False, 2**64 - 3, 2**53 + 1, 3), (True, None, None, 1)]


async def test_samples_of_an_access_point_deleted_before_its_pass_are_left_out(world: World) -> None:
    """An access point deleted between ingest and derivation: its samples are stored but derive nothing, and
    the others of the pass derive as always."""
    scope, aps = await probe_scope(world), await bulk_access_points(world, 3)
    await ingest(scope, sweep_batch(aps, T0, sweeps=2))
    await execute("DELETE FROM access_point WHERE id = {}", aps[0])
    assert (await derive_pending()).batches == 1
    states = await fetch("SELECT asset_id, hour_samples FROM probe_asset_state WHERE asset_kind = 1 "
                         "AND asset_id = ANY({}) ORDER BY asset_id", aps)
    assert states == [{"asset_id": aps[1], "hour_samples": 2}, {"asset_id": aps[2], "hour_samples": 2}]
