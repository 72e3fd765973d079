"""Translations: German by default, English selectable, and no untranslated German string."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import schoolit
from schoolit.web.i18n import CATALOG_DIR, current_locale, gettext, negotiate

ROOT = Path(schoolit.__file__).parent
METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _source_messages() -> set[str]:
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS,
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def test_every_source_string_has_a_german_translation() -> None:
    with (CATALOG_DIR / "de" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated: set[str] = set()
    for m in catalog:
        if m.id and (m.string if isinstance(m.string, str) else all(m.string)):
            translated.update([m.id] if isinstance(m.id, str) else m.id)
    messages = _source_messages()
    assert len(messages) > 10  # the extraction itself works
    missing = sorted(messages - translated)
    assert missing == [], f"add German translations to messages.po (make messages): {missing}"


def test_gettext_follows_the_request_locale() -> None:
    token = current_locale.set("de")
    try:
        assert gettext("Not found") == "Nicht gefunden"
        current_locale.set("en")
        assert gettext("Not found") == "Not found"
    finally:
        current_locale.reset(token)


def test_negotiate_only_accepts_known_locales() -> None:
    assert negotiate("en") == "en"
    assert negotiate("fr") == "de"
    assert negotiate(None) == "de"
    assert negotiate(None, default="en") == "en"
