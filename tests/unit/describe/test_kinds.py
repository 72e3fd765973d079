"""Value kinds read text as people type it: the money kind (forms, the API's text, the import) takes German
amounts with a thousands point, and refuses what it cannot read with one clear reason."""

from __future__ import annotations

import re

import pytest

from schoolit.describe.csvformat import price_cents
from schoolit.describe.kinds import Money
from schoolit.kernel.i18n import current_locale

NOT_AN_AMOUNT = "an amount in euros with at most two decimals, e.g. 1.234,56"


@pytest.mark.parametrize(("typed", "cents"), [
    ("1.234,50", 123450), ("1.234", 123400), ("1234,50", 123450), ("1234,5", 123450), ("499", 49900),
    ("1.234.567,89", 123456789), ("12.345", 1234500), ("0,99", 99), ("1.234,50 €", 123450), ("1 234,50", 123450),
    # a point before one or two digits is a decimal point: no amount has three decimals, so it is no thousands point
    ("499.90", 49990), ("12.50", 1250), ("1234.5", 123450),
])
def test_german_amounts_with_or_without_a_thousands_point(typed: str, cents: int) -> None:
    assert Money().parse(typed) == cents
    assert price_cents(typed, True) == cents  # a German CSV cell reads the same


@pytest.mark.parametrize("typed", [
    "1,234",  # an English thousands comma: as German it would be three decimals
    "1,234.50", "12,345", "1.234.50", "1.2345", "1.234,567", "12.3.4", "-5", "abc", ",50", "1.23,4",
])
def test_what_cannot_be_read_as_an_amount_is_refused_with_one_reason(typed: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(NOT_AN_AMOUNT)}$"):
        Money().parse(typed)


def test_too_large_an_amount_and_typed_values() -> None:
    with pytest.raises(ValueError, match=r"^too large$"):  # no placeholder left unfilled
        Money().parse("99.999.999,00")
    assert Money().parse("21.474.836,47") == 2_147_483_647
    assert Money().parse(49990) == 49990  # JSON: cents
    for value, reason in ((-1, "must not be negative"), (True, "must be a whole number"),
                          (4.5, "must be a whole number")):
        with pytest.raises(ValueError, match=f"^{reason}$"):
            Money().parse(value)


def test_a_price_is_shown_grouped_in_the_pages_language() -> None:
    assert Money().show(123450) == "1.234,50\u00a0€" and Money().show(99) == "0,99\u00a0€" and Money().show(None) == "–"
    token = current_locale.set("en")
    try:
        assert Money().show(123450) == "€1,234.50"
    finally:
        current_locale.reset(token)
