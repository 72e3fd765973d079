"""Fields and CSV columns that several inventory resources share (serial number, MAC address, purchase
data, funding programme, notes, the school a row belongs to), and the end status "disposed" that devices and
access points reach through an approved disposal (`schoolit.inventory.disposals`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from schoolit.describe import identifiers
from schoolit.describe.csvformat import Column
from schoolit.describe.kinds import Choice, Day, Money, Normalised, Reference, Text, Whole
from schoolit.describe.resource import Check, Csv, Field, dates_in_order, shown
from schoolit.inventory.choices import FUNDING_PROGRAMME_LABELS, FUNDING_PROGRAMME_WORDS, FundingProgramme
from schoolit.inventory.definitions import today
from schoolit.kernel.i18n import N_, gettext
from schoolit.kernel.times import day_text

# A school's device (access point, controller) has its address inside the school's management network
# (`identifiers.in_network`, for the API, the forms and the import alike).
OUTSIDE_SCHOOL_NETWORK = N_("outside the school's management network")
DATES_WARRANTY = N_("the warranty (until %(later)s) cannot end before the purchase (%(earlier)s)")
# The days records keep of what happened (bought, invoiced, lent) have passed, and none lies before EARLIEST_DAY:
# no device or access point a school still holds (nor its loan) dates from before 2000 — the fleets are from
# the school programmes of the 2000s on and the DigitalPakt's (2019) —, so an earlier day is a typo (1800, 1950
# for 2025) and a later one than today a year typed wrong (2031).
EARLIEST_DAY = dt.date(2000, 1, 1)
IN_THE_FUTURE = N_("cannot lie in the future")
TOO_EARLY = N_("no earlier than %(day)s")
# The other days of the inventory (a warranty's or a contract's end, an installation, a line going live) may lie
# ahead, but none before EARLIEST_DAY (the lines in the register are today's contracts too) nor after LATEST_DAY:
# beyond either, the year was typed wrong ("0021" is year 21, "2207" for 2027).
LATEST_DAY = dt.date(2099, 12, 31)
TOO_LATE = N_("no later than %(day)s")


def _on_record_problem(day: dt.date) -> str | None:
    """Why `day` cannot be a day of the inventory: before EARLIEST_DAY or after LATEST_DAY; None when it can."""
    if day < EARLIEST_DAY:
        return gettext(TOO_EARLY, day=day_text(EARLIEST_DAY))
    if day > LATEST_DAY:
        return gettext(TOO_LATE, day=day_text(LATEST_DAY))
    return None


def past_day_problem(day: dt.date) -> str | None:
    """Why `day` cannot be a day records keep (see EARLIEST_DAY): it lies in the future, or before EARLIEST_DAY
    (the message in the current language, with the day as pages show it); None when it can."""
    return gettext(IN_THE_FUTURE) if day > today() else _on_record_problem(day)


def _check_days(check: Check, names: tuple[str, ...], problem: Callable[[dt.date], str | None]) -> None:
    """Each of the days `names` that is given (and not refused already) checked by `problem`."""
    for name in names:
        day = check.value(name)
        if check.given(name) and day is not None and not check.has_error(name) \
                and (reason := problem(day)) is not None:
            check.error(name, reason)


def days_on_record(check: Check, *names: str) -> None:
    """The days `names`, where given, lie between EARLIEST_DAY and LATEST_DAY (API, forms and CSV import alike)."""
    _check_days(check, names, _on_record_problem)


def purchase_dates(check: Check) -> None:
    """The rules of a device's and an access point's purchase (API, forms and CSV import alike): its purchase
    and invoice date, where given, are days that have passed and lie no earlier than EARLIEST_DAY; the
    warranty ends on a day on record (`days_on_record`), not before the purchase."""
    _check_days(check, ("purchase_date", "invoice_date"), past_day_problem)
    days_on_record(check, "warranty_end")
    dates_in_order(check, "purchase_date", "warranty_end", DATES_WARRANTY)


# The school a row belongs to: an id in the API and forms, its school number in CSV files.
SCHOOL_NUMBER = Column("school_number", "Schulnummer", "school_number", Normalised(identifiers.school_number).cell,
                       aliases=("Schul-Nr.", "Schulnr", "Schulnummer (5-stellig)", "school number", "school"),
                       required=True, direct=False, memo=True)


# The building a room is in: its name in CSV files (the import creates buildings it does not know).
BUILDING = Column("building", "Gebäude", "building", Text(120).cell, aliases=("Haus", "Gebäudeteil"), direct=False,
                  empty="", memo=True)


def school_fields(alias: str) -> tuple[Field, ...]:
    return (
        Field("school_id", Reference(), N_("School"), required=True, widget="select", filter="eq",
              select=f"{alias}.school_id"),
        shown("school_name", str, "s.name", N_("School"), sort="school"),
    )


SERIAL = Field("serial", Normalised(identifiers.serial_number), N_("Serial number"), required=True, sort="serial",
               search=True, csv=Csv("Seriennummer", "serial", aliases=(
                   "Serien-Nr.", "Seriennr", "SN", "S/N", "serial number", "serial_number"), required=True))
MAC = Field("mac", Normalised(identifiers.mac_address), N_("MAC address"), nullable=True, cast="macaddr",
            csv=Csv("MAC-Adresse", "mac", aliases=("MAC", "MAC Adresse", "WLAN-MAC", "Ethernet-MAC", "mac address")))
FUNDING_PROGRAMME = Field(
    "funding_programme", Choice(FundingProgramme, FUNDING_PROGRAMME_LABELS, FUNDING_PROGRAMME_WORDS),
    N_("Funding programme"), required=True, empty=FundingProgramme.OTHER.value, filter="eq", page="purchase",
    csv=Csv("Förderprogramm", "funding_programme", aliases=(
        "Förderung", "Finanzierung", "funding", "funding programme", "funding program"), memo=True))
PURCHASE_DATE = Field("purchase_date", Day(), N_("Purchase date"), nullable=True, sort="purchase_date", page="purchase",
                      csv=Csv("Kaufdatum", "purchase_date", aliases=(
                          "Anschaffungsdatum", "Beschaffungsdatum", "purchase date", "purchased"), memo=True))
PRICE = Field("price_cents", Money(), N_("Price (EUR)"), nullable=True, page="purchase", page_label=N_("Price"),
              csv=Csv("Preis (EUR)", "price_eur", aliases=(
                  "Preis", "Preis (€)", "Preis in EUR", "Kaufpreis", "Anschaffungspreis", "Bruttopreis", "price",
                  "price (EUR)"), memo=True))
WARRANTY_END = Field("warranty_end", Day(), N_("Warranty end"), nullable=True, sort="warranty_end", page="end",
                     csv=Csv("Garantie bis", "warranty_end", aliases=(
                         "Garantieende", "Gewährleistung bis", "warranty", "warranty end"), memo=True))
NOTES = Field("notes", Text(4000), N_("Notes"), widget="textarea", csv=Csv("Bemerkungen", "notes", aliases=(
    "Bemerkung", "Notizen", "Notiz", "Hinweise")))
# 161 but for devices reached through port forwarding (or a simulator): an empty value is the default.
SNMP_PORT = Field("snmp_port", Whole(1, 65535), N_("SNMP port"), empty=161,
                  help=N_("161 unless the device is reached through port forwarding."),
                  csv=Csv("SNMP-Port", "snmp_port", aliases=("Port", "snmp port"),
                          note="1–65535; empty: 161 (change it only for port forwarding)"))
# The SNMP profile (alias `p`) of the county: by id in the API and forms, by name in CSV files.
SNMP_PROFILE = Field("snmp_profile_id", Reference(), N_("SNMP profile"), nullable=True, widget="select",
                     csv=Csv("SNMP-Profil", "snmp_profile", note="profile name", aliases=("SNMP", "snmp profile"),
                             memo=True, column="snmp_profile", resolved=True, kind=Text(120),
                             export="coalesce(p.name, '')"))


# --- the end status "disposed" (devices and access points) ------------------------------------------

DISPOSED = "disposed"  # DeviceStatus.DISPOSED and AccessPointStatus.DISPOSED
DISPOSED_WORDS = ("ausgesondert", "entsorgt", "verschrottet")  # what spreadsheets say for it


def disposed_status(check: Check, stored_status: Any, becomes: str, stays: str) -> bool:
    """The rule of the end status: only an approved disposal sets "disposed" (`becomes` when it is typed in),
    and a disposed row keeps it (`stays`). True when the status is settled by this rule, so the kind's other
    status rules do not apply; a status not given (a PATCH, a CSV file without the column) is left alone."""
    if not check.given("status"):
        return stored_status == DISPOSED
    status = check.value("status")
    if stored_status == DISPOSED:
        if status != DISPOSED:
            check.error("status", stays)
        return True
    if status == DISPOSED:
        check.error("status", becomes)
        return True
    return False


def disposal_fields(alias: str) -> tuple[Field, ...]:
    """The day and reason of the disposal: set only by an approved one, shown (and in the funding proof)."""
    return (shown("disposed_on", dt.date | None, f"{alias}.disposed_on", N_("Disposed of on")),
            shown("disposal_reason", str | None, f"{alias}.disposal_reason", N_("Reason for disposal")))
