"""Amounts of money as pages show them: euros from the cents stored, grouped and with the decimal sign of the
page's language ("1.234,50 €" in German, "€1,234.50" in English), one way for every page that shows a price
or a sum (the described fields' `Money.show` and the templates' `euros`). CSV files keep their own format
(`schoolit.describe.csvformat.format_price`: no grouping, so a file imports again unchanged)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency

from schoolit.kernel.i18n import current_locale


def euro_text(cents: int | None, missing: str = "–") -> str:
    """`cents` as euros in the page's language ("1.234,50 €"; a no-break space keeps the sign with the
    number); `missing` for none."""
    if cents is None:
        return missing
    return format_currency(Decimal(cents).scaleb(-2), "EUR", locale=current_locale.get())
