"""Pupil devices (Schülerleihgeräte): the description and the rules of one device."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from schoolit.describe.kinds import Choice, Day, Text, YesNo
from schoolit.describe.resource import Check, Csv, Field, Filter, Resource, row_fields, shown
from schoolit.inventory.choices import DEVICE_KIND_LABELS, DEVICE_STATUS_LABELS, DeviceKind, DeviceStatus
from schoolit.inventory.resources.common import (
    DISPOSED,
    DISPOSED_WORDS,
    FUNDING_PROGRAMME,
    MAC,
    NOTES,
    PRICE,
    PURCHASE_DATE,
    SCHOOL_NUMBER,
    SERIAL,
    WARRANTY_END,
    disposal_fields,
    disposed_status,
    purchase_dates,
    school_fields,
)
from schoolit.inventory.resources.procurement import PROCUREMENT
from schoolit.kernel.i18n import N_
from schoolit.settings import get_settings
from schoolit.truth import YES

LENT = DeviceStatus.LENT.value
BECOMES_LENT = N_("a device becomes lent through a loan")
STAYS_LENT = N_("a lent device changes status when it is returned")
LENT_STAYS = N_("the device is lent: return it before it moves to another school")
LOANS_STAY = N_("a device with loan records stays in its county")
BECOMES_DISPOSED = N_("a device is disposed of through an approved disposal (Aussonderung)")
STAYS_DISPOSED = N_("the device is disposed of and stays so")


# Devices no longer in use: the MDM does not miss them.
GONE = (DeviceStatus.RETIRED.value, DeviceStatus.DISPOSED.value)


def silent_cutoff() -> dt.datetime:
    """A device the MDM last saw before this moment is flagged (`MDM_SILENT_AFTER_DAYS`, 30 by default)."""
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=get_settings().mdm_silent_after_days)


def mdm_silent(device: Mapping[str, Any]) -> bool:
    """Not seen by the MDM for too long: computed when read, never stored (a retired or disposed device is not
    missed)."""
    last_seen = device.get("mdm_last_seen")
    return last_seen is not None and last_seen < silent_cutoff() and device.get("status") not in GONE


class SilentSince(YesNo):
    """The list filter "not seen by the MDM": yes filters by the moment before which a check-in is too old,
    no filters nothing."""

    def parse(self, value: Any) -> dt.datetime | None:  # type: ignore[override]
        return silent_cutoff() if super().parse(value) else None


def validate(check: Check, stored: Mapping[str, Any]) -> None:
    """The rules of one device. `stored`: `on_loan` (it has an open loan) and its `status` (empty when new)."""
    purchase_dates(check)
    if disposed_status(check, stored.get("status"), BECOMES_DISPOSED, STAYS_DISPOSED) or not check.given("status"):
        return
    status = check.value("status")
    if stored.get("on_loan"):
        if status != LENT:
            check.error("status", STAYS_LENT)
    elif status == LENT and stored.get("status") != LENT:
        check.error("status", BECOMES_LENT)


def move_problem(stored: Mapping[str, Any], county_id: int) -> str | None:
    """Why a device cannot move to a school of `county_id` (`stored`: `on_loan`, `has_loans`, `county_id`)."""
    if stored["on_loan"]:
        return LENT_STAYS
    if stored["county_id"] != county_id and stored["has_loans"]:
        return LOANS_STAY  # its loan records stay with the county that lent it
    return None


DEVICE = Resource(
    name="device", plural="devices", table="device", alias="d", label=N_("device"),
    source="device d JOIN school s ON s.id = d.school_id LEFT JOIN loan l ON l.device_id = d.id "
           "AND l.returned_on IS NULL",
    export_source="device d JOIN school s ON s.id = d.school_id",
    county="d.county_id", school="d.school_id", default_sort="serial", export_order="s.school_number, d.serial",
    validate=validate,
    csv_keys=((SCHOOL_NUMBER, "s.school_number"),),
    fields=(
        *row_fields("d"),
        *school_fields("d"),
        Field("kind", Choice(DeviceKind, DEVICE_KIND_LABELS, {
            "laptop": ("Notebook", "Laptop"), "convertible": ("2-in-1", "Convertible"),
            "desktop": ("PC", "Desktop-PC"), "other": ("Sonstiges", "andere"),
        }), N_("Kind"), required=True, empty=DeviceKind.TABLET.value, filter="eq", sort="kind",
            csv=Csv("Geräteart", "kind", aliases=("Art", "Gerätetyp", "device kind", "type"), memo=True)),
        Field("vendor", Text(80), N_("Vendor"), filter="like", sort="vendor",
              csv=Csv("Hersteller", "vendor", note="free text", aliases=("Marke", "manufacturer", "make"), memo=True)),
        Field("model", Text(120), N_("Model"), filter="like", sort="model", search=True,
              csv=Csv("Modell", "model", aliases=("Typ", "Gerätemodell"), memo=True)),
        replace(SERIAL, autofocus=True, page="identity"),
        Field("asset_tag", Text(40), N_("Asset tag"), nullable=True, sort="asset_tag", search=True, page="identity",
              csv=Csv("Inventarnummer", "asset_tag", note="unique per county", aliases=(
                  "Inventar-Nr.", "Inventarnr", "Inventar", "asset tag", "asset"))),
        Field("inventory_number", Text(40), N_("Fixed-asset number"), filter="like", page="identity", csv=Csv(
            "Anlagennummer", "inventory_number", note="the county's fixed-asset accounting (Anlagenbuchhaltung); "
            "text, up to 40 characters, not unique", aliases=("Anlagen-Nr.", "Anlagen-Nummer", "fixed asset number",
                                                              "inventory number"))),
        replace(MAC, label=N_("MAC address (Wi-Fi)"), page="identity",
                csv=replace(MAC.csv, note="unique among devices") if MAC.csv else None),
        Field("mdm_id", Text(80), N_("MDM ID"), search=True,
              csv=Csv("MDM-ID", "mdm_id", aliases=("MDM ID", "MDM-Kennung"))),
        Field("mdm_enrolled", YesNo(), N_("Enrolled in the MDM"), empty=False, filter="eq", csv=Csv(
            "MDM registriert", "mdm_enrolled", aliases=(
                "MDM", "im MDM", "MDM-Registrierung", "enrolled", "mdm enrolled"), memo=True)),
        shown("mdm_last_seen", dt.datetime | None, "d.mdm_last_seen", N_("Last MDM check-in"), sort="mdm_last_seen"),
        shown("os_version", str, "d.os_version", N_("OS version")),
        shown("mdm_source", str, "d.mdm_source", N_("MDM")),
        FUNDING_PROGRAMME,
        PURCHASE_DATE,
        PRICE,
        WARRANTY_END,
        *PROCUREMENT,
        Field("status", Choice(DeviceStatus, DEVICE_STATUS_LABELS, {
            "stock": ("Lager", "im Lager", "Bestand", "verfügbar", "in stock"), "lent": ("verliehen", "ausgeliehen"),
            "repair": ("Reparatur", "in Reparatur"), "lost": ("verloren", "gestohlen"),
            "retired": ("ausgemustert", "außer Betrieb"), "disposed": DISPOSED_WORDS,
        }, unoffered=(DISPOSED,)), N_("Status"), required=True, empty=DeviceStatus.STOCK.value, filter="eq",
            sort="status", help=N_("A device becomes lent through a loan."),
            csv=Csv("Status", "status", aliases=("Zustand", "state"), memo=True)),
        Field("accessories", Text(300), N_("Accessories"), help=N_("e.g. case, pen, charger"), page="end",
              csv=Csv("Zubehör", "accessories", aliases=("Ausstattung",), memo=True)),
        replace(NOTES, page="end"),
        *disposal_fields("d"),
        shown("open_loan_id", int | None, "l.id"),
        shown("open_loan_due_on", dt.date | None, "l.due_on"),
    ),
)
DEVICES = DEVICE.listing(mac="d.mac", search=("d.mac::text",), first=("county_id", "school_id", "status"), filters={
    "warranty_before": Filter("warranty_before", N_("Warranty ending before"), "d.warranty_end < {}", Day()),
    "mdm_silent": Filter("mdm_silent", N_("Not seen by the MDM lately"),
                         "(d.mdm_last_seen < {} AND d.status NOT IN ('retired', 'disposed'))", SilentSince(),
                         options=(("yes", YES),)),
})
# What a bulk change may set (`set_device_status`): never "lent", which only a loan sets and only a return ends.
# Nor "disposed", which only an approved disposal sets.
BULK_STATUSES = tuple(s for s in DeviceStatus if s not in (DeviceStatus.LENT, DeviceStatus.DISPOSED))
BULK_LENT = N_("not lent: a device becomes lent through a loan")
