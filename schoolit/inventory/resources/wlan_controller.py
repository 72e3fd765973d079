"""WLAN controllers: the description (`schoolit.describe.resource`) of one, and its address check.

A controller belongs to a county, and to a school when it is that school's; where it is entered it
stays (the API takes `county_id` or `school_id` on creation only). The rules that need the database
(a school's controller inside the school's management network, one controller per address and port
in a county) are `schoolit.inventory.wlan_controllers`'.
"""

from __future__ import annotations

import dataclasses

import netaddr

from schoolit.describe import csvformat, identifiers
from schoolit.describe.kinds import Choice, Normalised, Reference, Text
from schoolit.describe.resource import Csv, Field, Resource, row_fields, shown
from schoolit.inventory.choices import CONTROLLER_PROFILE_LABELS, ControllerProfile
from schoolit.inventory.resources.common import NOTES, SCHOOL_NUMBER, SNMP_PORT
from schoolit.kernel.i18n import N_

NOT_ONE_DEVICE = N_("not the address of a single device")
STAYS = N_("a controller stays where it was entered")


def unicast_host(value: str) -> str:
    """A single unicast host address (no network, broadcast, multicast or unspecified address)."""
    text = identifiers.ip_address(value)
    if netaddr.IPAddress(text).is_multicast() or text in ("0.0.0.0", "::", "255.255.255.255"):  # noqa: S104
        raise ValueError(NOT_ONE_DEVICE)
    return text


_SOURCE = ("wlan_controller c LEFT JOIN school s ON s.id = c.school_id "
           "LEFT JOIN snmp_profile p ON p.id = c.snmp_profile_id")
# The CSV names the county, the school (empty for a county's controller) and the SNMP profile; the import
# needs the county only where neither the school nor the caller's scope tells it.
_COUNTY = csvformat.Column("county", "Landkreis", "county", csvformat.text(200),
                           aliases=("Kreis", "Schulträger", "county"), direct=False, memo=True,
                           note="county name, slug or AGS; needed for a county's controller unless you see one "
                                "county only")
_SCHOOL_NUMBER = dataclasses.replace(SCHOOL_NUMBER, required=False, note="empty for the county's controller")
_PROFILE_NAME = csvformat.Column("snmp_profile", "SNMP-Profil", "snmp_profile", csvformat.text(120),
                                 aliases=("SNMP", "snmp profile"), direct=False, memo=True,
                                 note="profile name of the county")

WLAN_CONTROLLER = Resource(
    name="wlan_controller", plural="wlan-controllers", table="wlan_controller", alias="c",
    label=N_("WLAN controller"), source=_SOURCE, county="c.county_id", school="c.school_id", default_sort="name",
    export_source=_SOURCE + " JOIN county_directory cd ON cd.id = c.county_id",
    export_order="cd.name, s.school_number NULLS FIRST, c.name",
    csv_keys=((_COUNTY, "cd.name"), (_SCHOOL_NUMBER, "coalesce(s.school_number, '')"),
              (_PROFILE_NAME, "coalesce(p.name, '')")),
    fields=(
        *row_fields("c"),
        Field("school_id", Reference(), N_("School"), nullable=True, widget="select", filter="eq",
              select="c.school_id",
              help=N_("Empty: a controller of the county, for every school without a controller of its own.")),
        shown("school_name", str | None, "s.name", N_("School"), sort="school"),
        Field("name", Text(120), N_("Name"), required=True, sort="name", search=True, autofocus=True,
              csv=Csv("Name", "name", aliases=("Bezeichnung", "Hostname", "Controller"))),
        Field("profile", Choice(ControllerProfile, CONTROLLER_PROFILE_LABELS), N_("Controller type"), required=True,
              filter="eq", sort="profile", csv=Csv("Controller-Typ", "profile", aliases=(
                  "Typ", "Controllertyp", "Controller-Profil", "controller type"),
                  note="to create; `cisco-9800`, `aruba-os`, `ruckus-smartzone`, `ruckus-zonedirector`, "
                       "`extreme-wireless`, `lancom-wlc`"),
              help=N_("The probe reads the controller's access-point table with this vendor's MIB.")),
        Field("model", Text(120), N_("Model"), search=True, csv=Csv("Modell", "model", aliases=("Gerätetyp",))),
        Field("management_ip", Normalised(unicast_host), N_("Management IP"), required=True, cast="inet",
              sort="management_ip", csv=Csv("Management-IP", "management_ip", aliases=(
                  "IP", "IP-Adresse", "ip address"), note="key; one device's address"),
              help=N_("A county's controller may lie outside the schools' management networks.")),
        SNMP_PORT,
        Field("snmp_profile_id", Reference(), N_("SNMP profile"), nullable=True, widget="select"),
        shown("snmp_profile_name", str | None, "p.name", N_("SNMP profile")),
        NOTES,
    ),
)
WLAN_CONTROLLERS = WLAN_CONTROLLER.listing(search=("host(c.management_ip)", "s.name"))
