"""Schools: the description and the rules of one school (its management network)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from schoolit import rules
from schoolit.describe import identifiers
from schoolit.describe.kinds import Choice, Normalised, Reference, Text, Whole
from schoolit.describe.resource import Check, Csv, Field, Resource, shown
from schoolit.inventory.choices import SCHOOL_TYPE_LABELS, UPLINK_STATUS_LABELS, SchoolType, UplinkStatus
from schoolit.inventory.definitions import PLANNED_COVERED, ap_counted
from schoolit.kernel.i18n import N_

UNKNOWN_SCHOOL_NUMBER = rules.UNKNOWN_SCHOOL_NUMBER
ADDRESSES_OUTSIDE = N_("access points of this school have addresses outside this prefix")


def validate(check: Check, stored: Mapping[str, Any]) -> None:
    """`stored`: the management addresses of the school's access points (`access_point_ips`). The website
    is an http(s) address with a host or empty (the school page links it)."""
    website = check.value("website")
    if check.given("website") and website and not check.has_error("website") \
            and not identifiers.is_web_address(website):
        check.error("website", identifiers.NOT_A_WEB_ADDRESS)
    prefix = check.value("management_prefix")
    if check.given("management_prefix") and prefix is not None and not check.has_error("management_prefix") \
            and any(not identifiers.in_network(ip, prefix) for ip in stored.get("access_point_ips", ())):
        check.error("management_prefix", ADDRESSES_OUTSIDE)


SCHOOL = Resource(
    name="school", plural="schools", table="school", alias="s", label=N_("school"),
    # The school's main uplink: the live one, else the one furthest along; terminated lines do not count.
    source="school s JOIN county_directory c ON c.id = s.county_id "
           "LEFT JOIN LATERAL (SELECT status, technology, down_mbps, up_mbps FROM uplink WHERE school_id = s.id "
           "AND status <> 'terminated' ORDER BY (status = 'live') DESC, down_mbps DESC, id LIMIT 1) u ON TRUE",
    export_source="school s JOIN county_directory c ON c.id = s.county_id",
    county="s.county_id", school="s.id", default_sort="name", export_order="s.school_number",
    validate=validate,
    fields=(
        shown("id", int, "s.id"),
        Field("school_number", Normalised(identifiers.school_number, inputmode="numeric"), N_("School number"),
              required=True, sort="school_number", search=True, autofocus=True,
              help=N_("The 5-digit number of the school in Rhineland-Palatinate."),
              csv=Csv("Schulnummer", "school_number", aliases=(
                  "Schul-Nr.", "Schulnr", "Schulnummer (5-stellig)", "school number", "school"), required=True,
                  resolved=True, memo=True)),
        Field("name", Text(200), N_("Name"), required=True, sort="name", search=True,
              csv=Csv("Name", "name", aliases=("Schulname", "Schule", "school name"))),
        Field("school_type", Choice(SchoolType, SCHOOL_TYPE_LABELS, {
            "igs": ("Integrierte Gesamtschule", "Gesamtschule"), "realschule_plus": ("Realschule+", "RS+"),
            "bbs": ("Berufsbildende Schule", "Berufsschule"), "other": ("Sonstige", "andere"),
        }), N_("School type"), required=True, empty=SchoolType.GYMNASIUM.value, filter="eq", sort="school_type",
            csv=Csv("Schulart", "school_type", aliases=("Schulform", "Schultyp", "type", "school type"), memo=True)),
        Field("county_id", Reference(), N_("County"), required=True, widget="select", filter="eq",
              csv=Csv("Landkreis", "county", aliases=("Kreis", "Schulträger", "district"), memo=True,
                      note="to create (several counties in scope)",
                      to_create=False, column="county", resolved=True, kind=Text(200), export="c.slug")),
        shown("county_name", str, "c.name", N_("County"), sort="county"),
        Field("street", Text(200), N_("Street"),
              csv=Csv("Straße", "street", aliases=("Anschrift", "Adresse", "address"))),
        Field("postal_code", Normalised(identifiers.postal_code, inputmode="numeric", blank=""), N_("Postal code"),
              csv=Csv("PLZ", "postal_code", note="five digits", aliases=("Postleitzahl", "postcode", "zip"))),
        Field("city", Text(120), N_("City"), sort="city", search=True,
              csv=Csv("Ort", "city", aliases=("Stadt", "Gemeinde", "town"), memo=True)),
        Field("pupils", Whole(0, 20_000, rules.NOT_NEGATIVE), N_("Pupils"), empty=0, sort="pupils",
              csv=Csv("Schülerzahl", "pupils", note="0–20,000", aliases=(
                  "Schüler", "Schülerinnen und Schüler", "Anzahl Schüler", "pupil count"))),
        Field("website", Text(200), N_("Website"), filter="like", sort="website",
              help=N_("The full address, e.g. https://www.gymnasium-beispiel.de"),
              csv=Csv("Webseite", "website", note="an http:// or https:// address")),
        Field("management_prefix", Normalised(identifiers.ip_prefix), N_("Management network"), nullable=True,
              cast="cidr", help=N_("Access points' management addresses must lie inside it, e.g. 10.20.0.0/24."),
              csv=Csv("Management-Netz", "management_prefix", aliases=(
                  "Management-Präfix", "Managementnetz", "Verwaltungsnetz", "management network"))),
        shown("created_at", dt.datetime, "s.created_at", sort="created_at"),
        shown("updated_at", dt.datetime, "s.updated_at"),
        shown("teaching_rooms", int,
              "(SELECT count(*) FROM room r WHERE r.school_id = s.id AND r.is_teaching)"),
        shown("covered_teaching_rooms", int,
              f"(SELECT count(*) FROM room r WHERE r.school_id = s.id AND r.is_teaching AND {PLANNED_COVERED})"),  # noqa: S608 (constants)
        # covered teaching rooms / teaching rooms (None without teaching rooms)
        shown("planned_coverage", float | None, ""),
        shown("access_points", int,
              f"(SELECT count(*) FROM access_point a WHERE a.school_id = s.id AND {ap_counted('a')})",  # noqa: S608
              sort="access_points"),
        shown("devices", int, "(SELECT count(*) FROM device d WHERE d.school_id = s.id "
                              "AND d.status NOT IN ('retired', 'disposed'))", sort="devices"),
        shown("open_loans", int,
              "(SELECT count(*) FROM loan l WHERE l.school_id = s.id AND l.returned_on IS NULL)",
              sort="open_loans"),
        shown("uplink_status", str | None, "u.status", N_("Uplink"), Choice(UplinkStatus, UPLINK_STATUS_LABELS),
              filter="eq", sort="uplink"),
        shown("uplink_technology", str | None, "u.technology"),
        shown("uplink_down_mbps", int | None, "u.down_mbps"),
        shown("uplink_up_mbps", int | None, "u.up_mbps"),
        shown("uplink_gigabit_symmetric", bool, ""),
    ),
)
SCHOOLS = SCHOOL.listing(first=("county_id", "school_type", "uplink_status"))
