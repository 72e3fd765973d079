"""Sweeps split over forked worker processes (`schoolit.probes.agent.workers`), against the real snmpd.

The same targets must give the same results with one worker and with several, in target order; dead
devices still fail at once; a worker that dies costs its unreported targets, not the sweep.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

from schoolit.probes.agent.snmp import PollResult
from schoolit.probes.agent.wire import ProbeTarget
from schoolit.probes.agent.workers import TARGETS_PER_WORKER, PollSettings, auto_workers, poll_split, usable_cores
from schoolit.probes.simulators import LOOPBACK, RunningAgent

from .conftest import V3_USER, v2c, v3


def mixed_targets(snmpd: RunningAgent, dead_ports: list[int]) -> list[ProbeTarget]:
    """Uplinks and access points on every snmpd port, dead ports between them, one v3 target."""
    targets: list[ProbeTarget] = []
    for n, port in enumerate(snmpd.ports):
        targets.append(v2c(port, asset_id=n, asset_kind="uplink", if_index=1))
        targets.append(v2c(port, asset_id=100 + n))  # generic access point: a GETBULK walk
        if n < len(dead_ports):
            targets.append(v2c(dead_ports[n], asset_id=200 + n))
    targets.append(v3(snmpd.ports[0], V3_USER, asset_id=300))
    targets.append(v2c(snmpd.ports[1], asset_id=301, community="wrong"))  # snmpd stays silent
    return targets


def stable_figures(result: PollResult) -> tuple[object, ...]:
    """What two sweeps a moment apart must agree on (uptime and loopback counters move)."""
    sample = result.sample
    return (
        sample.asset_id,
        sample.reachable,
        sample.error,
        sample.if_speed_mbps,
        sample.oper_status,
        sample.radio_up,
        sample.uptime_ticks is not None,
        sample.in_octets is not None,
        result.sys_name,
        result.sys_object_id,
    )


def test_one_and_several_workers_give_the_same_results_in_target_order(
    snmpd: RunningAgent, dead_ports: list[int]
) -> None:
    targets = mixed_targets(snmpd, dead_ports)
    settings = PollSettings(concurrency=16, timeout=2.0, retries=0)
    single = poll_split(targets, workers=1, settings=settings)
    for workers in (2, 3):
        seen: list[PollResult] = []
        split = poll_split(targets, workers=workers, settings=settings, on_result=seen.append)
        assert [stable_figures(r) for r in split] == [stable_figures(r) for r in single]
        assert [r.target for r in split] == targets
        assert sorted(r.sample.asset_id for r in seen) == sorted(t.asset_id for t in targets)  # progress for all
    reachable = [r.sample.asset_id for r in single if r.sample.reachable]
    assert sorted(reachable) == sorted([*range(len(snmpd.ports)), *range(100, 100 + len(snmpd.ports)), 300])


def test_dead_ports_fail_at_once_in_every_worker(dead_ports: list[int]) -> None:
    timeout = 2.0
    started = time.monotonic()
    results = poll_split(
        [v2c(port, asset_id=n) for n, port in enumerate(dead_ports)],
        workers=2,
        settings=PollSettings(concurrency=4, timeout=timeout, retries=1),
    )
    elapsed = time.monotonic() - started
    assert [r.sample.asset_id for r in results] == list(range(len(dead_ports)))
    assert all(not r.sample.reachable and "refused" in (r.sample.error or "") for r in results)
    assert elapsed < timeout * 2  # refused, not timed out: no request waited for its budget (2 × timeout)


def forked_children() -> list[int]:
    """Our forked workers: children of this process running this process's own program."""
    me = os.getpid()
    command = Path("/proc/self/cmdline").read_bytes()
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if parent == me and (entry / "cmdline").read_bytes() == command:
                    children.append(int(entry.name))
            except (OSError, ValueError):
                continue  # gone meanwhile
    return children


def test_a_worker_that_dies_costs_only_its_targets(dead_ports: list[int]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as black_hole:
        black_hole.bind((LOOPBACK, 0))
        # Dealt out in turn: this process takes the dead port, the worker the silent one.
        targets = [v2c(dead_ports[0], asset_id=1), v2c(black_hole.getsockname()[1], asset_id=2)]
        timeout = 5.0
        killed: list[int] = []

        def kill_the_worker(result: PollResult) -> None:
            if result.sample.asset_id == 1:  # this process's own result: the worker still waits
                for pid in forked_children():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)

        settings = PollSettings(concurrency=2, timeout=timeout, retries=0)
        started = time.monotonic()
        own, lost = poll_split(targets, workers=2, settings=settings, on_result=kill_the_worker)
        elapsed = time.monotonic() - started
    assert len(killed) == 1
    assert not own.sample.reachable and "refused" in (own.sample.error or "")
    assert not lost.sample.reachable and lost.sample.error == (
        f"worker process {killed[0]} ended (status -{signal.SIGKILL}) without a result"
    )
    assert elapsed < timeout  # nobody waited for the silent device
    assert forked_children() == []  # reaped


def test_automatic_worker_count() -> None:
    cores = usable_cores()
    assert auto_workers(0) == 1
    assert auto_workers(TARGETS_PER_WORKER) == 1
    assert auto_workers(TARGETS_PER_WORKER + 1) == min(2, cores)
    assert auto_workers(1000 * TARGETS_PER_WORKER) == cores
