"""Every field a service refuses has a label people read: the codes of all `FieldError`s in the code
are registered in `schoolit.kernel.labels` by the domains (described fields and their `fields.py`), so
no error page and no problem detail names a field by its code. And the parser's English messages
become reasons in the request's language."""

from __future__ import annotations

import ast
from pathlib import Path

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
