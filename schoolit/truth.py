"""What counts as yes and no in text: one vocabulary for forms, query filters, CSV cells and settings.

Case is ignored. German and English words, the checkbox's "on" and the "x" people put in a spreadsheet
column all count. An empty text is not decided here: a form's unticked box, an empty CSV cell and an
unset variable each mean what their caller says (usually no, or the default).
"""

from __future__ import annotations

from schoolit.kernel.i18n import N_, gettext

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "on", "ja", "j", "wahr", "x"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "off", "nein", "falsch"})
YES, NO = N_("yes"), N_("no")


def yes_no(value: object) -> str:
    """Yes or no in the page's language (a list's or a report's cell)."""
    return gettext(YES) if value else gettext(NO)


def truth(text: str) -> bool:
    """True or False for a yes or no word; ValueError for anything else (an empty text included)."""
    word = text.strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(text)
