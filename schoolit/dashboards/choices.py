"""Traffic lights of the dashboards: the thresholds and one pure function per light (docs/dashboards.md).

A light is never shown by colour alone: every light has a text label, and the page shows the figure
behind it next to it (accessibility, and black-and-white print).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from schoolit.inventory.choices import UplinkStatus
from schoolit.inventory.services import gigabit_symmetric
from schoolit.kernel.i18n import N_


class Light(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    GREY = "grey"  # no data: nothing to judge


LIGHT_LABELS = {
    Light.GREEN: N_("good"),
    Light.AMBER: N_("limited"),
    Light.RED: N_("critical"),
    Light.GREY: N_("no data"),
}
# The colour's name, for CSV files (a spreadsheet has no colours).
LIGHT_WORDS = {Light.GREEN: N_("green"), Light.AMBER: N_("amber"), Light.RED: N_("red"), Light.GREY: N_("grey")}
# A shape per light, so that the lights differ in black-and-white print and for colour-blind readers.
LIGHT_SYMBOLS = {Light.GREEN: "●", Light.AMBER: "▲", Light.RED: "■", Light.GREY: "○"}
LIGHT_ORDER = (Light.GREEN, Light.AMBER, Light.RED, Light.GREY)

# Thresholds (shares are 0..1).
COVERAGE_GREEN = 1.0  # every teaching room has working WLAN
COVERAGE_AMBER = 0.8
DEVICES_PER_PUPIL_GREEN = 1.0  # a device for every pupil
DEVICES_PER_PUPIL_AMBER = 0.5
AVAILABILITY_GREEN = 0.99
AVAILABILITY_AMBER = 0.95
UTILISATION_AMBER = 0.7  # the uplink's peak of the contracted rate: from 70 % it gets tight
UTILISATION_RED = 0.9
# Windows of the figures.
AVAILABILITY_DAYS = 30
UTILISATION_DAYS = 30
RESOLUTION_DAYS = 90  # median time to resolve: tickets resolved in the last 90 days
SPARKLINE_DAYS = 7

# The open-data export's licence: Datenlizenz Deutschland – Namensnennung – 2.0 (attribution: the county).
LICENCE_ID = "dl-de/by-2-0"
LICENCE_NAME = "Datenlizenz Deutschland – Namensnennung – Version 2.0"
LICENCE_URL = "https://www.govdata.de/dl-de/by-2-0"


@dataclass(frozen=True)
class UplinkLine:
    """What the uplink light needs to know of one line."""

    status: str
    down_mbps: int | None
    up_mbps: int | None


def _uplink_rank(line: UplinkLine) -> tuple[int, int, int]:
    """Better lines sort higher: gigabit symmetric first, then the slower direction, then download."""
    down, up = line.down_mbps or 0, line.up_mbps or 0
    return (1 if gigabit_symmetric(down, up) else 0, min(down, up), down)


def best_live_uplink(lines: Iterable[UplinkLine]) -> UplinkLine | None:
    """The line that counts when a school has several: the best live one (None without a live line)."""
    live = [line for line in lines if line.status == UplinkStatus.LIVE.value]
    return max(live, key=_uplink_rank) if live else None


def uplink_light(lines: Iterable[UplinkLine]) -> Light:
    """Green: a live line, gigabit symmetric (down == up >= 1000 Mbit/s); amber: live, but slower or
    asymmetric; red: no line, or none live (planned, ordered, under construction, terminated)."""
    best = best_live_uplink(lines)
    if best is None:
        return Light.RED
    return Light.GREEN if gigabit_symmetric(best.down_mbps, best.up_mbps) else Light.AMBER


def _graded(value: float | None, green: float, amber: float, *, higher_is_better: bool = True) -> Light:
    """Green from `green`, amber from `amber`, red beyond (the other way round when lower is better)."""
    if value is None:
        return Light.GREY
    if higher_is_better:
        return Light.GREEN if value >= green else Light.AMBER if value >= amber else Light.RED
    return Light.GREEN if value < green else Light.AMBER if value < amber else Light.RED


def coverage_light(live_share: float | None, teaching_rooms: int) -> Light:
    """Live WLAN coverage of the teaching rooms: green at 100 %, amber from 80 %, red below; grey when
    the school has no teaching rooms recorded."""
    return _graded(live_share if teaching_rooms else None, COVERAGE_GREEN, COVERAGE_AMBER)


def devices_per_pupil(devices: int, pupils: int | None) -> float | None:
    return devices / pupils if pupils else None


def devices_light(per_pupil: float | None) -> Light:
    """Devices for pupils per pupil: green from 1.0, amber from 0.5, red below; grey without pupils."""
    return _graded(per_pupil, DEVICES_PER_PUPIL_GREEN, DEVICES_PER_PUPIL_AMBER)


def availability_light(share: float | None) -> Light:
    """Access points' availability over 30 days: green from 99 %, amber from 95 %; grey without samples."""
    return _graded(share, AVAILABILITY_GREEN, AVAILABILITY_AMBER)


def utilisation_light(peak: float | None) -> Light:
    """The uplink's utilisation peak over 30 days: green below 70 %, amber below 90 %, red from 90 %;
    grey without measurements."""
    return _graded(peak, UTILISATION_AMBER, UTILISATION_RED, higher_is_better=False)
