"""Amounts of money as pages show them: euros from the cents stored, grouped and with the decimal sign of the
page's language ("1.234,50 €" in German, "€1,234.50" in English), one way for every page that shows a price
or a sum (the described fields' `Money.show` and the templates' `euros`). CSV files keep their own format
(`schoolit.describe.csvformat.format_price`: no grouping, so a file imports again unchanged). An edit form
prefills the grouped number of the page's language ("1.234,50" or "1,234.50", `euro_input_text`), which its field
reads back unchanged (`decimal_comma`: the form reads what its page's language writes)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, format_decimal

from schoolit.kernel.i18n import current_locale


def euro_text(cents: int | None, missing: str = "–") -> str:
    """`cents` as euros in the page's language ("1.234,50 €"; a no-break space keeps the sign with the
    number); `missing` for none."""
    if cents is None:
        return missing
    return format_currency(Decimal(cents).scaleb(-2), "EUR", locale=current_locale.get())


def decimal_comma() -> bool:
    """Whether the page's language writes a decimal comma (German: "1.234,50"; English: "1,234.50")."""
    return current_locale.get().startswith("de")


def euro_input_text(cents: int) -> str:
    """`cents` as an edit form prefills them: the number the page shows, without the sign ("1.234,50" in German,
    "1,234.50" in English), which the form's money field reads back in the same language."""
    return format_decimal(Decimal(cents).scaleb(-2), format="#,##0.00", locale="de_DE" if decimal_comma() else "en")
