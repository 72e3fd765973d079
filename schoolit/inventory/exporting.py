"""CSV export of the inventory in the import's format (so that export -> import changes nothing), and
the DigitalPakt funding proof (Verwendungsnachweis) per county.

Files are written by the app's one CSV writer (`schoolit.csvwriter`: `;`, UTF-8 with BOM, formula-like
cells quoted), German headers unless `lang="en"`, decimal commas and dates as 31.07.2026 in German files.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schoolit import rules
from schoolit.accounts import directory
from schoolit.accounts.scope import Scope
from schoolit.csvwriter import write_csv
from schoolit.describe.csvformat import (
    Kind,
    format_date,
    format_price,
)
from schoolit.errors import NotFound
from schoolit.inventory.choices import FUNDING_PROGRAMME_LABELS
from schoolit.inventory.importing import kind_named
from schoolit.inventory.resources import RESOURCES
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, current_locale
from schoolit.kernel.i18n import gettext as _
from schoolit.sql import Fragment, all_of, fetch, fragment

# The export query of each kind (its one value: the scope condition) and the columns that carry county
# and school, derived from the resources' descriptions.
_QUERIES = {r.plural: r.export_sql() for r in RESOURCES if r.csv_columns()}
_SCOPE_COLUMNS = {r.plural: (r.county, r.school or f"{r.alias}.school_id") for r in RESOURCES if r.csv_columns()}


async def export_csv(scope: Scope, kind_name: str, lang: str = "de") -> bytes:
    """Every object of one kind in the caller's scope, in the import format."""
    scope.require(Permission.EXPORT)
    kind: Kind = kind_named(kind_name)
    county_column, school_column = _SCOPE_COLUMNS[kind.name]
    rows = await fetch(_QUERIES[kind.name], scope.where(county_column, school=school_column))
    columns = kind.columns
    return write_csv([c.header(lang) for c in columns],
                     ([c.fmt(row[c.field], lang) for c in columns] for row in rows), lang=lang)


OBJECT_LABELS = {"device": N_("pupil device"), "access_point": N_("WLAN access point")}
FUNDING_HEADER = {
    "de": ("Landkreis", "Förderprogramm", "Bezeichnung", "Objektart", "Anzahl", "Erstes Kaufdatum",
           "Letztes Kaufdatum", "Summe (EUR)", "davon ohne Preis"),
    "en": ("county", "funding_programme", "programme", "object", "count", "first_purchase", "last_purchase",
           "sum_eur", "without_price"),
}


def _label(labels: Mapping[Any, str], code: str) -> str:
    label = labels.get(code)
    return _(label) if label else code


async def export_scope(scope: Scope, county_slug: str | None) -> Fragment:
    """The rows an export reads (`x.county_id`, `x.school_id`): the caller's scope, or one county in it
    named by its slug; a county the caller does not see is "county not found"."""
    condition = scope.where("x.county_id", school="x.school_id")
    if county_slug is not None:
        county_id = await directory.county_id_by_slug(county_slug)
        if county_id is None or not scope.sees_county(county_id):
            raise NotFound(_(rules.COUNTY_NOT_FOUND))
        condition = all_of(condition, fragment("x.county_id = {}", county_id))
    return condition


async def funding_proof_csv(scope: Scope, county_slug: str | None = None, lang: str = "de") -> bytes:
    """Devices and access points per county and funding programme: count, first and last purchase
    date, sum of prices, and how many have no price (the proof needs them filled in)."""
    scope.require(Permission.EXPORT)
    condition = await export_scope(scope, county_slug)
    rows = await fetch("""
        SELECT x.county_id, x.object, x.funding_programme, count(*) AS n, min(x.purchase_date) AS first,
               max(x.purchase_date) AS last, coalesce(sum(x.price_cents), 0) AS total,
               count(*) FILTER (WHERE x.price_cents IS NULL) AS without_price
        FROM (SELECT 'device' AS object, county_id, school_id, funding_programme, purchase_date, price_cents
              FROM device
              UNION ALL
              SELECT 'access_point', county_id, school_id, funding_programme, purchase_date, price_cents
              FROM access_point) AS x
        WHERE {}
        GROUP BY x.county_id, x.object, x.funding_programme""", condition)
    counties = await directory.counties(scope)  # in scope, by name in the database's collation
    names = {county["id"]: county["name"] for county in counties}
    rank = {county["id"]: position for position, county in enumerate(counties)}
    # By county name, programme, then devices before access points (the object names sort that way reversed).
    rows.sort(key=lambda row: row["object"], reverse=True)
    rows.sort(key=lambda row: (rank[row["county_id"]], row["funding_programme"]))
    token = current_locale.set(lang)  # the labels follow the file's language, not the page's
    try:
        lines = [(names[row["county_id"]], row["funding_programme"],
                  _label(FUNDING_PROGRAMME_LABELS, row["funding_programme"]),
                  _label(OBJECT_LABELS, row["object"]), str(row["n"]), format_date(row["first"], lang),
                  format_date(row["last"], lang), format_price(row["total"], lang), str(row["without_price"]))
                 for row in rows]
    finally:
        current_locale.reset(token)
    return write_csv(FUNDING_HEADER[lang], lines, lang=lang)
