"""The reference model of ingest: rates, reboots and outages from consecutive samples, on plain values."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.probes.model import TIMETICKS_WRAP, Observation, State, advance

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
GIGABIT = (1000, 1000)


def at(minutes: float, **fields: object) -> Observation:
    values: dict = {"reachable": True, **fields}
    return Observation(polled_at=T0 + dt.timedelta(minutes=minutes), **values)


def test_rate_from_counter_deltas_over_device_uptime() -> None:
    first = advance(None, at(0, uptime_ticks=100_000, in_octets=10**9, out_octets=10**8))
    assert first.rate is None and first.state.reboots == 0
    # 300 s of device time: 3.75e9 bytes in = 100 Mbit/s, 1.875e9 out = 50 Mbit/s
    second = advance(first.state, at(5, uptime_ticks=130_000, in_octets=10**9 + 3_750_000_000,
                                     out_octets=10**8 + 1_875_000_000), GIGABIT)
    assert second.rate is not None
    assert second.rate.in_mbps == pytest.approx(100.0)
    assert second.rate.out_mbps == pytest.approx(50.0)
    assert second.rate.utilisation == pytest.approx(0.1)


def test_device_clock_not_probe_clock() -> None:
    first = advance(None, at(0, uptime_ticks=0, in_octets=0, out_octets=0))
    # The probe polled late (7 minutes), the device says 300 s passed: the device is right.
    second = advance(first.state, at(7, uptime_ticks=30_000, in_octets=3_750_000_000, out_octets=0), GIGABIT)
    assert second.rate is not None and second.rate.in_mbps == pytest.approx(100.0)


def test_reboot_gives_no_rate_and_counts() -> None:
    first = advance(None, at(0, uptime_ticks=5_000_000, in_octets=10**12, out_octets=10**11))
    rebooted = advance(first.state, at(5, uptime_ticks=6_000, in_octets=5_000, out_octets=7_000), GIGABIT)
    assert rebooted.rebooted and rebooted.rate is None
    assert rebooted.state.reboots == 1 and rebooted.state.last_reboot_at == T0 + dt.timedelta(minutes=5)
    after = advance(rebooted.state, at(10, uptime_ticks=36_000, in_octets=5_000 + 375_000_000,
                                       out_octets=7_000), GIGABIT)
    assert after.rate is not None and after.rate.in_mbps == pytest.approx(10.0)


def test_counter_reset_without_reboot_gives_no_rate() -> None:
    first = advance(None, at(0, uptime_ticks=100_000, in_octets=2**64 - 1_000, out_octets=2**63 + 5))
    wrapped = advance(first.state, at(5, uptime_ticks=130_000, in_octets=4_000, out_octets=2**63 + 10), GIGABIT)
    assert wrapped.rate is None and not wrapped.rebooted  # a Counter64 going back is a reset, not 1e19 bytes
    assert wrapped.state.reboots == 0


def test_sysuptime_wrap_after_497_days_is_not_a_reboot() -> None:
    first = advance(None, at(0, uptime_ticks=TIMETICKS_WRAP - 10_000, in_octets=0, out_octets=0))
    # 300 s later the TimeTicks counter wrapped: 2^32 - 10,000 + 30,000 - 2^32 = 20,000
    second = advance(first.state, at(5, uptime_ticks=20_000, in_octets=375_000_000, out_octets=0), GIGABIT)
    assert not second.rebooted and second.state.reboots == 0
    assert second.rate is not None and second.rate.in_mbps == pytest.approx(10.0)


def test_implausible_rate_is_dropped() -> None:
    first = advance(None, at(0, uptime_ticks=0, in_octets=0, out_octets=0, if_speed_mbps=1000))
    garbage = advance(first.state, at(5, uptime_ticks=30_000, in_octets=10**14, out_octets=0,
                                      if_speed_mbps=1000), GIGABIT)
    assert garbage.rate is None


def test_failures_count_up_and_recovery_is_reported_once() -> None:
    state: State | None = advance(None, at(0, uptime_ticks=1000)).state
    downs = []
    for minute in (5, 10, 15):
        step = advance(state, at(minute, reachable=False))
        downs.append((step.went_down, step.state.consecutive_failures))
        state = step.state
    assert downs == [(True, 1), (False, 2), (False, 3)]
    assert state is not None and state.down_since == T0 + dt.timedelta(minutes=5)
    back = advance(state, at(20, uptime_ticks=121_000))
    assert back.came_back and back.state.consecutive_failures == 0 and back.state.down_since is None
    assert not back.rebooted  # uptime kept counting through the outage: the network was down, not the AP
    assert not advance(back.state, at(25, uptime_ticks=151_000)).came_back
