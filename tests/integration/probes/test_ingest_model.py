"""The set-based ingest and derivation in SQL against the reference model, on random sample histories.

Each history mixes what real networks do: answered polls with moving counters, outages, reboots,
interface counter resets, the 497-day sysUpTime wrap, garbage counters, late stragglers. The same
samples go through `ingest()` in random batch splits, derived batch by batch, in random groups of
batches (random pass sizes too), all in one pass at the end, or poll by poll (one sample per batch and
pass, the common case nationwide, which takes the access points' simple statement), and through the
model one by one;
state and hourly and daily rollups must agree. Half the seeds poll finished days, the other half
into today; the rollups are compared through `probe_rollup_hours` and `probe_rollup_days`, the views
readers use (the finished periods' tables and each asset's open hour and day in its state row together).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from zoneinfo import ZoneInfo

import pytest

from schoolit.probes.agent.wire import Sample, SampleBatch
from schoolit.probes.derivation import derive_pending
from schoolit.probes.ingest import ingest
from schoolit.sql import fetch
from tests.integration.probes.network import Network, build_network, probe_scope
from tests.integration.world import World
from tests.unit.probes.model import TIMETICKS_WRAP, Observation, Rollup, State, advance

T0 = dt.datetime(2026, 11, 20, 21, 30, tzinfo=dt.UTC)  # crosses midnight in Berlin and UTC
BERLIN = ZoneInfo("Europe/Berlin")


def merged(period: str, view: str) -> str:
    """The rollups of one asset per `period` as readers see them through `view`: the finished periods'
    table and the asset's open period in its state row together (sums add up, maxima are the larger)."""
    return (f"SELECT {period}, sum(samples) AS samples, sum(up_samples) AS up_samples, "  # noqa: S608 (constants)
            "sum(clients_sum) AS clients_sum, max(clients_max) AS clients_max, sum(rate_samples) AS rate_samples, "
            "sum(in_mbps_sum) AS in_mbps_sum, sum(out_mbps_sum) AS out_mbps_sum, max(in_mbps_max) AS in_mbps_max, "
            "max(out_mbps_max) AS out_mbps_max, max(utilisation_max) AS utilisation_max "
            f"FROM {view} WHERE asset_kind = {{}} AND asset_id = {{}} GROUP BY {period}")


HOURS = merged("hour", "probe_rollup_hours")
DAYS = merged("day", "probe_rollup_days")


def into_today() -> dt.datetime:
    """Two hours before today's midnight in Berlin: the histories' five hours end in today."""
    midnight = dt.datetime.combine(dt.datetime.now(BERLIN).date(), dt.time(), tzinfo=BERLIN)
    return midnight.astimezone(dt.UTC) - dt.timedelta(hours=2)


def history(rng: random.Random, kind: str, asset_id: int, polls: int, start: dt.datetime) -> list[Sample]:
    samples = []
    uptime = rng.choice([50_000, TIMETICKS_WRAP - 40_000])  # some start just before the wrap
    in_octets, out_octets = rng.randrange(2**40), rng.randrange(2**40)
    at = start
    for _ in range(polls):
        step = rng.choice([300, 300, 300, 290, 310, 420])
        at += dt.timedelta(seconds=step)
        uptime = (uptime + step * 100) % TIMETICKS_WRAP
        in_octets += rng.randrange(0, 5 * 10**9)
        out_octets += rng.randrange(0, 10**9)
        event = rng.random()
        if event < 0.15:
            samples.append(Sample(asset_kind=kind, asset_id=asset_id, polled_at=at, reachable=False))  # type: ignore[arg-type]
            continue
        if event < 0.22:
            uptime = rng.randrange(1000, 20_000)  # rebooted
        elif event < 0.27:
            in_octets = rng.randrange(10**6)  # interface counters reset
        elif event < 0.30:
            in_octets += 10**14  # garbage: faster than any line
        fields: dict = {"uptime_ticks": uptime, "response_ms": 2.0}
        if kind == "uplink":
            fields.update(in_octets=in_octets, out_octets=out_octets, if_speed_mbps=1000, oper_status=1)
        else:
            fields.update(clients=rng.randrange(0, 60), radio_up=True)
        samples.append(Sample(asset_kind=kind, asset_id=asset_id, polled_at=at, reachable=True, **fields))  # type: ignore[arg-type]
    return samples


def model(samples: list[Sample], contract: tuple[int, int] | None) -> tuple[State | None, dict, dict]:
    state: State | None = None
    hourly: dict[dt.datetime, Rollup] = {}
    daily: dict[dt.date, Rollup] = {}
    for sample in samples:  # in the order derivation takes them: batch by batch, in time within a batch
        observation = Observation(polled_at=sample.polled_at, reachable=sample.reachable,
                                  uptime_ticks=sample.uptime_ticks, clients=sample.clients, radio_up=sample.radio_up,
                                  in_octets=sample.in_octets, out_octets=sample.out_octets,
                                  if_speed_mbps=sample.if_speed_mbps)
        rate = None
        if state is None or state.last_polled_at is None or sample.polled_at > state.last_polled_at:
            step = advance(state, observation, contract)
            state, rate = step.state, step.rate
        hourly.setdefault(sample.polled_at.replace(minute=0, second=0), Rollup()).add(observation, rate)
        daily.setdefault(sample.polled_at.astimezone(BERLIN).date(), Rollup()).add(observation, rate)
    return state, hourly, daily


def close(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b, rel=1e-6, abs=1e-9)
    return a == b


@pytest.mark.parametrize("grouping", ["batch by batch", "random groups", "one pass", "poll by poll"])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_sql_ingest_agrees_with_the_model(world: World, seed: int, grouping: str) -> None:
    network: Network = await build_network(world, aps_per_school=1)
    rng = random.Random(seed)
    assets = [("access_point", network.access_points["kib"][0], None),
              ("access_point", network.access_points["rok"][0], None),
              ("uplink", network.uplinks["kib"], (1000, 1000)),
              ("uplink", network.uplinks["rok"], (1000, 1000))]
    start = T0 if seed % 2 else into_today()
    histories = {(kind, asset_id): history(rng, kind, asset_id, 60, start) for kind, asset_id, _ in assets}
    # Batches as a probe makes them: each poll round together, rounds cut into random batch sizes, and
    # now and then a sample held back and sent in a later batch (a straggler).
    arrival = [s for round_ in zip(*histories.values(), strict=True) for s in round_]
    for _ in range(4):
        late = arrival.pop(rng.randrange(10, len(arrival) - 20))
        arrival.insert(min(len(arrival), arrival.index(late) + 12) if late in arrival else len(arrival) - 5, late)
    # And one answered straggler as the very last sample, in a batch of its own: the last word on its
    # asset in time of arrival, yet not the state's.
    late = arrival.pop(next(i for i in range(len(arrival) - 20, 0, -1) if arrival[i].reachable))
    arrival.append(late)
    scope = await probe_scope(world)
    grouper = random.Random(seed + 1000)  # its own generator: every grouping sees the same batches
    position = 0
    seen: list[Sample] = []  # as derivation sees them: batch after batch, each batch in time order
    while position < len(arrival):
        # Poll by poll: one sample per pass, as nationwide (an access point polled once a minute appears once
        # in a pass), which `SIMPLE` derives for an access point in its open hour or a later one.
        size = 1 if grouping == "poll by poll" else min(rng.randrange(1, 40), max(1, len(arrival) - 1 - position))
        batch = SampleBatch(idempotency_key=uuid.uuid4(), sent_at=T0, samples=arrival[position:position + size])
        assert (await ingest(scope, batch)).stored == len(batch.samples)
        seen += sorted(batch.samples, key=lambda s: s.polled_at)
        position += size
        if grouping in ("batch by batch", "poll by poll"):
            assert (await derive_pending()).batches == 1
        elif grouping == "random groups" and grouper.random() < 0.3:
            # A pass takes as many batches as fit in its limit; a limit of 1 sample means one batch.
            await derive_pending(limit=grouper.choice([1, 30, 80, 10**6]))
    await derive_pending()
    assert (await fetch("SELECT count(*) AS n FROM probe_ingest_batch WHERE derived_at IS NULL"))[0]["n"] == 0

    kinds = {"access_point": 1, "uplink": 2}
    for kind, asset_id, contract in assets:
        in_order = [s for s in seen if (s.asset_kind, s.asset_id) == (kind, asset_id)]
        expected_state, hourly, daily = model(in_order, contract)
        assert expected_state is not None
        row = (await fetch("SELECT * FROM probe_asset_state WHERE asset_kind = {} AND asset_id = {}",
                           kinds[kind], asset_id))[0]
        for name, value in vars(expected_state).items():
            stored = row[name]
            if name in ("in_octets", "out_octets") and stored is not None:
                stored = int(stored)
            assert close(stored, value), f"seed {seed} {kind} {asset_id} state.{name}: {stored!r} != {value!r}"
        for query, period, expected in ((HOURS, "hour", hourly), (DAYS, "day", daily)):
            rows = await fetch(query, kinds[kind], asset_id)
            assert {r[period] for r in rows} == set(expected), f"{period} periods"
            for r in rows:
                for name, value in vars(expected[r[period]]).items():
                    assert close(r[name], value), f"seed {seed} {period} {r[period]} {name}: {r[name]!r} != {value!r}"
