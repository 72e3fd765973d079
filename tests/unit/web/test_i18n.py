"""Translations: German by default, English selectable, and no untranslated German string."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import schoolit
from schoolit.kernel import catalogs
from schoolit.kernel.i18n import catalog_files, counted, current_locale, gettext, negotiate, ngettext
from schoolit.web.templating import template_config

ROOT = Path(schoolit.__file__).parent
REPO = ROOT.parent
CATALOG_HINT = "schoolit/web/translations/de/LC_MESSAGES/<domain>.po"


def source_messages() -> dict[tuple[str, str | None], list[str]]:
    """Every message id (with its context) that `make messages` extracts, and where it stands."""
    return {key: places for key, (_message, places) in catalogs.source_messages().items()}


@dataclass
class Entry:
    """A message id's entries in the German catalogs: which files translate it, which mark it fuzzy."""

    translated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)


def german_entries() -> dict[tuple[str, str | None], Entry]:
    entries: dict[tuple[str, str | None], Entry] = {}
    for path in catalog_files("de"):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale="de")
        for message in catalog:
            if not message.id:
                continue  # the header
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            strings = [message.string] if isinstance(message.string, str) else list(message.string)
            entry = entries.setdefault((msgid, message.context), Entry())
            if message.fuzzy:
                entry.fuzzy.append(path.name)
            elif strings and all(strings):
                entry.translated.append(path.name)
    return entries


def untranslated(messages: dict[tuple[str, str | None], list[str]],
                 entries: dict[tuple[str, str | None], Entry]) -> list[str]:
    """One line per source message without a German translation that the app would use: none in any
    catalog (or only an empty one), or an entry marked fuzzy (which `i18n.translations` would show
    although nobody confirmed it)."""
    problems = []
    for (msgid, context), places in sorted(messages.items(), key=lambda item: item[1][0]):
        entry = entries.get((msgid, context), Entry())
        where = ", ".join(places[:3]) + (f" (+{len(places) - 3} more)" if len(places) > 3 else "")
        label = f"{msgid!r}" + (f" (context {context!r})" if context else "")
        if entry.fuzzy:
            problems.append(f"{where}: {label} is marked fuzzy in {', '.join(entry.fuzzy)}")
        elif not entry.translated:
            problems.append(f"{where}: {label} has no German translation")
    return problems


def test_every_source_string_has_a_german_translation() -> None:
    messages = source_messages()
    assert len(messages) > 500  # the extraction itself works (templates and Python sources)
    assert any("/templates/" in place for places in messages.values() for place in places)
    problems = untranslated(messages, german_entries())
    assert not problems, (f"{len(problems)} message(s) untranslated; add them to the domain's catalog "
                          f"({CATALOG_HINT}), see `make messages`:\n" + "\n".join(problems))


def test_the_completeness_check_names_file_and_message() -> None:
    """The check itself: a missing, an empty, a fuzzy and a translated entry, each judged right."""
    messages = {("Gone", None): ["schoolit/a.py:3"], ("Empty", None): ["schoolit/t/x.html:9"],
                ("Guessed", None): ["schoolit/b.py:1"], ("Fine", None): ["schoolit/c.py:2"],
                ("Fine", "menu"): ["schoolit/c.py:5"]}
    entries = {("Empty", None): Entry(), ("Guessed", None): Entry(fuzzy=["sso.po"]),
               ("Fine", None): Entry(translated=["messages.po"])}
    assert untranslated(messages, entries) == [
        "schoolit/a.py:3: 'Gone' has no German translation",
        "schoolit/b.py:1: 'Guessed' is marked fuzzy in sso.po",
        "schoolit/c.py:5: 'Fine' (context 'menu') has no German translation",
        "schoolit/t/x.html:9: 'Empty' has no German translation",
    ]


def test_gettext_follows_the_request_locale() -> None:
    token = current_locale.set("de")
    try:
        assert gettext("Not found") == "Nicht gefunden"
        current_locale.set("en")
        assert gettext("Not found") == "Not found"
    finally:
        current_locale.reset(token)


def test_ngettext_picks_the_form_by_the_count_and_fills_named_values() -> None:
    token = current_locale.set("de")
    try:
        assert ngettext("%(num)s ticket changed", "%(num)s tickets changed", 1) == "1 Ticket geändert"
        assert ngettext("%(num)s ticket changed", "%(num)s tickets changed", 0) == "0 Tickets geändert"
        shown = ngettext("%(num)s device changed", "%(num)s devices changed", 1234, num="1.234")
        assert shown == "1.234 Geräte geändert"
        current_locale.set("en")
        assert ngettext("%(num)s ticket changed", "%(num)s tickets changed", 1) == "1 ticket changed"
    finally:
        current_locale.reset(token)


def test_templates_fill_a_plural_with_the_count_and_other_named_values() -> None:
    """Jinja's newstyle `ngettext` in the templates: `num` is the count unless the call names another (a
    formatted number), and further named values fill in too."""
    env = template_config().engine_instance.engine
    rooms = env.from_string('{{ ngettext("%(live)s of %(num)s room", "%(live)s of %(num)s rooms", total, live=live) }}')
    devices = env.from_string('{{ ngettext("%(num)s device changed", "%(num)s devices changed", n, num=shown) }}')
    token = current_locale.set("en")
    try:
        assert rooms.render(total=1, live=0) == "0 of 1 room"
        assert rooms.render(total=5, live=3) == "3 of 5 rooms"
        current_locale.set("de")
        assert devices.render(n=1, shown="1") == "1 Gerät geändert"
        assert devices.render(n=2345, shown="2.345") == "2.345 Geräte geändert"
    finally:
        current_locale.reset(token)


def test_the_triage_panel_counts_one_mail_and_several() -> None:
    panel = template_config().engine_instance.engine.get_template("tickets/_start_triage.html")
    token = current_locale.set("de")
    try:
        assert panel.render(panel={"context": {"waiting": 1}}).strip() == (
            "<p>1 Mail eines unbekannten Absenders wartet auf die Zuordnung zu einer Schule.</p>")
        assert panel.render(panel={"context": {"waiting": 3}}).strip() == (
            "<p>3 Mails unbekannter Absender warten auf die Zuordnung zu einer Schule.</p>")
        current_locale.set("en")
        assert "1 mail from an unknown sender waits for a school." in panel.render(panel={"context": {"waiting": 1}})
        assert "3 mails from unknown senders wait for a school." in panel.render(panel={"context": {"waiting": 3}})
    finally:
        current_locale.reset(token)


def test_counted_english_texts() -> None:
    assert [counted(n, "school", "schools") for n in (0, 1, 2)] == ["0 schools", "1 school", "2 schools"]


def test_negotiate_only_accepts_known_locales() -> None:
    assert negotiate("en") == "en"
    assert negotiate("fr") == "de"
    assert negotiate(None) == "de"
    assert negotiate(None, default="en") == "en"


def test_make_messages_adds_only_new_strings_to_one_domain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`make messages DOMAIN=x` adds what no catalog holds to x.po and leaves every other catalog alone."""
    from schoolit.kernel import i18n

    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "inventory.po").write_text('msgid ""\nmsgstr ""\n\nmsgid "Room"\nmsgstr "Raum"\n\n'
                                         'msgid "Gone"\nmsgstr "Weg"\n', encoding="utf-8")
    before = (folder / "inventory.po").read_bytes()
    monkeypatch.setattr(i18n, "CATALOG_DIR", tmp_path)
    monkeypatch.setattr(catalogs, "CATALOG_DIR", tmp_path)
    monkeypatch.setattr(catalogs, "source_messages", lambda: {
        ("Room", None): ("Room", ["schoolit/a.py:1"]),
        ("New", None): ("New", ["schoolit/b.py:2"]),
        ("%(num)s pupil", None): (("%(num)s pupil", "%(num)s pupils"), ["schoolit/t/c.html:3"])})
    added, unused = catalogs.add_missing("tickets")
    assert (added, unused) == (2, [("Gone", None)])
    assert (folder / "inventory.po").read_bytes() == before
    with (folder / "tickets.po").open("rb") as handle:
        written = {m.id: m.string for m in read_po(handle, locale="de") if m.id}
    assert written == {"New": "", ("%(num)s pupil", "%(num)s pupils"): ("", "")}
    assert catalogs.add_missing("tickets") == (0, [("Gone", None)])  # a second run changes nothing


class _AnyValue(dict[str, object]):
    """Any named placeholder's value: 0 (a number fits %(n)d and %(n)s alike)."""

    def __missing__(self, key: str) -> object:
        return 0


def test_no_message_has_a_lone_percent_sign() -> None:
    """Templates %-format every message they translate (Jinja's newstyle gettext), so "80 % der" would
    raise there ("% d" is a conversion): a percent sign is written %%, in the message id and in German."""
    for path in catalog_files("de"):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale="de")
        for message in catalog:
            texts = [*(message.id if isinstance(message.id, tuple) else (message.id,)),
                     *(message.string if isinstance(message.string, tuple) else (message.string,))]
            for text in filter(None, texts):
                try:
                    text % _AnyValue()
                except (ValueError, TypeError) as exc:
                    pytest.fail(f"{path.name}: {text!r} is no format string ({exc}); write a percent sign as %%")
