"""The live demo: recordings for every vendor profile, served by snmpsim, polled by the real poller."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from schoolit.accounts.choices import ActorKind, Role
from schoolit.accounts.scope import Actor, Scope
from schoolit.probes.agent.snmp import SnmpPoller
from schoolit.probes.agent.wire import SampleBatch
from schoolit.probes.demo import DEAD_EVERY, prepare
from schoolit.probes.derivation import derive_pending
from schoolit.probes.ingest import ingest
from schoolit.probes.simulators import closed_udp_ports, free_udp_ports, snmp_simulator
from schoolit.probes.targets import targets_for
from schoolit.sql import fetch
from tests.integration.probes.network import build_network
from tests.integration.world import World


@pytest.fixture
async def demo_world(world: World) -> World:
    network = await build_network(world, aps_per_school=4)
    # One access point per vendor profile in the demo county, and one that will not answer.
    for ap_id, vendor in zip(network.access_points["kib"], ("aruba", "cisco", "unifi", "lancom"), strict=True):
        await fetch("UPDATE access_point SET vendor = {} WHERE id = {}", vendor, ap_id)
    await fetch("UPDATE access_point SET vendor = 'ruckus', id = {} WHERE id = {}",
                DEAD_EVERY * 1000, network.access_points["rok"][0])
    return world


async def test_demo_devices_answer_like_their_vendor_and_counters_move(demo_world: World, tmp_path: Path) -> None:
    (snmp_port,), (dead_port,) = free_udp_ports(1), closed_udp_ports(1)
    network = await prepare(tmp_path, snmp_port, dead_port)
    silent = await fetch("SELECT count(*) AS n FROM access_point WHERE county_id = {} AND status = 'active' "
                         "AND id % {} = 0", demo_world.counties["donnersbergkreis"], DEAD_EVERY)
    assert network.dead == silent[0]["n"] >= 1
    assert network.token_file.stat().st_mode & 0o777 == 0o600
    probe_scope = Scope(role=Role.PROBE, actor=Actor(ActorKind.PROBE, 1, "demo"),
                        county_ids=frozenset({demo_world.counties["donnersbergkreis"]}))
    targets = (await targets_for(probe_scope)).targets
    assert {t.host for t in targets} == {"127.0.0.1"}  # only loopback is ever polled from a test
    expected = await fetch(
        "SELECT (SELECT count(*) FROM access_point WHERE county_id = {} AND status = 'active') "
        "+ (SELECT count(*) FROM uplink WHERE county_id = {} AND status = 'live') AS n",
        demo_world.counties["donnersbergkreis"], demo_world.counties["donnersbergkreis"])
    assert len(targets) == network.assets == expected[0]["n"]
    first_recording = sorted(network.recordings.glob("*.snmprec"))[0].stem
    with snmp_simulator(network.recordings, snmp_port, ready_community=first_recording):
        async with SnmpPoller(concurrency=8, timeout=3.0, retries=1) as poller:
            first = await poller.poll_all(targets)
            await asyncio.sleep(1.5)
            second = await poller.poll_all(targets)
    by_id = {(r.sample.asset_kind, r.sample.asset_id): r.sample for r in first}
    dead = [s for s in by_id.values() if s.asset_kind == "access_point" and s.asset_id % DEAD_EVERY == 0]
    assert dead and not any(s.reachable for s in dead)
    answering = [s for s in by_id.values() if s not in dead]
    assert all(s.reachable for s in answering), [s for s in answering if not s.reachable]
    aps = [s for s in answering if s.asset_kind == "access_point"]
    assert all(s.clients is not None for s in aps)
    assert sum(1 for s in aps if s.radio_up) >= 3  # LANCOM reports no radio status
    later = {(r.sample.asset_kind, r.sample.asset_id): r.sample for r in second}
    for key, sample in by_id.items():
        if key[0] == "uplink":
            assert later[key].in_octets > sample.in_octets  # type: ignore[operator]
            assert later[key].uptime_ticks > sample.uptime_ticks  # type: ignore[operator]
    stored = await ingest(probe_scope, SampleBatch(idempotency_key=uuid.uuid4(), sent_at=first[0].sample.polled_at,
                                                   samples=[r.sample for r in first + second]))
    assert stored.stored == 2 * len(targets)
    await derive_pending()
    rates = await fetch("SELECT in_mbps FROM probe_asset_state WHERE asset_kind = 2")
    assert rates and all(r["in_mbps"] and r["in_mbps"] > 0 for r in rates)
