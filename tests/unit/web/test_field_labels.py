"""Every field a service refuses has a label people read: the codes of all `FieldError`s in the code
are registered in `schoolit.kernel.labels` by the domains (described fields and their `fields.py`), so
no error page and no problem detail names a field by its code. And the parser's English messages
become reasons in the request's language."""

from __future__ import annotations

import ast
from pathlib import Path

import msgspec
import pytest

import schoolit
from schoolit.app import register_field_labels
from schoolit.kernel import labels
from schoolit.kernel.i18n import current_locale, from_accept_language
from schoolit.web.errors import field_label, reason

ROOT = Path(schoolit.__file__).parent


def refused_fields() -> dict[str, str]:
    """Each literal field code of a `FieldError(...)` in the server's code, with one place it stands."""
    found: dict[str, str] = {}
    for path in sorted(ROOT.rglob("*.py")):
        if "piccolo_migrations" in path.parts or "agent" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node.func, "id", getattr(node.func, "attr", None)) if isinstance(node, ast.Call) else None
            if name == "FieldError" and node.args and isinstance(node.args[0], ast.Constant):  # type: ignore[attr-defined]
                code = node.args[0].value  # type: ignore[attr-defined]
                if isinstance(code, str) and "." not in code:  # a nested code is named by its last part
                    found.setdefault(code, f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    return found


def test_every_refused_field_has_a_label() -> None:
    register_field_labels()
    found = refused_fields()
    assert len(found) > 50
    missing = [f"{where}: {code}" for code, where in sorted(found.items()) if labels.label_of(code) is None]
    assert not missing, "field codes without a label (add them to the domain's fields.py):\n" + "\n".join(missing)


@pytest.mark.parametrize(("message", "german", "english"), [
    ("Expected `int`, got `str`", "muss eine ganze Zahl sein", "must be a whole number"),
    ("Expected `int | null`, got `str`", "muss eine ganze Zahl sein", "must be a whole number"),
    ("Expected `bool`, got `str`", "muss ja oder nein sein", "must be yes or no"),
    ("Expected `str` of length <= 200", "höchstens 200 Zeichen", "at most 200 characters"),
    ("Expected `int` >= 1", "mindestens 1", "at least 1"),
    ("Invalid enum value 'sofort'", "kein zulässiger Wert", "not one of the allowed values"),
    ("Object missing required field `subject`", "Pflichtfeld", "required"),
    ("Object contains unknown field `colour`", "unbekanntes Feld", "unknown field"),
    ("must not be empty", "darf nicht leer sein", "must not be empty"),
])
def test_parser_messages_become_reasons(message: str, german: str, english: str) -> None:
    for locale, expected in (("de", german), ("en", english)):
        token = current_locale.set(locale)
        try:
            assert reason(message)[0] == expected
        finally:
            current_locale.reset(token)


def test_labels_and_languages() -> None:
    register_field_labels()
    token = current_locale.set("de")
    try:
        assert field_label("category_id") == "Kategorie"
        assert field_label("samples[1].school_id") == "Schule"
        assert field_label("no_such_field") == "no_such_field"
    finally:
        current_locale.reset(token)
    assert from_accept_language("en-US,en;q=0.9") == "en"
    assert from_accept_language("fr-FR, de;q=0.8, en;q=0.9") == "en"
    assert from_accept_language("de-DE") == "de"
    assert from_accept_language("fr") is None and from_accept_language(None) is None


def label_collisions() -> dict[str, list[tuple[str, str]]]:
    """Field codes whose label differs between the resources and the label registries (the domains'
    `fields.py`, the pages' own, the lists'): each such code must be named by its owner's label, never
    by the registry's first. `python -m tests.unit.web.test_field_labels` lists them."""
    from schoolit import lists
    from schoolit.accounts import fields as accounts_fields
    from schoolit.inventory import disposals
    from schoolit.inventory import fields as inventory_fields
    from schoolit.inventory import labels as label_sheets
    from schoolit.inventory.resources import RESOURCES
    from schoolit.probes import adoption
    from schoolit.tickets import fields as tickets_fields
    from schoolit.tickets import text_modules
    from schoolit.web import fields as web_fields

    seen: dict[str, set[tuple[str, str]]] = {}
    for resource in RESOURCES:
        for code, label in resource.labels.items():
            seen.setdefault(code, set()).add((label, f"resource {resource.name}"))
    owners = {"inventory": inventory_fields.LABELS, "accounts": accounts_fields.LABELS,
              "county": accounts_fields.COUNTY, "tickets": tickets_fields.LABELS, "web": web_fields.LABELS,
              "lists": lists.LABELS, "disposal": disposals.FIELD_LABELS, "label sheet": label_sheets.FIELD_LABELS,
              "text module": text_modules.FIELD_LABELS, "adoption": adoption.FIELD_LABELS}
    for owner, registered in owners.items():
        for code, label in registered.items():
            seen.setdefault(code, set()).add((label, owner))
    return {code: sorted(found) for code, found in sorted(seen.items()) if len({label for label, _ in found}) > 1}


def test_collisions_are_listed() -> None:
    collisions = label_collisions()
    assert {"state", "name", "mac", "note", "body", "format", "kind", "room_id"} <= collisions.keys()


def test_a_resources_errors_name_its_own_labels() -> None:
    """Every described field of every resource, refused by the API's parser, the resource's check or a
    unique index, is named by that resource's label: whatever other resource or registry shares its code."""
    from schoolit.errors import FieldError, ValidationFailed
    from schoolit.inventory.resources import RESOURCES

    register_field_labels()
    for resource in RESOURCES:
        checked = resource.check({}, {})
        for field in resource.writable:
            checked.error(field.name, "required")
        with pytest.raises(ValidationFailed) as refused:
            checked.raise_if_invalid()
        assert {e.field: e.label for e in refused.value.errors} == {
            f.name: f.label or None for f in resource.writable}
        by_index = ValidationFailed([FieldError(code, "already in use") for code in resource.labels],
                                    labels=resource.labels)
        assert {e.field: e.label for e in by_index.errors} == resource.labels
        assert resource.input_struct("Probe", msgspec.Struct).field_labels == resource.labels


if __name__ == "__main__":
    for code, owners in label_collisions().items():
        print(code, "  ".join(f"{label!r} ({owner})" for label, owner in owners))
