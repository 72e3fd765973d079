"""Forms described as data: posted forms become service input, rows become form values."""

from __future__ import annotations

import datetime as dt

from litestar.datastructures import FormMultiDict

from schoolit.describe import forms
from schoolit.inventory.resources.access_point import ACCESS_POINT
from schoolit.inventory.resources.device import DEVICE
from schoolit.inventory.resources.room import ROOM
from schoolit.inventory.resources.snmp_profile import SNMP_PROFILE


def test_from_form_handles_checkboxes_lists_and_secrets() -> None:
    posted = FormMultiDict([("serial", "ABC123"), ("covered_room_ids", "4"), ("covered_room_ids", "7"),
                            ("community", ""), ("_csrf_token", "x")])
    data = forms.from_form(ACCESS_POINT.form(), posted)
    assert data["covered_room_ids"] == ["4", "7"]
    assert "_csrf_token" not in data
    assert forms.from_form(DEVICE.form(), posted)["mdm_enrolled"] == ""  # unticked box: no
    assert "community" not in forms.from_form(SNMP_PROFILE.form(), posted)  # empty secret: keep the stored one


def test_from_row_never_fills_secrets_and_shows_euros() -> None:
    values = forms.from_row(DEVICE.form(), {"serial": "ABC", "price_cents": 123490,
                                           "purchase_date": dt.date(2021, 3, 1), "mdm_enrolled": True})
    assert values == {"serial": "ABC", "price_cents": "1.234,90", "purchase_date": "2021-03-01", "mdm_enrolled": True}
    assert "community" not in forms.from_row(SNMP_PROFILE.form(), {"community": "geheim", "name": "x"})


def test_fields_translate_errors_next_to_their_field() -> None:
    shown = forms.fields(ROOM.form(), {"name": ""}, {"name": "required"})
    name = next(f for f in shown if f["name"] == "name")
    assert name["error"] == "Pflichtfeld" and name["label"] == "Raum"
