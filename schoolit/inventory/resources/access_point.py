"""WLAN access points: the description and the rules of one access point."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from schoolit.describe import identifiers
from schoolit.describe.kinds import Choice as ChoiceKind
from schoolit.describe.kinds import Day, IdList, Normalised, Reference, Text
from schoolit.describe.resource import Check, Csv, Field, Resource, dates_in_order, row_fields, shown
from schoolit.inventory.choices import ACCESS_POINT_STATUS_LABELS, VENDOR_LABELS, AccessPointStatus, Vendor
from schoolit.inventory.definitions import today
from schoolit.inventory.resources.common import (
    BUILDING,
    DISPOSED,
    DISPOSED_WORDS,
    FUNDING_PROGRAMME,
    MAC,
    OUTSIDE_SCHOOL_NETWORK,
    PRICE,
    PURCHASE_DATE,
    SCHOOL_NUMBER,
    SERIAL,
    SNMP_PORT,
    SNMP_PROFILE,
    WARRANTY_END,
    days_on_record,
    disposal_fields,
    disposed_status,
    purchase_dates,
    school_fields,
)
from schoolit.inventory.resources.procurement import PROCUREMENT
from schoolit.kernel.i18n import N_

INSTALLED_BEFORE_BOUGHT = N_("cannot be installed (%(later)s) before it was bought (%(earlier)s)")
# A planned access point may name the day it is to be installed; an active one hangs already.
ACTIVE_NOT_INSTALLED_YET = N_("an active access point cannot be installed in the future (not installed yet: "
                              "status planned)")
BECOMES_DISPOSED = N_("an access point is disposed of through an approved disposal (Aussonderung)")
STAYS_DISPOSED = N_("the access point is disposed of and stays so")


def validate(check: Check, stored: Mapping[str, Any]) -> None:
    """`stored`: the management network (`prefix`) of the school the access point is (or goes) at, and its
    stored `status` (empty when new). An active access point's installation day is not in the future;
    "disposed" is set only by an approved disposal and never left."""
    purchase_dates(check)
    days_on_record(check, "installed_on")
    dates_in_order(check, "purchase_date", "installed_on", INSTALLED_BEFORE_BOUGHT)
    disposed = disposed_status(check, stored.get("status"), BECOMES_DISPOSED, STAYS_DISPOSED)
    status = check.value("status") or stored.get("status") or AccessPointStatus.ACTIVE.value  # a new one's default
    if not disposed and status == AccessPointStatus.ACTIVE.value \
            and (check.value("installed_on") or dt.date.min) > today() and not check.has_error("installed_on"):
        check.error("installed_on", ACTIVE_NOT_INSTALLED_YET)
    ip = check.value("management_ip")
    if ip and not check.has_error("management_ip") and not identifiers.in_network(ip, stored.get("prefix")):
        check.error("management_ip", OUTSIDE_SCHOOL_NETWORK)


# Rooms an access point covers, as "Gebäude: Raum, …" in CSV files.
_COVERS = ("coalesce((SELECT string_agg(CASE WHEN cb.name IS NULL THEN cr.name ELSE cb.name || ': ' || cr.name END, "
           "', ' ORDER BY lower(coalesce(cb.name, '')), lower(cr.name)) FROM access_point_room apr "
           "JOIN room cr ON cr.id = apr.room_id LEFT JOIN building cb ON cb.id = cr.building_id "
           "WHERE apr.access_point_id = a.id), '')")

ACCESS_POINT = Resource(
    name="access_point", plural="access-points", table="access_point", alias="a", label=N_("access point"),
    source="access_point a JOIN school s ON s.id = a.school_id LEFT JOIN room r ON r.id = a.room_id "
           "LEFT JOIN snmp_profile p ON p.id = a.snmp_profile_id",
    export_source="access_point a JOIN school s ON s.id = a.school_id LEFT JOIN room r ON r.id = a.room_id "
                  "LEFT JOIN building b ON b.id = r.building_id LEFT JOIN snmp_profile p ON p.id = a.snmp_profile_id",
    county="a.county_id", school="a.school_id", default_sort="name", export_order="s.school_number, a.serial",
    validate=validate, csv_one_of=("serial", "mac"),
    csv_keys=((SCHOOL_NUMBER, "s.school_number"), (replace(BUILDING, note="of the room"), "coalesce(b.name, '')")),
    fields=(
        *row_fields("a"),
        *school_fields("a"),
        Field("room_id", Reference(), N_("Mounted in room"), nullable=True, widget="select", filter="eq",
              csv=Csv("Raum", "room", note="where it hangs", aliases=("Standort", "Raumnummer", "location"),
                      memo=True, column="room", resolved=True, kind=Text(60), export="coalesce(r.name, '')")),
        shown("room_name", str | None, "r.name", sort="room"),
        Field("mounting_location", Text(120), N_("Mounting location"), filter="like",
              help=N_("e.g. ceiling above the door"), csv=Csv("Montageort", "mounting_location", aliases=(
                  "Montageposition", "Montagestelle", "mounting location"))),
        Field("name", Text(120), N_("Name"), sort="name", search=True,
              csv=Csv("Name", "name", aliases=("Bezeichnung", "Hostname", "AP-Name"))),
        Field("vendor", ChoiceKind(Vendor, VENDOR_LABELS, {
            "aruba": ("HPE Aruba", "Aruba Networks"), "unifi": ("Ubiquiti", "UniFi"), "lancom": ("LANCOM Systems",),
            "cisco": ("Cisco Meraki", "Meraki"), "aerohive": ("Extreme Networks", "Extreme"),
            "ruckus": ("CommScope",), "extreme": ("Enterasys", "ExtremeWireless", "HiPath Wireless"),
            "zyxel": ("ZyXEL Networks",), "generic": ("Sonstige", "andere", "other"),
        }), N_("Vendor"), required=True, empty=Vendor.GENERIC.value, filter="eq", sort="vendor",
            csv=Csv("Hersteller", "vendor", aliases=("Marke", "manufacturer", "make"), memo=True)),
        Field("model", Text(120), N_("Model"), filter="like", sort="model", search=True,
              csv=Csv("Modell", "model", aliases=("Typ", "Gerätetyp"), memo=True)),
        # Known by serial number or, failing that, by MAC address (the import resolves which).
        replace(SERIAL, csv=replace(SERIAL.csv, required=False, to_create=False, note="key (or the MAC)")
                if SERIAL.csv else None),
        MAC,
        Field("management_ip", Normalised(identifiers.ip_address), N_("Management IP"), nullable=True, cast="inet",
              sort="management_ip", csv=Csv("Management-IP", "management_ip", aliases=(
                  "IP", "IP-Adresse", "Management IP-Adresse", "ip address", "ip"))),
        SNMP_PORT,
        SNMP_PROFILE,
        shown("snmp_profile_name", str | None, "p.name"),
        Field("status", ChoiceKind(AccessPointStatus, ACCESS_POINT_STATUS_LABELS, {
            "planned": ("geplant",), "active": ("aktiv", "in Betrieb", "online"),
            "faulty": ("defekt", "gestört", "Störung"), "retired": ("ausgemustert", "außer Betrieb", "abgebaut"),
            "disposed": DISPOSED_WORDS,
        }, unoffered=(DISPOSED,)), N_("Status"), required=True, empty=AccessPointStatus.ACTIVE.value, filter="eq",
            sort="status",
            csv=Csv("Status", "status", aliases=("Zustand", "state"), memo=True)),
        Field("installed_on", Day(), N_("Installed on"), nullable=True, sort="installed_on", csv=Csv(
            "Installiert am", "installed_on", aliases=(
                "Installationsdatum", "Montagedatum", "installed", "installation date"), memo=True)),
        WARRANTY_END,
        FUNDING_PROGRAMME,
        PURCHASE_DATE,
        PRICE,
        *PROCUREMENT,
        *disposal_fields("a"),
        Field("covered_room_ids", IdList(), N_("Covered rooms"), help=N_("From the WLAN survey."),
              select="ARRAY(SELECT ar.room_id FROM access_point_room ar WHERE ar.access_point_id = a.id "
                     "ORDER BY ar.room_id)",
              csv=Csv("Versorgte Räume", "covered_rooms", note="`A 1.12, Haus B: Physik`", aliases=(
                  "Abdeckung", "WLAN-Abdeckung", "versorgt", "coverage", "covers"), column="covers", resolved=True,
                  kind=Text(4000), export=_COVERS)),
    ),
)
ACCESS_POINTS = ACCESS_POINT.listing(mac="a.mac", search=("a.mac::text", "host(a.management_ip)"), first=(
    "county_id", "school_id", "status", "vendor", "funding_programme"))
