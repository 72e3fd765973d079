"""Translations: German by default, English selectable, and no untranslated German string."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import schoolit
from schoolit.kernel.i18n import catalog_files, current_locale, gettext, negotiate

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
    translated: set[str] = set()
    for path in catalog_files("de"):
        with path.open("rb") as handle:
            for m in read_po(handle):
                if m.id and (m.string if isinstance(m.string, str) else all(m.string)):
                    translated.update([m.id] if isinstance(m.id, str) else m.id)
    messages = _source_messages()
    assert len(messages) > 10  # the extraction itself works
    missing = sorted(messages - translated)
    assert missing == [], f"add German translations to the domain's .po file in translations/de/LC_MESSAGES: {missing}"


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
