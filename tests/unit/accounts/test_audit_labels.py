"""The audit log's registry of object kinds, without a database: a page's objects are named with one call
per kind (so one query), with each id once; what no kind can name stays kind and number."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from schoolit.accounts import audit_labels
from schoolit.accounts.audit_labels import Named, ObjectKind
from schoolit.accounts.scope import Scope
from schoolit.inventory import audit_labels as inventory_audit_labels
from schoolit.inventory import importing
from schoolit.tickets import audit_labels as tickets_audit_labels


async def test_a_page_is_named_with_one_call_per_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, list[int]]] = []

    def kind(code: str) -> ObjectKind:
        async def names(scope: Scope, ids: Sequence[int]) -> Mapping[int, Named]:
            calls.append((code, list(ids)))
            return {i: Named(f"no. {i}", "Schule X", f"/{code}/{i}") for i in ids if i != 3}
        return ObjectKind(code, code.title(), names)

    for code in ("thing", "gadget"):
        monkeypatch.setitem(audit_labels._KINDS, code, kind(code))
    page = [("thing", "1"), ("thing", "3"), ("gadget", "7"), ("thing", "1"), ("thing", "2"), ("thing", ""),
            ("thing", "x1"), ("thing", "9" * 30), ("nothing", "5"), (None, None)]
    named = await audit_labels.name_objects(Scope.system("test"), page)
    assert sorted(calls) == [("gadget", [7]), ("thing", [1, 2, 3])]
    assert named[("thing", "1")] == Named("no. 1", "Schule X", "/thing/1")
    assert ("thing", "3") not in named  # gone: kind and number, no link
    assert audit_labels.object_text("thing", "3", None) == "Thing 3"
    assert audit_labels.object_text("thing", "1", named[("thing", "1")]) == "Thing „no. 1“ (Schule X)"  # German


def test_each_kind_is_a_choice_once_under_a_label_of_its_own() -> None:
    audit_labels.register(*inventory_audit_labels.KINDS, *tickets_audit_labels.KINDS)
    for offered in (audit_labels.action_kinds(), audit_labels.object_types()):
        codes, labels = [code for code, _ in offered], [label for _, label in offered]
        assert len(set(codes)) == len(codes) and len(set(labels)) == len(labels), offered


def test_an_import_is_named_by_what_it_imported_for_every_kind_in_german() -> None:
    audit_labels.register(*inventory_audit_labels.KINDS)
    kinds = [*importing.KINDS, "mdm"]
    labels = {kind: audit_labels.action_label(f"import.{kind}") for kind in kinds}
    assert labels["devices"] == "Import: Geräte" and labels["mdm"] == "Import: MDM-Abgleich"
    assert labels["uplinks"] == "Import: Internetanschlüsse"
    assert all(label.startswith("Import: ") and kind not in label for kind, label in labels.items()), labels


def test_a_name_that_says_its_kind_is_not_prefixed_with_it_again() -> None:
    audit_labels.register(*audit_labels.KINDS)
    county = audit_labels.object_text("county", "7", Named("Landkreis Kusel", href="/admin/counties/7"))
    assert county == "„Landkreis Kusel“"  # not Landkreis „Landkreis Kusel“
    assert audit_labels.object_text("county", "8", Named("Donnersbergkreis")) == "Landkreis „Donnersbergkreis“"
    assert audit_labels.object_text("county", "9", Named("Landkreisverwaltung", where="X")) == \
        "Landkreis „Landkreisverwaltung“ (X)"  # a word that only begins like the kind is a name of its own
