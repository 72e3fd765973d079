"""The traffic lights on their edges (pure functions, no database)."""

from __future__ import annotations

import pytest

from schoolit.dashboards.choices import (
    Light,
    UplinkLine,
    availability_light,
    best_live_uplink,
    coverage_light,
    devices_light,
    devices_per_pupil,
    uplink_light,
    utilisation_light,
)


@pytest.mark.parametrize(("lines", "light"), [
    ([UplinkLine("live", 1000, 1000)], Light.GREEN),
    ([UplinkLine("live", 10000, 10000)], Light.GREEN),
    ([UplinkLine("live", 999, 1000)], Light.AMBER),
    ([UplinkLine("live", 1000, 999)], Light.AMBER),
    ([UplinkLine("live", 1000, 100)], Light.AMBER),  # asymmetric
    ([UplinkLine("live", 2000, 1000)], Light.AMBER),  # gigabit both ways, but not symmetric
    ([UplinkLine("live", 16, 1)], Light.AMBER),
    ([], Light.RED),
    ([UplinkLine("planned", 1000, 1000)], Light.RED),
    ([UplinkLine("construction", 1000, 1000), UplinkLine("terminated", 1000, 1000)], Light.RED),
    # Several lines: the best live one counts.
    ([UplinkLine("live", 100, 40), UplinkLine("live", 1000, 1000), UplinkLine("planned", 10000, 10000)],
     Light.GREEN),
    ([UplinkLine("planned", 1000, 1000), UplinkLine("live", 250, 40)], Light.AMBER),
])
def test_uplink_light(lines: list[UplinkLine], light: Light) -> None:
    assert uplink_light(lines) == light


def test_best_live_uplink_prefers_gigabit_symmetric_then_the_slower_direction() -> None:
    lines = [UplinkLine("live", 2000, 1000), UplinkLine("live", 1000, 1000), UplinkLine("live", 500, 500)]
    assert best_live_uplink(lines) == UplinkLine("live", 1000, 1000)
    assert best_live_uplink([UplinkLine("live", 500, 50), UplinkLine("live", 300, 300)]) == UplinkLine("live", 300, 300)
    assert best_live_uplink([UplinkLine("ordered", 1000, 1000)]) is None


@pytest.mark.parametrize(("share", "rooms", "light"), [
    (1.0, 12, Light.GREEN), (0.999, 1000, Light.AMBER), (0.8, 10, Light.AMBER), (0.79, 100, Light.RED),
    (0.0, 3, Light.RED), (None, 0, Light.GREY), (0.0, 0, Light.GREY),
])
def test_coverage_light(share: float | None, rooms: int, light: Light) -> None:
    assert coverage_light(share, rooms) == light


@pytest.mark.parametrize(("devices", "pupils", "light"), [
    (100, 100, Light.GREEN), (101, 100, Light.GREEN), (99, 100, Light.AMBER), (50, 100, Light.AMBER),
    (49, 100, Light.RED), (0, 100, Light.RED), (10, 0, Light.GREY), (10, None, Light.GREY),
])
def test_devices_light(devices: int, pupils: int | None, light: Light) -> None:
    assert devices_light(devices_per_pupil(devices, pupils)) == light


@pytest.mark.parametrize(("share", "light"), [
    (1.0, Light.GREEN), (0.99, Light.GREEN), (0.9899, Light.AMBER), (0.95, Light.AMBER), (0.9499, Light.RED),
    (0.0, Light.RED), (None, Light.GREY),
])
def test_availability_light(share: float | None, light: Light) -> None:
    assert availability_light(share) == light


@pytest.mark.parametrize(("peak", "light"), [
    (0.0, Light.GREEN), (0.6999, Light.GREEN), (0.7, Light.AMBER), (0.8999, Light.AMBER), (0.9, Light.RED),
    (1.2, Light.RED), (None, Light.GREY),
])
def test_utilisation_light(peak: float | None, light: Light) -> None:
    assert utilisation_light(peak) == light
