"""The dashboards' figures as msgspec Structs: one service result serves the page, the JSON and the CSV.

Shares are 0..1 (coverage, availability, utilisation), rates in Mbit/s, durations in hours.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from schoolit.dashboards.choices import Light


class SchoolFigures(msgspec.Struct, kw_only=True):
    """One school's row of the county dashboard."""

    school_id: int
    county_id: int
    school_number: str
    name: str
    school_type: str
    pupils: int
    # Uplink: the best live line (none: no live line), its class and rates.
    uplink_light: Light
    uplink_status: str | None  # of the line shown: the best live one, else the one furthest along
    uplink_down_mbps: int | None
    uplink_up_mbps: int | None
    # WLAN coverage of teaching rooms: planned (inventory) and live (probes).
    coverage_light: Light
    teaching_rooms: int
    planned_covered_rooms: int
    live_covered_rooms: int
    planned_coverage: float | None
    live_coverage: float | None
    rooms_without_wlan: list[str]
    # Devices for pupils and loans.
    devices_light: Light
    devices_available: int
    devices_per_pupil: float | None
    loans_open: int
    loans_overdue: int
    # Access points' availability (30 days) and the uplink's utilisation peak (30 days).
    availability_light: Light
    ap_samples_30d: int
    ap_availability_30d: float | None
    utilisation_light: Light
    uplink_utilisation_peak_30d: float | None
    # Tickets: open, open with a breached SLA, median time to resolve (90 days).
    tickets_open: int
    tickets_breaching: int
    tickets_resolved_90d: int
    median_resolution_hours: float | None


class CountyTotals(msgspec.Struct, kw_only=True):
    """The county's figures: sums of the school rows, shares of the sums, and schools per light."""

    schools: int
    pupils: int
    teaching_rooms: int
    planned_covered_rooms: int
    live_covered_rooms: int
    planned_coverage: float | None
    live_coverage: float | None
    coverage_light: Light
    devices_available: int
    devices_per_pupil: float | None
    devices_light: Light
    loans_open: int
    loans_overdue: int
    ap_samples_30d: int
    ap_availability_30d: float | None
    availability_light: Light
    uplink_utilisation_peak_30d: float | None
    utilisation_light: Light
    tickets_open: int
    tickets_breaching: int
    tickets_resolved_90d: int
    median_resolution_hours: float | None  # over all the county's tickets, not a median of medians
    # Schools per light: {"uplink": {"green": 3, "amber": 1, "red": 0, "grey": 0}, "coverage": {...}, ...}
    lights: dict[str, dict[str, int]]


class CountyDashboard(msgspec.Struct, kw_only=True):
    county_id: int
    county_slug: str
    county_name: str
    generated_at: dt.datetime
    totals: CountyTotals
    schools: list[SchoolFigures]


class CostShare(msgspec.Struct, kw_only=True):
    """Hours booked for one member county (from the tickets' time accounting) and its share."""

    county_id: int
    county_name: str
    lead: bool
    month_hours: str  # decimal strings as the cost split CSV writes them ("12.50")
    month_share_percent: str
    year_hours: str
    year_share_percent: str


class MemberCounty(msgspec.Struct, kw_only=True):
    county_id: int
    county_slug: str
    county_name: str
    lead: bool
    totals: CountyTotals
    cost: CostShare


class ArrangementDashboard(msgspec.Struct, kw_only=True):
    arrangement_id: int
    name: str
    lead_county_name: str | None
    generated_at: dt.datetime
    month: str  # "2026-11"
    year: int
    month_hours: str
    year_hours: str
    counties: list[MemberCounty]


class OpenDataSchool(msgspec.Struct, kw_only=True):
    """Non-personal infrastructure figures of one school, for an open-data portal."""

    school_number: str
    name: str
    county: str
    school_type: str
    uplink_class: Light
    uplink_down_mbps: int | None
    uplink_up_mbps: int | None
    planned_coverage_percent: float | None
    live_coverage_percent: float | None
    devices_per_pupil: float | None
    licence: str
    licence_url: str
    attribution: str


class OpenData(msgspec.Struct, kw_only=True):
    licence: str
    licence_name: str
    licence_url: str
    generated_at: dt.datetime
    items: list[OpenDataSchool]
    total: int


class DashboardLink(msgspec.Struct, kw_only=True):
    """An entry of the dashboards list: a county or an arrangement in the caller's scope."""

    kind: str  # "county" or "arrangement"
    name: str
    href: str
    api: str


class NetworkPoint(msgspec.Struct, kw_only=True):
    at: dt.datetime | dt.date
    value: float | None
