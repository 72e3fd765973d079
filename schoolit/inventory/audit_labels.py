"""The inventory's objects as the audit log names them: each kind's label and, for a page of entries, what
its objects are called now, where they are and which page shows them — one query per kind, in the
viewer's scope (`KINDS`, which `app.create_app` registers with `schoolit.accounts.audit_labels`: the audit
log is accounts', which neither imports the inventory nor reads its tables). A loan is named by its
device, never by its pupil reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from schoolit.accounts.audit_labels import Named, NameObjects, ObjectKind
from schoolit.accounts.scope import Scope
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import fetch

# Each statement gives `id`, `name`, `where_` (the school or county) and `link` (the page's id: the row's, or
# its school's) of the rows whose id is in the first `{}`, with the viewer's scope the second.
_SQL = {
    "school": "SELECT s.id, s.name, s.school_number AS where_, s.id AS link FROM school s "
              "WHERE s.id = ANY({}) AND {}",
    "building": "SELECT b.id, b.name, s.name AS where_, b.school_id AS link FROM building b "
                "JOIN school s ON s.id = b.school_id WHERE b.id = ANY({}) AND {}",
    "room": "SELECT r.id, coalesce(b.name || ': ', '') || r.name AS name, s.name AS where_, r.school_id AS link "
            "FROM room r JOIN school s ON s.id = r.school_id LEFT JOIN building b ON b.id = r.building_id "
            "WHERE r.id = ANY({}) AND {}",
    "uplink": "SELECT u.id, u.provider || coalesce(' ' || nullif(u.line_id, ''), '') AS name, s.name AS where_, "
              "u.school_id AS link FROM uplink u JOIN school s ON s.id = u.school_id WHERE u.id = ANY({}) AND {}",
    "access_point": "SELECT a.id, coalesce(nullif(a.name, ''), a.serial, a.mac::text, '') AS name, s.name AS where_, "
                    "a.id AS link FROM access_point a JOIN school s ON s.id = a.school_id "
                    "WHERE a.id = ANY({}) AND {}",
    "device": "SELECT d.id, d.serial || coalesce(' · ' || nullif(trim(d.vendor || ' ' || d.model), ''), '') AS name, "
              "s.name AS where_, d.id AS link FROM device d JOIN school s ON s.id = d.school_id "
              "WHERE d.id = ANY({}) AND {}",
    "loan": "SELECT l.id, d.serial AS name, s.name AS where_, l.id AS link FROM loan l "
            "JOIN device d ON d.id = l.device_id JOIN school s ON s.id = l.school_id WHERE l.id = ANY({}) AND {}",
    "snmp_profile": "SELECT p.id, p.name, c.name AS where_, p.id AS link FROM snmp_profile p "
                    "JOIN county_directory c ON c.id = p.county_id WHERE p.id = ANY({}) AND {}",
    "wlan_controller": "SELECT w.id, w.name, coalesce(s.name, c.name) AS where_, w.id AS link "
                       "FROM wlan_controller w JOIN county_directory c ON c.id = w.county_id "
                       "LEFT JOIN school s ON s.id = w.school_id WHERE w.id = ANY({}) AND {}",
}
# The scope's columns of each kind's row (county, school; None for a county's row).
_SCOPE = {"school": ("s.county_id", "s.id"), "building": ("b.county_id", "b.school_id"),
          "room": ("r.county_id", "r.school_id"), "uplink": ("u.county_id", "u.school_id"),
          "access_point": ("a.county_id", "a.school_id"), "device": ("d.county_id", "d.school_id"),
          "loan": ("l.county_id", "l.school_id"), "snmp_profile": ("p.county_id", None),
          "wlan_controller": ("w.county_id", "w.school_id")}
# The page that shows an object (`{id}`: the `link` column); the edit pages only for those who may edit.
_PAGES = {"school": "/schools/{id}", "building": "/schools/{id}?section=rooms", "room": "/schools/{id}?section=rooms",
          "uplink": "/schools/{id}?section=network", "access_point": "/access-points/{id}", "device": "/devices/{id}",
          "loan": "/loans/{id}/agreement"}
_EDIT_PAGES = {"snmp_profile": "/snmp-profiles/{id}/edit", "wlan_controller": "/wlan-controllers/{id}/edit"}


def _names(kind: str) -> NameObjects:
    county, school = _SCOPE[kind]

    async def names(scope: Scope, ids: Sequence[int]) -> Mapping[int, Named]:
        if not scope.can(Permission.INVENTORY_READ):
            return {}
        page = _PAGES.get(kind) or (_EDIT_PAGES.get(kind) if scope.can(Permission.INVENTORY_WRITE) else None)
        rows = await fetch(_SQL[kind], list(ids), scope.where(county, school=school))
        return {row["id"]: Named(row["name"], row["where_"] or "", page.format(id=row["link"]) if page else None)
                for row in rows}
    return names


KINDS = (
    ObjectKind("school", N_("School"), _names("school")),
    ObjectKind("building", N_("Building"), _names("building")),
    ObjectKind("room", N_("Room"), _names("room")),
    ObjectKind("uplink", N_("Uplink"), _names("uplink")),
    ObjectKind("access_point", N_("Access point"), _names("access_point")),
    ObjectKind("device", N_("Device"), _names("device")),
    ObjectKind("loan", N_("Loan"), _names("loan")),
    ObjectKind("snmp_profile", N_("SNMP profile"), _names("snmp_profile")),
    ObjectKind("wlan_controller", N_("WLAN controller"), _names("wlan_controller")),
    # `import.devices`, recorded on the kind's table: what was imported (every kind of `importing.KINDS`)
    ObjectKind("import", N_("Import"), objects=False, verbs={
        "schools": N_("Schools"), "rooms": N_("Rooms"), "access-points": N_("Access points"),
        "uplinks": N_("Uplinks"), "devices": N_("Devices"), "wlan-controllers": N_("WLAN controllers"),
        "mdm": N_("MDM sync")}),
)
