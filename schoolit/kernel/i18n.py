"""Translations: gettext catalogs (Babel .po files), German by default, English selectable.

Message ids are English; `translations/<locale>/LC_MESSAGES/*.po` hold each language — one file per
domain (`messages.po` for web and accounts, `inventory.po`, `tickets.po`, ...), merged at start-up, so
parallel work on different domains never edits the same catalog. The .po files are compiled in
memory, so no build step or binary .mo file is needed.
The locale of the request being handled lives in a context variable set by the locale middleware.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES: tuple[str, ...] = ("de", "en")
LOCALE_NAMES = {"de": "Deutsch", "en": "English"}
DEFAULT_LOCALE = "de"
# The catalogs stay with the templates that use most of them (`make messages` writes them there).
CATALOG_DIR = Path(__file__).parent.parent / "web" / "translations"

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


def catalog_files(locale: str) -> list[Path]:
    return sorted((CATALOG_DIR / locale / "LC_MESSAGES").glob("*.po"))


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogs of one locale (English message ids need no catalog of their own)."""
    files = catalog_files(locale)
    if not files:
        return NullTranslations()
    catalog = Catalog(locale=locale)
    for po_path in files:
        with po_path.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if message.id and message.string and not message.fuzzy:  # a fuzzy guess is no translation
                    catalog.add(message.id, message.string)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(message: str, **variables: object) -> str:
    text = translations(current_locale.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


_ = gettext


def counted(n: int, singular: str, plural: str) -> str:
    """"1 school", "2 schools": a count and its English noun, for the texts that stay English (the
    command line's output, technical error texts). A text for the reader's language uses `ngettext`."""
    return f"{n} {singular if n == 1 else plural}"


def N_(message: str) -> str:
    """Marks a string for extraction where it is translated later (module-level tables)."""
    return message


def from_accept_language(header: str | None) -> str | None:
    """The supported locale an Accept-Language header prefers most (`en-US,en;q=0.9` -> en), or None."""
    ranked = []
    for position, part in enumerate((header or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = tag.strip().lower().split("-")[0]
        if language in LOCALES and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def negotiate(cookie_value: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The locale chosen by the user's cookie, else the configured default."""
    if cookie_value is not None and cookie_value in LOCALES:
        return cookie_value
    return default
