"""Warranty and replacement (#22 item 3): what a county's IT plans with. Three lists, each also a CSV file:

- warranty ending: devices and access points whose warranty ends in the next N days (retired and disposed
  ones left out),
- out of warranty in repair: devices in repair whose warranty has ended (the repair is paid by the county),
- replacement plan: active devices by year of purchase and kind, with the year they are due for
  replacement (`LIFETIME_YEARS` after purchase) and what they cost then.

Rows carry the county's name (from accounts' directory: inventory's SQL names only its own tables).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from schoolit.accounts import directory
from schoolit.accounts.scope import Scope
from schoolit.csvwriter import write_csv
from schoolit.describe.csvformat import format_date, format_price
from schoolit.errors import FieldError, ValidationFailed
from schoolit.inventory.choices import (
    ACCESS_POINT_STATUS_LABELS,
    DEVICE_KIND_LABELS,
    DEVICE_STATUS_LABELS,
    VENDOR_LABELS,
)
from schoolit.inventory.definitions import ap_counted, today
from schoolit.inventory.exporting import OBJECT_LABELS
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, current_locale, gettext
from schoolit.sql import fetch

LIFETIME_YEARS = 5  # a pupil device's use before it is replaced (the DigitalPakt's planning assumption)
MAX_DAYS = 3650
BAD_DAYS = N_("a whole number of days from 1 to 3650")
LISTS = ("ending", "repair", "plan")
SHOWN = 200  # rows a list shows on the page (with how many there are); its CSV file has them all

_ENDING = f"""
    SELECT x.*, s.school_number, s.name AS school_name, count(*) OVER () AS total
    FROM (SELECT 'device' AS object, id, county_id, school_id, serial, asset_tag, vendor, model, status,
                 warranty_end FROM device WHERE status NOT IN ('retired', 'disposed')
          UNION ALL
          SELECT 'access_point', id, county_id, school_id, serial, NULL, vendor, model, status, warranty_end
          FROM access_point a WHERE {ap_counted("a")}) AS x
    JOIN school s ON s.id = x.school_id
    WHERE x.warranty_end BETWEEN {{}} AND {{}} AND {{}}
    ORDER BY x.warranty_end, s.school_number, x.serial
    LIMIT {{}}"""  # noqa: S608 (constants)
_REPAIR = """
    SELECT 'device' AS object, d.id, d.county_id, d.school_id, d.serial, d.asset_tag, d.vendor, d.model, d.status,
           d.warranty_end, s.school_number, s.name AS school_name, count(*) OVER () AS total
    FROM device d JOIN school s ON s.id = d.school_id
    WHERE d.status = 'repair' AND d.warranty_end < {} AND {}
    ORDER BY d.warranty_end, s.school_number, d.serial
    LIMIT {}"""
_PLAN = """
    SELECT d.county_id, extract(year FROM d.purchase_date)::int AS purchased, d.kind, count(*) AS n,
           coalesce(sum(d.price_cents), 0) AS total, count(*) FILTER (WHERE d.price_cents IS NULL) AS without_price
    FROM device d
    WHERE d.status NOT IN ('retired', 'disposed') AND d.purchase_date IS NOT NULL AND {}
    GROUP BY d.county_id, purchased, d.kind
    ORDER BY purchased, d.kind"""


def days_ahead(raw: str | None) -> int:
    """The list's horizon in days (default 90); a bad value is a 422 on `days`."""
    text = (raw or "").strip() or "90"
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise ValidationFailed([FieldError("days", BAD_DAYS)])
    return int(text)


async def _named(scope: Scope, rows: list[Any]) -> list[dict[str, Any]]:
    names = {c["id"]: c["name"] for c in await directory.counties(scope)}
    return [{**dict(r), "county_name": names.get(r["county_id"], "")} for r in rows]


async def warranty_ending(scope: Scope, days: int, limit: int | None = None) -> list[dict[str, Any]]:
    """The first `limit` rows (all without one); each row's `total` counts them all."""
    scope.require(Permission.INVENTORY_READ)
    start = today()
    rows = await fetch(_ENDING, start, start + dt.timedelta(days=days),
                       scope.where("x.county_id", school="x.school_id"), limit)
    return await _named(scope, rows)


async def out_of_warranty_in_repair(scope: Scope, limit: int | None = None) -> list[dict[str, Any]]:
    """The first `limit` rows (all without one); each row's `total` counts them all."""
    scope.require(Permission.INVENTORY_READ)
    return await _named(scope, await fetch(_REPAIR, today(), scope.where("d.county_id", school="d.school_id"),
                                           limit))


async def replacement_plan(scope: Scope) -> list[dict[str, Any]]:
    """Active devices per county, year of purchase and kind, with the year of their replacement."""
    scope.require(Permission.INVENTORY_READ)
    rows = await _named(scope, await fetch(_PLAN, scope.where("d.county_id", school="d.school_id")))
    for row in rows:
        row["replace_in"] = row["purchased"] + LIFETIME_YEARS
    rows.sort(key=lambda r: (r["county_name"], r["purchased"], r["kind"]))
    return rows


HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "ending": {"de": ("Landkreis", "Schulnummer", "Schule", "Objektart", "Seriennummer", "Inventarnummer",
                      "Hersteller", "Modell", "Status", "Garantie bis"),
               "en": ("county", "school_number", "school", "object", "serial", "asset_tag", "vendor", "model",
                      "status", "warranty_end")},
    "plan": {"de": ("Landkreis", "Kaufjahr", "Geräteart", "Anzahl", "Ersatz fällig", "Summe (EUR)",
                    "davon ohne Preis"),
             "en": ("county", "purchase_year", "kind", "count", "replacement_due", "sum_eur", "without_price")},
}
HEADERS["repair"] = HEADERS["ending"]


async def list_csv(scope: Scope, which: str, days: int, lang: str = "de") -> bytes:
    """One of the three lists as a CSV file (`which`: ending, repair or plan)."""
    scope.require(Permission.EXPORT)
    rows = (await warranty_ending(scope, days) if which == "ending" else
            await out_of_warranty_in_repair(scope) if which == "repair" else await replacement_plan(scope))
    token = current_locale.set(lang)  # the labels follow the file's language, not the page's
    lines: list[tuple[Any, ...]]
    try:
        if which == "plan":
            lines = [(r["county_name"], r["purchased"], gettext(DEVICE_KIND_LABELS.get(r["kind"], r["kind"])),
                      r["n"], r["replace_in"], format_price(r["total"], lang), r["without_price"]) for r in rows]
        else:
            lines = [(r["county_name"], r["school_number"], r["school_name"], gettext(OBJECT_LABELS[r["object"]]),
                      r["serial"], r["asset_tag"] or "", vendor_label(r), r["model"], status_label(r),
                      format_date(r["warranty_end"], lang)) for r in rows]
    finally:
        current_locale.reset(token)
    return write_csv(HEADERS[which][lang], lines, lang=lang)


def vendor_label(row: dict[str, Any]) -> str:
    """A device's vendor as entered; an access point's by the name of its vendor code ("aruba": "Aruba")."""
    if row["object"] == "device":
        return str(row["vendor"] or "")
    return gettext(VENDOR_LABELS.get(row["vendor"], row["vendor"]))


def status_label(row: dict[str, Any]) -> str:
    """A listed device's or access point's status in the reader's language."""
    labels = DEVICE_STATUS_LABELS if row["object"] == "device" else ACCESS_POINT_STATUS_LABELS
    return gettext(labels.get(row["status"], row["status"]))
