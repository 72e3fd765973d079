"""The dashboards' figures as CSV, written from the same service result the pages and the JSON show.

The inventory's writer makes the files (`;`, UTF-8 with BOM, formula-like cells quoted), German
headers and decimal commas by default, English headers and decimal points with `lang="en"`. Shares are
written as percentages; lights as words in the file's language (open data: the codes green, amber,
red, grey, which docs/dashboards.md explains).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from schoolit.csvwriter import write_csv
from schoolit.dashboards.choices import LIGHT_WORDS, Light
from schoolit.dashboards.schemas import ArrangementDashboard, CountyDashboard, OpenData
from schoolit.kernel.i18n import N_, current_locale
from schoolit.kernel.i18n import gettext as _
from schoolit.truth import yes_no

Getter = Callable[[Any], Any]


def _decimal(value: float | None, lang: str, digits: int) -> str:
    if value is None:
        return ""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "de" else text


def _cell(value: Any, kind: str, lang: str) -> str:
    if value is None:
        return ""
    if kind == "share":  # 0..1 -> percent with one decimal
        return _decimal(value * 100, lang, 1)
    if kind == "decimal":
        return _decimal(value, lang, 2)
    if kind == "light":
        return _(LIGHT_WORDS[Light(value)])
    if kind == "list":
        return ", ".join(value)
    if kind == "yesno":
        return yes_no(value)
    return str(value)


@dataclass(frozen=True)
class Column:
    de: str
    en: str
    get: Getter
    kind: str = "text"  # text, share, decimal, light, list, yesno


def _attr(name: str) -> Getter:
    return lambda row: getattr(row, name, None)


def _write(columns: Sequence[Column], rows: Sequence[Any], lang: str) -> bytes:
    token = current_locale.set(lang)  # words in the file follow the file's language, not the page's
    try:
        lines = [[_cell(c.get(row), c.kind, lang) for c in columns] for row in rows]
    finally:
        current_locale.reset(token)
    return write_csv([c.de if lang == "de" else c.en for c in columns], lines, lang=lang)


SCHOOL_COLUMNS = (
    Column("Schulnummer", "school_number", _attr("school_number")),
    Column("Schule", "name", _attr("name")),
    Column("Schulart", "school_type", _attr("school_type")),
    Column("Schüler", "pupils", _attr("pupils")),
    Column("Anbindung Ampel", "uplink_light", _attr("uplink_light"), "light"),
    Column("Anbindung Status", "uplink_status", _attr("uplink_status")),
    Column("Download (Mbit/s)", "uplink_down_mbps", _attr("uplink_down_mbps")),
    Column("Upload (Mbit/s)", "uplink_up_mbps", _attr("uplink_up_mbps")),
    Column("WLAN Ampel", "coverage_light", _attr("coverage_light"), "light"),
    Column("Unterrichtsräume", "teaching_rooms", _attr("teaching_rooms")),
    Column("Räume mit WLAN geplant", "planned_covered_rooms", _attr("planned_covered_rooms")),
    Column("Räume mit WLAN live", "live_covered_rooms", _attr("live_covered_rooms")),
    Column("WLAN-Abdeckung geplant (%)", "planned_coverage_percent", _attr("planned_coverage"), "share"),
    Column("WLAN-Abdeckung live (%)", "live_coverage_percent", _attr("live_coverage"), "share"),
    Column("Räume ohne funktionierendes WLAN", "rooms_without_wlan", _attr("rooms_without_wlan"), "list"),
    Column("Geräte Ampel", "devices_light", _attr("devices_light"), "light"),
    Column("Geräte für Schüler", "devices_available", _attr("devices_available")),
    Column("Geräte je Schüler", "devices_per_pupil", _attr("devices_per_pupil"), "decimal"),
    Column("Ausleihen offen", "loans_open", _attr("loans_open")),
    Column("Ausleihen überfällig", "loans_overdue", _attr("loans_overdue")),
    Column("AP-Verfügbarkeit Ampel", "availability_light", _attr("availability_light"), "light"),
    Column("AP-Verfügbarkeit 30 Tage (%)", "ap_availability_30d_percent", _attr("ap_availability_30d"), "share"),
    Column("Auslastung Ampel", "utilisation_light", _attr("utilisation_light"), "light"),
    Column("Auslastungsspitze 30 Tage (%)", "uplink_utilisation_peak_30d_percent",
           _attr("uplink_utilisation_peak_30d"), "share"),
    Column("Tickets offen", "tickets_open", _attr("tickets_open")),
    Column("Tickets SLA verletzt", "tickets_breaching", _attr("tickets_breaching")),
    Column("Tickets gelöst 90 Tage", "tickets_resolved_90d", _attr("tickets_resolved_90d")),
    Column("Median Lösungszeit (h)", "median_resolution_hours", _attr("median_resolution_hours"), "decimal"),
)
TOTAL = N_("Total")


class _TotalRow:
    """The county's totals in the school columns: the name says "Total", per-school-only cells stay empty."""

    def __init__(self, totals: Any) -> None:
        self._totals = totals
        self.name = _(TOTAL)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._totals, name, None)


def county_csv(dashboard: CountyDashboard, lang: str = "de") -> bytes:
    """One row per school, then the county's totals."""
    token = current_locale.set(lang)
    try:
        total = _TotalRow(dashboard.totals)
    finally:
        current_locale.reset(token)
    return _write(SCHOOL_COLUMNS, [*dashboard.schools, total], lang)


def _totals(name: str) -> Getter:
    return lambda member: getattr(member.totals, name)


def _cost(name: str) -> Getter:
    return lambda member: getattr(member.cost, name)


ARRANGEMENT_COLUMNS = (
    Column("Landkreis", "county", _attr("county_name")),
    Column("Federführend", "lead", _attr("lead"), "yesno"),
    Column("Schulen", "schools", _totals("schools")),
    Column("Schüler", "pupils", _totals("pupils")),
    Column("WLAN-Abdeckung live (%)", "live_coverage_percent", _totals("live_coverage"), "share"),
    Column("Geräte je Schüler", "devices_per_pupil", _totals("devices_per_pupil"), "decimal"),
    Column("AP-Verfügbarkeit 30 Tage (%)", "ap_availability_30d_percent", _totals("ap_availability_30d"), "share"),
    Column("Tickets offen", "tickets_open", _totals("tickets_open")),
    Column("Tickets SLA verletzt", "tickets_breaching", _totals("tickets_breaching")),
    Column("Median Lösungszeit (h)", "median_resolution_hours", _totals("median_resolution_hours"), "decimal"),
    Column("Stunden Monat", "month_hours", _cost("month_hours")),
    Column("Anteil Monat (%)", "month_share_percent", _cost("month_share_percent")),
    Column("Stunden Jahr", "year_hours", _cost("year_hours")),
    Column("Anteil Jahr (%)", "year_share_percent", _cost("year_share_percent")),
)


def arrangement_csv(dashboard: ArrangementDashboard, lang: str = "de") -> bytes:
    """One row per member county: its totals, support load and hours (month and year)."""
    return _write(ARRANGEMENT_COLUMNS, dashboard.counties, lang)


OPEN_DATA_COLUMNS = (
    Column("Schulnummer", "school_number", _attr("school_number")),
    Column("Schule", "name", _attr("name")),
    Column("Landkreis", "county", _attr("county")),
    Column("Schulart", "school_type", _attr("school_type")),
    Column("Anbindungsklasse", "uplink_class", _attr("uplink_class")),
    Column("Download (Mbit/s)", "uplink_down_mbps", _attr("uplink_down_mbps")),
    Column("Upload (Mbit/s)", "uplink_up_mbps", _attr("uplink_up_mbps")),
    Column("WLAN-Abdeckung geplant (%)", "planned_coverage_percent", _attr("planned_coverage_percent"), "decimal"),
    Column("WLAN-Abdeckung live (%)", "live_coverage_percent", _attr("live_coverage_percent"), "decimal"),
    Column("Geräte je Schüler", "devices_per_pupil", _attr("devices_per_pupil"), "decimal"),
    Column("Lizenz", "licence", _attr("licence")),
    Column("Lizenz-URL", "licence_url", _attr("licence_url")),
    Column("Namensnennung", "attribution", _attr("attribution")),
)


def open_data_csv(data: OpenData, lang: str = "de") -> bytes:
    return _write(OPEN_DATA_COLUMNS, data.items, lang)
