"""The reference model of probe ingest, in plain Python: what the SQL in schoolit/probes/derivation.py
must compute, sample by sample — up/down runs, reboots, counter rates, rollups.

The rules are easy to read and to test on edge cases here (counter reset, sysUpTime wrap, reboot,
garbage); a randomized integration test feeds the same samples to the real ingest and to this model
and compares state and rollups. Rates come from counter deltas over the device's own sysUpTime delta
(the device's clock, not the probe's, which may poll late); a sysUpTime or Counter64 going backwards
means a restart or reset, and that sample yields no rate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from schoolit.probes.derivation import MAX_PLAUSIBLE_MBPS

TIMETICKS_WRAP = 2**32  # sysUpTime is a TimeTicks (1/100 s) and wraps after ~497 days
COUNTER64_WRAP = 2**64


@dataclass(frozen=True)
class State:
    """What we know about an asset after its latest sample."""

    last_polled_at: dt.datetime | None = None
    reachable: bool = False
    consecutive_failures: int = 0
    down_since: dt.datetime | None = None
    last_up_at: dt.datetime | None = None
    uptime_ticks: int | None = None
    reboots: int = 0
    last_reboot_at: dt.datetime | None = None
    clients: int | None = None
    radio_up: bool | None = None
    in_octets: int | None = None
    out_octets: int | None = None
    in_mbps: float | None = None
    out_mbps: float | None = None
    utilisation: float | None = None


@dataclass(frozen=True)
class Observation:
    """One sample as derive needs it (a subset of `schoolit.probes.agent.wire.Sample`)."""

    polled_at: dt.datetime
    reachable: bool
    uptime_ticks: int | None = None
    clients: int | None = None
    radio_up: bool | None = None
    in_octets: int | None = None
    out_octets: int | None = None
    if_speed_mbps: int | None = None


@dataclass(frozen=True)
class Rate:
    in_mbps: float
    out_mbps: float
    utilisation: float | None  # of the contracted rate: max(in/down, out/up)


@dataclass(frozen=True)
class Step:
    state: State
    rate: Rate | None
    rebooted: bool
    went_down: bool  # this sample started a run of failures
    came_back: bool  # this sample ended a run of failures


def _elapsed_ticks(previous: int, current: int, wall_seconds: float | None) -> int | None:
    """Ticks between two sysUpTime readings, or None when the device restarted.

    A reading below the previous one is either a reboot or the 2^32 wrap after ~497 days; it is a
    wrap when the wrapped difference agrees with the time that really passed.
    """
    if current >= previous:
        return current - previous
    wrapped = current + TIMETICKS_WRAP - previous
    if wall_seconds is not None and abs(wrapped / 100 - wall_seconds) <= max(60.0, wall_seconds * 0.1):
        return wrapped
    return None


def _rate(previous: State, sample: Observation, ticks: int, contract: tuple[int, int] | None) -> Rate | None:
    if None in (previous.in_octets, previous.out_octets, sample.in_octets, sample.out_octets) or ticks <= 0:
        return None
    assert previous.in_octets is not None and previous.out_octets is not None
    assert sample.in_octets is not None and sample.out_octets is not None
    d_in = sample.in_octets - previous.in_octets
    d_out = sample.out_octets - previous.out_octets
    if d_in < 0 or d_out < 0:
        return None  # counter reset (interface restart) — no honest rate from this pair
    seconds = ticks / 100
    in_mbps, out_mbps = d_in * 8 / seconds / 1e6, d_out * 8 / seconds / 1e6
    ceiling = min(MAX_PLAUSIBLE_MBPS, sample.if_speed_mbps * 1.05) if sample.if_speed_mbps else MAX_PLAUSIBLE_MBPS
    if in_mbps > ceiling or out_mbps > ceiling:
        return None
    utilisation = None
    if contract and contract[0] > 0 and contract[1] > 0:
        utilisation = max(in_mbps / contract[0], out_mbps / contract[1])
    return Rate(in_mbps, out_mbps, utilisation)


def advance(previous: State | None, sample: Observation, contract: tuple[int, int] | None = None) -> Step:
    """The state after one more sample (samples of an asset must come in time order)."""
    previous = previous or State()
    if not sample.reachable:
        failures = previous.consecutive_failures + 1
        state = replace(previous, last_polled_at=sample.polled_at, reachable=False, consecutive_failures=failures,
                        down_since=previous.down_since or sample.polled_at, in_mbps=None, out_mbps=None,
                        utilisation=None)
        return Step(state, None, rebooted=False, went_down=failures == 1, came_back=False)

    rebooted = False
    rate = None
    if previous.uptime_ticks is not None and sample.uptime_ticks is not None:
        wall = (sample.polled_at - previous.last_up_at).total_seconds() if previous.last_up_at else None
        ticks = _elapsed_ticks(previous.uptime_ticks, sample.uptime_ticks, wall)
        if ticks is None:
            rebooted = True
        elif previous.reachable:
            rate = _rate(previous, sample, ticks, contract)
    state = State(
        last_polled_at=sample.polled_at,
        reachable=True,
        consecutive_failures=0,
        down_since=None,
        last_up_at=sample.polled_at,
        uptime_ticks=sample.uptime_ticks,
        reboots=previous.reboots + (1 if rebooted else 0),
        last_reboot_at=sample.polled_at if rebooted else previous.last_reboot_at,
        clients=sample.clients,
        radio_up=sample.radio_up,
        in_octets=sample.in_octets,
        out_octets=sample.out_octets,
        in_mbps=rate.in_mbps if rate else None,
        out_mbps=rate.out_mbps if rate else None,
        utilisation=rate.utilisation if rate else None,
    )
    return Step(state, rate, rebooted=rebooted, went_down=False,
                came_back=previous.consecutive_failures > 0)


@dataclass
class Rollup:
    """What a rollup row holds for the samples of one asset and period."""

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

    def add(self, sample: Observation, rate: Rate | None) -> None:
        self.samples += 1
        if sample.reachable:
            self.up_samples += 1
            if sample.clients is not None:
                self.clients_sum += sample.clients
                self.clients_max = max(self.clients_max or 0, sample.clients)
        if rate is not None:
            self.rate_samples += 1
            self.in_mbps_sum += rate.in_mbps
            self.out_mbps_sum += rate.out_mbps
            self.in_mbps_max = max(self.in_mbps_max or 0.0, rate.in_mbps)
            self.out_mbps_max = max(self.out_mbps_max or 0.0, rate.out_mbps)
            if rate.utilisation is not None:
                self.utilisation_max = max(self.utilisation_max or 0.0, rate.utilisation)
