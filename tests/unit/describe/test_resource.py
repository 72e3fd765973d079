"""A resource description is the one source of a resource's API Structs, form, CSV columns, list filters
and rules: what derives from it matches it, and list filters read an empty choice as "all"."""

from __future__ import annotations

import dataclasses

import pytest

from schoolit.describe import forms
from schoolit.describe.inputs import Input
from schoolit.describe.resource import Csv, FilterInvalid
from schoolit.inventory.resources import KINDS, RESOURCES
from schoolit.inventory.resources.device import DEVICE, DEVICES
from schoolit.inventory.resources.snmp_profile import SNMP_PROFILE, SNMP_PROFILES
from schoolit.inventory.schemas import DeviceIn, DeviceOut, SnmpProfileIn, SnmpProfileOut
from schoolit.kernel.i18n import current_locale
from schoolit.truth import truth


def test_the_device_structs_form_and_csv_columns_derive_from_its_description() -> None:
    writable = [f.name for f in DEVICE.fields if f.writable]
    assert list(DeviceIn.__struct_fields__) == writable
    assert list(DeviceOut.__struct_fields__) == [f.name for f in DEVICE.fields]
    assert [f.name for f in DEVICE.form()] == writable
    assert [c.field for c in KINDS["devices"].columns] == ["school_number", *(
        f.name for f in DEVICE.fields if f.csv is not None)]
    export = DEVICE.export_sql()
    assert all(f"{c.field}" in export for c in KINDS["devices"].columns)


def test_every_described_resource_names_its_filters_and_sort_keys_once() -> None:
    for resource in RESOURCES:
        listing = resource.listing()
        assert resource.default_sort in listing.sorts
        for name in listing.filters:
            assert name in resource.by_name


def test_an_empty_filter_means_all_and_a_bad_one_gives_label_and_reason() -> None:
    assert DEVICES.parse({"county_id": "", "status": " ", "kind": None}) == {}
    assert DEVICES.parse({"county_id": "7", "vendor": "Apple"}) == {"county_id": 7, "vendor": "Apple"}
    with pytest.raises(FilterInvalid) as caught:
        DEVICES.parse({"county_id": "alle", "kind": "phone"})
    # like every field error: the code, the label and the reason (a message id), each once
    assert [(e.field, e.label, e.message) for e in caught.value.errors] == [
        ("county_id", "County", "must be a whole number"), ("kind", "Kind", "not one of the allowed values")]
    assert caught.value.detail == "Landkreis: muss eine ganze Zahl sein; Art: kein zulässiger Wert"
    token = current_locale.set("en")
    try:
        with pytest.raises(FilterInvalid) as caught:
            DEVICES.parse({"county_id": "all"})
        assert caught.value.detail == "County: must be a whole number"
    finally:
        current_locale.reset(token)


def test_the_device_rules_are_one_validate_for_api_forms_and_import() -> None:
    assert DEVICE.validate is not None
    f = DEVICE.check({"status": "lent", "purchase_date": "2024-01-01", "warranty_end": "2023-01-01"}, None)
    DEVICE.validate(f, {})
    assert {e.field: e.message for e in f.errors}["status"] == "a device becomes lent through a loan"
    assert {e.field: e.message for e in f.errors}["warranty_end"] == \
        "die Garantie (bis 01.01.2023) kann nicht vor dem Kauf (01.01.2024) enden"
    on_loan = DEVICE.check({"status": "stock"}, {"status": "lent", "open_loan_id": 1})
    DEVICE.validate(on_loan, {"on_loan": True, "status": "lent"})
    assert isinstance(on_loan, Input)
    assert on_loan.errors[0].message == "a lent device changes status when it is returned"


@pytest.mark.parametrize(("word", "meaning"), [("ja", True), ("X", True), ("on", True), ("Nein", False),
                                               ("0", False), ("off", False)])
def test_one_vocabulary_of_yes_and_no(word: str, meaning: bool) -> None:
    assert truth(word) is meaning
    with pytest.raises(ValueError, match="vielleicht"):
        truth("vielleicht")


def test_a_secret_is_written_never_read_back() -> None:
    """The SNMP profile's community and pass phrases: in the input Struct and the form (a password box
    never filled in), in no output Struct or list column; a given one is sealed into its column, an empty
    one leaves the stored; a secret that would be listed, exported or emptied is refused."""
    secret_names = {"community", "auth_key", "priv_key"}
    assert secret_names <= set(SnmpProfileIn.__struct_fields__)
    assert not secret_names & set(SnmpProfileOut.__struct_fields__)
    assert {f.name for f in SNMP_PROFILE.form() if f.kind == "secret"} == secret_names
    assert forms.from_row(SNMP_PROFILE.form(), {"community": "geheim-123", "name": "x"}) == {"name": "x"}
    listed = {column.rsplit(" AS ", 1)[-1].rsplit(".", 1)[-1] for column in SNMP_PROFILES.columns.split(", ")}
    assert listed == set(SnmpProfileOut.__struct_fields__)  # what is read is what is shown: no secret
    checked = SNMP_PROFILE.check({"name": "x", "version": "2c", "community": "kurz", "auth_key": ""}, None,
                                 skip=("county_id",))
    assert [(e.field, e.message) for e in checked.errors] == [("community", "at least 8 characters")]
    sealed = SNMP_PROFILE.sealed_values({"name": "x", "community": "lang-genug", "auth_key": None}, str.upper)
    assert sealed == {"name": "x", "community_encrypted": "LANG-GENUG"}
    with pytest.raises(ValueError, match="never listed"):
        dataclasses.replace(SNMP_PROFILE, fields=(*SNMP_PROFILE.fields, dataclasses.replace(
            SNMP_PROFILE["community"], name="leaky", csv=Csv("Geheim", "secret"))))
