"""Buildings and rooms of a school; teaching rooms are what WLAN coverage is measured against."""

from __future__ import annotations

from dataclasses import replace

from schoolit.describe.kinds import Reference, Text, YesNo
from schoolit.describe.resource import Csv, Field, Resource, row_fields, shown
from schoolit.inventory.definitions import AP_COVERS_AS_PLANNED
from schoolit.inventory.resources.common import BUILDING, SCHOOL_NUMBER, school_fields
from schoolit.kernel.i18n import N_

BUILDING_RESOURCE = Resource(
    name="building", plural="buildings", table="building", alias="b", label=N_("building"),
    source="building b JOIN school s ON s.id = b.school_id", county="b.county_id", school="b.school_id",
    default_sort="name", has_updated_at=False,
    fields=(
        *row_fields("b", updated_at=False),
        *school_fields("b"),
        Field("name", Text(120), N_("Name"), required=True, autofocus=True, sort="name", search=True),
        shown("rooms", int, "(SELECT count(*) FROM room r WHERE r.building_id = b.id)"),
    ),
)
BUILDINGS = BUILDING_RESOURCE.listing()

ROOM = Resource(
    name="room", plural="rooms", table="room", alias="r", label=N_("room"),
    source="room r JOIN school s ON s.id = r.school_id LEFT JOIN building b ON b.id = r.building_id",
    county="r.county_id", school="r.school_id", default_sort="building", has_updated_at=False,
    export_order="s.school_number, lower(coalesce(b.name, '')), lower(r.name)",
    csv_keys=((SCHOOL_NUMBER, "s.school_number"),
              (replace(BUILDING, note="empty: no building"), "coalesce(b.name, '')")),
    fields=(
        *row_fields("r", updated_at=False),
        *school_fields("r"),
        Field("name", Text(60), N_("Room"), required=True, autofocus=True, sort="name", search=True,
              help=N_("As signposted, e.g. A 1.12"), csv=Csv("Raum", "room", aliases=(
                  "Raumnummer", "Raumname", "Raumbezeichnung", "room name", "name"), required=True)),
        Field("building_id", Reference(), N_("Building"), nullable=True, widget="select", filter="eq"),
        shown("building_name", str | None, "b.name", sort="building"),
        Field("floor", Text(20), N_("Floor"), sort="floor",
              csv=Csv("Etage", "floor", aliases=("Stockwerk", "Geschoss", "Ebene", "level"), memo=True)),
        Field("is_teaching", YesNo(), N_("Teaching room"), filter="eq",
              help=N_("Teaching rooms count for the WLAN coverage."), csv=Csv(
                  "Unterrichtsraum", "teaching_room", aliases=(
                      "Unterricht", "Klassenraum", "teaching", "is_teaching", "is teaching"), memo=True)),
        shown("covering_access_point_ids", list[int],
              "ARRAY(SELECT ar.access_point_id FROM access_point_room ar JOIN access_point a ON a.id = "  # noqa: S608
              f"ar.access_point_id WHERE ar.room_id = r.id AND {AP_COVERS_AS_PLANNED} ORDER BY ar.access_point_id)"),
    ),
)
ROOMS = ROOM.listing(search=("b.name",))
