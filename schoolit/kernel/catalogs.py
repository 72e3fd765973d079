"""Keeping the translation catalogs current: `make messages` (`python -m schoolit.kernel.catalogs`).

The German strings live in one catalog per domain (`translations/de/LC_MESSAGES/<domain>.po`, see
`schoolit.kernel.i18n`). Babel's own `update` knows one catalog per locale only and would copy every
message into each file, so this tool extracts the message ids of the sources (per babel.cfg) and adds
those that no catalog holds yet to the catalog of one domain (`--domain`, default `messages`), with an
empty German string to fill in. It never removes an entry: it lists the ones no source uses any more.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from schoolit.kernel.i18n import CATALOG_DIR, catalog_files

ROOT = Path(__file__).parent.parent
BABEL_CFG = ROOT.parent / "babel.cfg"
MessageKey = tuple[str, str | None]  # a message's (singular) id and its context


def source_messages() -> dict[MessageKey, tuple[str | tuple[str, ...], list[str]]]:
    """Every message id (with its context) that babel extracts per babel.cfg with its default keywords
    (`_`, `gettext`, `ngettext`, `N_`, ...): the message as written (a tuple for a plural) and where it
    stands (`schoolit/...py:LINE`). A plural message counts by its singular id, as the catalogs key it."""
    with BABEL_CFG.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[MessageKey, tuple[str | tuple[str, ...], list[str]]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=dict(DEFAULT_KEYWORDS)):
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            found.setdefault((msgid, context), (message, []))[1].append(f"schoolit/{filename}:{lineno}")
    return found


def catalogued(locale: str) -> set[MessageKey]:
    keys: set[MessageKey] = set()
    for path in catalog_files(locale):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if message.id:
                    keys.add((message.id if isinstance(message.id, str) else message.id[0], message.context))
    return keys


def add_missing(domain: str, locale: str = "de") -> tuple[int, list[MessageKey]]:
    """Adds the source messages that no catalog of `locale` holds to `<domain>.po` (created if new);
    returns how many were added and the catalogued messages no source uses any more."""
    sources = source_messages()
    known = catalogued(locale)
    path = CATALOG_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
    if path.exists():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=locale, domain=domain, project="schoolit")
    added = 0
    for key, (message, places) in sorted(sources.items(), key=lambda item: item[1][1][0]):
        if key in known:
            continue
        locations = [(place.rsplit(":", 1)[0], int(place.rsplit(":", 1)[1])) for place in places]
        string: str | tuple[str, ...] = ("",) * 2 if isinstance(message, tuple) else ""
        catalog.add(message if isinstance(message, str) else tuple(message)[:2], string,
                    locations=locations, context=key[1])
        added += 1
    if added:
        with path.open("wb") as handle:
            write_po(handle, catalog, width=120, sort_output=False)
    unused = sorted(known - set(sources), key=lambda key: (key[0], key[1] or ""))
    return added, unused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schoolit.kernel.catalogs", description=__doc__.splitlines()[0])
    parser.add_argument("--domain", default="messages",
                        help="the catalog new messages go to (a file name in LC_MESSAGES without .po)")
    args = parser.parse_args(argv)
    if not args.domain.replace("_", "").isalnum():
        parser.error(f"--domain: a catalog name of letters, digits and '_', not {args.domain!r}")
    added, unused = add_missing(args.domain)
    print(f"{added} new message(s) added to de/LC_MESSAGES/{args.domain}.po"
          + (" - fill in their German msgstr" if added else ""))
    if unused:
        print(f"{len(unused)} catalogued message(s) no source uses (left in place; remove them if they are gone):")
        for msgid, context in unused:
            print(f"  {msgid!r}" + (f" (context {context!r})" if context else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
