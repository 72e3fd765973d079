"""The funding proof's item list (#22): every device and access point of a county with its procurement data
(funding programme, supplier, order and invoice number, invoice and purchase date, price), retired ones
included, and disposed ones marked with their day and reason of disposal (Aussonderung), as the
DigitalPakt's Verwendungsnachweis asks for them beside the sums of
`exporting.funding_proof_csv`. Written like every export: `;`, UTF-8 with BOM, decimal commas and German
dates in German files."""

from __future__ import annotations

from schoolit.accounts import directory
from schoolit.accounts.scope import Scope
from schoolit.csvwriter import write_csv
from schoolit.describe.csvformat import format_date, format_price
from schoolit.inventory.choices import DISPOSAL_REASON_LABELS, FUNDING_PROGRAMME_LABELS, DisposalReason
from schoolit.inventory.exporting import OBJECT_LABELS, export_scope
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import current_locale
from schoolit.kernel.i18n import gettext as _
from schoolit.sql import fetch

ITEMS_HEADER = {
    "de": ("Landkreis", "Schulnummer", "Schule", "Objektart", "Seriennummer", "Inventarnummer", "Förderprogramm",
           "Lieferant", "Bestellnummer", "Rechnungsnummer", "Rechnungsdatum", "Kaufdatum", "Preis (EUR)", "Status",
           "Ausgesondert am", "Aussonderungsgrund"),
    "en": ("county", "school_number", "school", "object", "serial", "asset_tag", "funding_programme", "supplier",
           "order_number", "invoice_number", "invoice_date", "purchase_date", "price_eur", "status", "disposed_on",
           "disposal_reason"),
}
_ITEMS = """
    SELECT x.*, s.school_number, s.name AS school_name
    FROM (SELECT 'device' AS object, county_id, school_id, serial, asset_tag, funding_programme, supplier,
                 order_number, invoice_number, invoice_date, purchase_date, price_cents, status, disposed_on,
                 disposal_reason
          FROM device
          UNION ALL
          SELECT 'access_point', county_id, school_id, serial, NULL, funding_programme, supplier, order_number,
                 invoice_number, invoice_date, purchase_date, price_cents, status, disposed_on, disposal_reason
          FROM access_point) AS x
    JOIN school s ON s.id = x.school_id
    WHERE {}
    ORDER BY x.funding_programme, s.school_number, x.object DESC, x.serial"""


async def funding_proof_items_csv(scope: Scope, county_slug: str | None = None, lang: str = "de") -> bytes:
    """Each device and access point in scope (or of one county) with its procurement data."""
    scope.require(Permission.EXPORT)
    condition = await export_scope(scope, county_slug)
    rows = await fetch(_ITEMS, condition)
    names = {county["id"]: county["name"] for county in await directory.counties(scope)}
    token = current_locale.set(lang)  # the labels follow the file's language, not the page's
    try:
        lines = [(names[r["county_id"]], r["school_number"], r["school_name"], _(OBJECT_LABELS[r["object"]]),
                  r["serial"], r["asset_tag"] or "", _(FUNDING_PROGRAMME_LABELS.get(r["funding_programme"], "")) or
                  r["funding_programme"], r["supplier"], r["order_number"], r["invoice_number"],
                  format_date(r["invoice_date"], lang), format_date(r["purchase_date"], lang),
                  format_price(r["price_cents"], lang), r["status"], format_date(r["disposed_on"], lang),
                  _(DISPOSAL_REASON_LABELS[DisposalReason(r["disposal_reason"])]) if r["disposal_reason"] else "")
                 for r in rows]
    finally:
        current_locale.reset(token)
    return write_csv(ITEMS_HEADER[lang], lines, lang=lang)
