"""The dates of a purchase, one rule for devices and access points (resources/common.py, `purchase_dates`, which
their descriptions' `validate` call for the API, the forms and the CSV import alike): the purchase and the
invoice date are days that have passed and lie no earlier than 01.01.2000, the warranty does not end before
the purchase; the other days of the inventory lie between 01.01.2000 and 31.12.2099 (`days_on_record`); the
reasons in German with the day as pages show it (DD.MM.YYYY)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from schoolit.describe.resource import Resource
from schoolit.inventory.definitions import today
from schoolit.inventory.resources.access_point import ACCESS_POINT
from schoolit.inventory.resources.device import DEVICE
from schoolit.inventory.resources.uplink import UPLINK
from schoolit.kernel.i18n import current_locale, gettext


@pytest.fixture(autouse=True)
def german() -> Iterator[None]:
    token = current_locale.set("de")
    yield
    current_locale.reset(token)


def refused(resource: Resource, data: dict[str, Any], stored: dict[str, Any] | None = None) -> dict[str, str]:
    """What the resource's rules say of `data` (a new row, or an update of `stored`): field -> German reason."""
    check = resource.check(data, stored)
    assert resource.validate is not None
    resource.validate(check, {"status": (stored or {}).get("status"), "prefix": None})
    return {e.field: gettext(e.message) for e in check.errors if e.field in ("purchase_date", "invoice_date",
                                                                             "warranty_end")}


@pytest.mark.parametrize("resource", [DEVICE, ACCESS_POINT], ids=["device", "access point"])
def test_a_purchase_in_the_future_or_before_2000_is_refused_at_its_field(resource: Resource) -> None:
    tomorrow = today() + dt.timedelta(days=1)
    assert refused(resource, {"purchase_date": "2031-03-01", "invoice_date": "01.01.1800"}) == {
        "purchase_date": "darf nicht in der Zukunft liegen", "invoice_date": "frühestens am 01.01.2000"}
    assert refused(resource, {"purchase_date": tomorrow.isoformat(), "invoice_date": "31.12.1999"}) == {
        "purchase_date": "darf nicht in der Zukunft liegen", "invoice_date": "frühestens am 01.01.2000"}
    # The edges are days a purchase can have: today and 01.01.2000.
    assert refused(resource, {"purchase_date": today().isoformat(), "invoice_date": "2000-01-01"}) == {}


@pytest.mark.parametrize("resource", [DEVICE, ACCESS_POINT], ids=["device", "access point"])
def test_the_warranty_does_not_end_before_the_purchase(resource: Resource) -> None:
    assert refused(resource, {"purchase_date": "2024-05-02", "warranty_end": "2024-05-01"}) == {
        "warranty_end": "die Garantie (bis 01.05.2024) kann nicht vor dem Kauf (02.05.2024) enden"}
    # Only the purchase date corrected (the warranty end stored): the reason stands at the purchase date and
    # still names both days.
    stored = {"status": "stock", "warranty_end": dt.date(2024, 5, 1)}
    assert refused(resource, {"purchase_date": "2024-06-01"}, stored) == {
        "purchase_date": "die Garantie (bis 01.05.2024) kann nicht vor dem Kauf (01.06.2024) enden"}
    assert refused(resource, {"purchase_date": "2024-05-02", "warranty_end": "2024-05-02"}) == {}


def test_an_update_that_leaves_the_dates_alone_is_not_refused_for_them() -> None:
    # A row stored before the rule (bought "1999") may still be changed in other fields (a PATCH of its notes);
    # typing the day in again is checked like any day given.
    stored = {"status": "stock", "purchase_date": dt.date(1999, 6, 1), "invoice_date": dt.date(2035, 1, 1)}
    assert refused(DEVICE, {"notes": "Display getauscht"}, stored) == {}
    assert refused(DEVICE, {"purchase_date": "1999-06-01"}, stored) == {"purchase_date": "frühestens am 01.01.2000"}


def test_the_other_days_lie_between_2000_and_2099() -> None:
    """A warranty's or contract's end, an installation and a line going live may lie ahead, but a year typed
    wrong ("0021", "2207") is refused at its field, for the API, the forms and the import alike."""
    def reasons(resource: Resource, data: dict[str, Any]) -> dict[str, str]:
        check = resource.check(data, None)
        assert resource.validate is not None
        resource.validate(check, {"status": "planned", "prefix": None})
        return {e.field: gettext(e.message) for e in check.errors if e.field in data}

    assert reasons(DEVICE, {"warranty_end": "2207-01-31"}) == {"warranty_end": "spätestens am 31.12.2099"}
    assert reasons(ACCESS_POINT, {"warranty_end": "0021-05-01", "installed_on": "01.01.1800"}) == {
        "warranty_end": "frühestens am 01.01.2000", "installed_on": "frühestens am 01.01.2000"}
    assert reasons(UPLINK, {"live_since": "1999-12-31", "contract_end": "2207-07-31"}) == {
        "live_since": "frühestens am 01.01.2000", "contract_end": "spätestens am 31.12.2099"}
    assert reasons(UPLINK, {"live_since": "2000-01-01", "contract_end": "2099-12-31"}) == {}
    assert reasons(ACCESS_POINT, {"installed_on": "2030-09-01"}) == {}  # a planned installation may lie ahead
