"""Internet uplinks of schools (FttB when all goes well): the description and the rules of one line.
"Gigabit symmetric" is derived, never typed in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from schoolit.describe import identifiers
from schoolit.describe.kinds import Choice, Day, Normalised, Text, Whole, YesNo
from schoolit.describe.resource import Check, Csv, Field, Resource, dates_in_order, row_fields, shown
from schoolit.inventory.choices import UPLINK_STATUS_LABELS, UPLINK_TECHNOLOGY_LABELS, UplinkStatus, UplinkTechnology
from schoolit.inventory.definitions import gigabit_symmetric_sql, today
from schoolit.inventory.resources.common import (
    NOTES,
    SCHOOL_NUMBER,
    SNMP_PORT,
    SNMP_PROFILE,
    days_on_record,
    school_fields,
)
from schoolit.kernel.i18n import N_

CONTRACT_BEFORE_LIVE = N_("the contract (until %(later)s) cannot end before the line went live (%(earlier)s)")
LIVE_IN_THE_FUTURE = N_("a live line cannot go live in the future")
POSITIVE = N_("must be positive")


def validate(check: Check, stored: Mapping[str, Any]) -> None:
    """`stored`: the line's stored `status` (the import's match; an update's row)."""
    days_on_record(check, "live_since", "contract_end")
    dates_in_order(check, "live_since", "contract_end", CONTRACT_BEFORE_LIVE)
    status = check.value("status") or stored.get("status")
    if status == UplinkStatus.LIVE.value and (check.value("live_since") or dt.date.min) > today() \
            and not check.has_error("live_since"):
        check.error("live_since", LIVE_IN_THE_FUTURE)


UPLINK = Resource(
    name="uplink", plural="uplinks", table="uplink", alias="u", label=N_("uplink"),
    source="uplink u JOIN school s ON s.id = u.school_id LEFT JOIN snmp_profile p ON p.id = u.snmp_profile_id",
    county="u.county_id", school="u.school_id", default_sort="school", export_order="s.school_number, u.id",
    validate=validate,
    csv_keys=((SCHOOL_NUMBER, "s.school_number"),),
    fields=(
        *row_fields("u"),
        *school_fields("u"),
        Field("provider", Text(120), N_("Provider"), required=True, sort="provider", search=True,
              csv=Csv("Anbieter", "provider", aliases=("Provider", "Netzbetreiber", "Carrier"), required=True,
                      memo=True)),
        Field("line_id", Text(80), N_("Line ID"), search=True, csv=Csv("Leitungs-ID", "line_id", aliases=(
            "Leitungsnummer", "Leitungs-Nr.", "Anschlusskennung", "Vertragsnummer", "line id", "circuit id"))),
        Field("technology", Choice(UplinkTechnology, UPLINK_TECHNOLOGY_LABELS, {
            "fttb": ("Glasfaser", "Glasfaser (FttB)"), "ftth": ("Glasfaser (FttH)",), "cable": ("Kabel", "Koax"),
            "vdsl": ("DSL", "Kupfer"), "lte": ("Mobilfunk", "5G"),
        }), N_("Technology"), required=True, empty=UplinkTechnology.FTTB.value, filter="eq",
            csv=Csv("Technologie", "technology", aliases=("Anschlussart", "Technik", "Zugangstechnik", "technology"),
                    memo=True)),
        Field("down_mbps", Whole(1, 1_000_000, POSITIVE), N_("Download (Mbit/s)"), required=True, sort="down_mbps",
              csv=Csv("Download (Mbit/s)", "down_mbps", aliases=("Download", "Downstream", "Downstream (Mbit/s)",
                                                                   "down"), memo=True)),
        Field("up_mbps", Whole(1, 1_000_000, POSITIVE), N_("Upload (Mbit/s)"), required=True, sort="up_mbps",
              help=N_("Gigabit symmetric is derived: at least 1000 Mbit/s in both directions."),
              csv=Csv("Upload (Mbit/s)", "up_mbps", aliases=("Upload", "Upstream", "Upstream (Mbit/s)", "up"),
                      memo=True)),
        shown("gigabit_symmetric", bool, gigabit_symmetric_sql("u"), N_("Gigabit symmetric"), YesNo(), filter="eq"),
        Field("status", Choice(UplinkStatus, UPLINK_STATUS_LABELS, {
            "planned": ("geplant",), "ordered": ("bestellt", "beauftragt"), "construction": ("im Bau", "Bau", "Ausbau"),
            "live": ("in Betrieb", "aktiv", "online"), "terminated": ("gekündigt", "abgeschaltet", "beendet"),
        }), N_("Status"), required=True, empty=UplinkStatus.PLANNED.value, filter="eq", sort="status",
            csv=Csv("Status", "status", aliases=("Zustand", "state"), memo=True)),
        Field("live_since", Day(), N_("Live since"), nullable=True, sort="live_since", csv=Csv(
            "In Betrieb seit", "live_since", aliases=("Live seit", "Inbetriebnahme", "Schaltung", "live since", "live"),
            memo=True)),
        Field("contract_end", Day(), N_("Contract end"), nullable=True, sort="contract_end", csv=Csv(
            "Vertragsende", "contract_end", aliases=("Vertrag bis", "Laufzeit bis", "contract end"), memo=True)),
        Field("router_ip", Normalised(identifiers.ip_address), N_("Router management IP"), nullable=True, cast="inet",
              csv=Csv("Router-IP", "router_ip", aliases=("Router IP-Adresse", "Router", "router ip"))),
        Field("router_if_index", Whole(1), N_("Uplink interface index (SNMP)"), nullable=True, csv=Csv(
            "Router-Interface (ifIndex)", "router_if_index", note="whole number", aliases=(
                "ifIndex", "Interface-Index", "if index", "interface index"))),
        Field("router_interface", Text(64), N_("Uplink interface name (SNMP)"), csv=Csv(
            "Router-Interface-Name", "router_interface",
            note="instead of the index: the interface's ifName or ifAlias, e.g. `pppoe-wan` (a bare "
                 "`Router-Interface` header means this name, not the index)", aliases=(
                "Router-Interface", "ifName", "ifAlias", "Interface-Name", "WAN-Interface", "interface name")),
              help=N_("Instead of the index: the interface's name or description on the router (ifName or ifAlias), "
                      "e.g. pppoe-wan. The index can change when the router adds an interface.")),
        SNMP_PORT,
        Field("public_prefix", Normalised(identifiers.ip_prefix), N_("Public prefix"), nullable=True, cast="cidr",
              csv=Csv("Öffentliches Netz", "public_prefix", aliases=(
                  "Öffentliches Präfix", "Öffentliche IP-Adressen", "public prefix", "public network"))),
        SNMP_PROFILE,
        NOTES,
    ),
)
UPLINKS = UPLINK.listing(search=("s.name", "host(u.router_ip)", "u.public_prefix::text"))
