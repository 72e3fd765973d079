"""Procurement fields that devices and access points share (#22): who supplied the asset, under which order
and invoice. Purchase date, price, funding programme and warranty end stand in `common`; together they are
what the DigitalPakt funding proof and a county's auditors ask for."""

from __future__ import annotations

from schoolit.describe.kinds import Day, Text
from schoolit.describe.resource import Csv, Field
from schoolit.kernel.i18n import N_

PROCUREMENT: tuple[Field, ...] = (
    Field("supplier", Text(120), N_("Supplier"), filter="like", page="procurement", csv=Csv(
        "Lieferant", "supplier", aliases=("Händler", "Lieferfirma", "Anbieter"), memo=True,
        note="text, up to 120 characters")),
    Field("order_number", Text(60), N_("Order number"), search=True, page="procurement", csv=Csv(
        "Bestellnummer", "order_number", aliases=("Bestell-Nr.", "Bestellnr", "Auftragsnummer", "order number",
                                                  "PO number"), memo=True, note="text, up to 60 characters")),
    Field("invoice_number", Text(60), N_("Invoice number"), search=True, page="procurement", csv=Csv(
        "Rechnungsnummer", "invoice_number", aliases=("Rechnungs-Nr.", "Rechnungsnr", "Rechnung", "invoice number"),
        memo=True, note="text, up to 60 characters")),
    Field("invoice_date", Day(), N_("Invoice date"), nullable=True, sort="invoice_date", page="procurement", csv=Csv(
        "Rechnungsdatum", "invoice_date", aliases=("Rechnung vom", "invoice date"), memo=True)),
)
