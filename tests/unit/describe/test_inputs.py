"""Validation at the edges: network identifiers, serials, pupil references, and field-by-field input."""

from __future__ import annotations

import datetime as dt

import pytest

from schoolit.describe import identifiers
from schoolit.describe.inputs import Input
from schoolit.describe.kinds import parse_date
from schoolit.describe.resource import dates_in_order
from schoolit.inventory.choices import DeviceStatus


@pytest.mark.parametrize("raw", ["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e", " 001A2B3C4D5E "])
def test_mac_addresses_are_normalised(raw: str) -> None:
    assert identifiers.mac_address(raw) == "00:1a:2b:3c:4d:5e"


@pytest.mark.parametrize("raw", ["00:1a:2b:3c:4d", "zz:1a:2b:3c:4d:5e", "", "10.0.0.1", "00:1a:2b:3c:4d:5e:6f:70",
                                 "3C:22:FB", "1:2:3:4:5:6"])
def test_bad_mac_addresses_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="MAC"):
        identifiers.mac_address(raw)


def test_ip_addresses_and_prefixes() -> None:
    assert identifiers.ip_address(" 10.20.0.5 ") == "10.20.0.5"
    assert identifiers.ip_address("2001:db8::1") == "2001:db8::1"
    for bad in ("10.20.0", "10.20.0.256", "10.20.0.5/24", "host.example"):
        with pytest.raises(ValueError):
            identifiers.ip_address(bad)
    assert identifiers.ip_prefix("10.20.0.0/24") == "10.20.0.0/24"
    with pytest.raises(ValueError, match="host bits"):
        identifiers.ip_prefix("10.20.0.1/24")
    with pytest.raises(ValueError, match="length"):
        identifiers.ip_prefix("10.20.0.0")
    with pytest.raises(ValueError, match="prefix"):
        identifiers.ip_prefix("10.20.0.0/33")


def test_serials_compare_upper_case_without_blanks() -> None:
    assert identifiers.serial_number(" dmpx12ab ") == "DMPX12AB"
    for bad in ("x", "has space", "ümlaut1", "A" * 81):
        with pytest.raises(ValueError):
            identifiers.serial_number(bad)


def test_school_numbers_have_five_digits() -> None:
    assert identifiers.school_number(" 51234 ") == "51234"
    for bad in ("1234", "123456", "5123a"):
        with pytest.raises(ValueError, match="five digits"):
            identifiers.school_number(bad)


@pytest.mark.parametrize("ref", ["7b-14", "S2026-0042", "BVJ1.07", "k9/3"])
def test_pseudonymous_pupil_references_pass(ref: str) -> None:
    assert identifiers.pupil_reference(ref) == ref


@pytest.mark.parametrize("ref", ["Max Mustermann", "Max.Mustermann", "Mustermann", "anna_schmidt", "7b 14", "",
                                 "x" * 41, "Müller1"])
def test_names_and_spaces_are_refused_as_pupil_references(ref: str) -> None:
    with pytest.raises(ValueError, match="pseudonymous"):
        identifiers.pupil_reference(ref)


def test_input_collects_every_bad_field() -> None:
    f = Input({"name": "", "pupils": "viele", "when": "31.02.2026", "status": "kaputt", "price": "12,345",
               "flag": "vielleicht"}, partial=False)
    f.text("name", max_length=10, required=True)
    f.integer("pupils", minimum=0)
    f.date("when")
    f.choice("status", DeviceStatus)
    f.money("price")
    f.boolean("flag")
    f.text("missing", max_length=10, required=True)
    assert {e.field: e.message for e in f.errors} == {
        "name": "required", "pupils": "must be a whole number", "when": "a date like 2026-07-31",
        "status": "not one of the allowed values",
        "price": "an amount in euros with at most two decimals, e.g. 1.234,56",
        "flag": "must be yes or no", "missing": "required"}


def test_input_parses_form_strings_and_json_values_alike() -> None:
    form = Input({"pupils": "850", "when": "31.07.2026", "price": "499,90", "flag": "on", "ids": ["3", "1", "3"]},
                 partial=True)
    form.integer("pupils")
    form.date("when")
    form.money("price")
    form.boolean("flag")
    form.id_list("ids")
    assert form.values == {"pupils": 850, "when": dt.date(2026, 7, 31), "price": 49990, "flag": True, "ids": [1, 3]}
    typed = Input({"pupils": 850, "when": dt.date(2026, 7, 31), "price": 49990, "flag": True, "ids": [3, 1]},
                  partial=True)
    typed.integer("pupils")
    typed.date("when")
    typed.money("price")
    typed.boolean("flag")
    typed.id_list("ids")
    assert typed.values == form.values


def test_partial_input_checks_only_given_fields() -> None:
    f = Input({"model": "iPad"}, partial=True)
    f.text("serial", max_length=80, required=True)
    f.text("model", max_length=80)
    assert f.errors == [] and f.values == {"model": "iPad"}


def test_dates_in_order() -> None:
    f = Input({"purchase_date": "2024-05-01", "warranty_end": "2023-05-01"}, partial=False)
    f.date("purchase_date")
    f.date("warranty_end")
    dates_in_order(f, "purchase_date", "warranty_end", "ends %(later)s, before %(earlier)s")
    # The reason names both days as pages show them.
    assert [(e.field, e.message) for e in f.errors] == [("warranty_end", "ends 01.05.2023, before 01.05.2024")]


def test_parse_date_accepts_iso_and_german() -> None:
    assert parse_date("2026-07-31") == parse_date("31.07.2026") == dt.date(2026, 7, 31)
    with pytest.raises(ValueError):
        parse_date("2026/07/31")
