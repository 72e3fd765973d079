"""The rules every domain states the same way: one message id for each refusal, and one function where
the check is the same too (a text that must not be empty, an e-mail address).

A rule message is an English message id (`N_`) that a field error carries; pages, the API and the CLI
translate it. A rule that belongs to one domain stays there (the county a write names is accounts',
a ticket's priority levels are tickets'); what is here is the vocabulary no domain owns.
`tests/unit/test_one_rule_message.py` fails when a rule message is defined in two modules.
It imports nothing of schoolit but the errors and the kernel, so every domain, web and the
top-level modules can use it.
"""

from __future__ import annotations

import datetime as dt
import re

from schoolit.errors import FieldError
from schoolit.kernel.i18n import N_

REQUIRED = N_("required")
NOT_EMPTY = N_("must not be empty")
TAKEN = N_("already in use")
NOT_ALLOWED = N_("not one of the allowed values")
TOO_MANY_ROWS = N_("too many rows")
EMPTY_FILE = N_("the file is empty")
NOT_FOUND = N_("not found")
UNKNOWN_SCHOOL_NUMBER = N_("unknown school number")  # a school number no school has (forms, imports, users)
# What a 404 names (unknown, or outside the caller's scope: the two answers are the same).
ARRANGEMENT_NOT_FOUND = N_("arrangement not found")
COUNTY_NOT_FOUND = N_("county not found")
SYSTEM_ONLY = N_("only the system runs the retention job")
PROVIDER_NOT_FOUND = N_("provider not found")
SCHOOL_NOT_FOUND = N_("school not found")
TICKET_NOT_FOUND = N_("ticket not found")
USER_NOT_FOUND = N_("user not found")
NOT_AN_EMAIL = N_("not a valid e-mail address")
# The kinds of value a field wants, as the API's parser and the forms' and CSV's parsers say it.
WHOLE_NUMBER = N_("must be a whole number")
TEXT = N_("must be text")
YES_OR_NO = N_("must be yes or no")
NOT_NEGATIVE = N_("must not be negative")
TOO_LONG_TEXT = N_("too long")
NOT_A_DAY = N_("must be a date like 2026-11-22")

# A text that must not be empty and fits its column, by the column's length.
ONE_TO = {
    80: N_("must be 1 to 80 characters"),
    120: N_("must be 1 to 120 characters"),
    254: N_("must be 1 to 254 characters"),
    500: N_("must be 1-500 characters"),
    5000: N_("must be 1 to 5,000 characters"),
}

# What counts as an e-mail address: something before and after one "@", a dot in the domain, no space.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX_LENGTH = 254  # RFC 5321's limit of a path, and every e-mail column's length


def is_email(text: str) -> bool:
    """Whether the text is an e-mail address that fits an e-mail column."""
    return EMAIL.match(text) is not None and len(text) <= EMAIL_MAX_LENGTH


def not_empty(errors: list[FieldError], field: str, text: str) -> str:
    """The text without surrounding blanks; "must not be empty" among the errors when nothing is left."""
    text = text.strip()
    if not text:
        errors.append(FieldError(field, NOT_EMPTY))
    return text


# A date as people in Germany write it (7.12.2026, 07.12.2026): what a browser without a date picker sends
# when its user types the day.
_GERMAN_DAY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def german_day(text: str) -> dt.date | None:
    """The day of a date written the German way (7.12.2026), None for text of another form; ValueError
    for a day no calendar has (31.02.2026). Forms' fields and resources' date kinds read it alike."""
    german = _GERMAN_DAY.match(text)
    return dt.date(int(german[3]), int(german[2]), int(german[1])) if german else None


def day(errors: list[FieldError], field: str, text: str | None) -> dt.date | None:
    """The date of a filter or form field, None when empty: ISO (what <input type=date> sends) or German
    (7.12.2026, typed where the browser has no date picker); "must be a date like 2026-11-22" (in German
    "wie 22.11.2026") among the errors for any other text or a day no calendar has (31.02.2026)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        found = german_day(text)
        if found is None and _ISO_DAY.match(text):
            found = dt.date.fromisoformat(text)
    except ValueError:
        found = None
    if found is None:
        errors.append(FieldError(field, NOT_A_DAY))
    return found


def one_to(errors: list[FieldError], field: str, text: str, maximum: int) -> str:
    """The text without surrounding blanks; "must be 1 to <maximum> characters" among the errors unless
    1 to `maximum` characters are left (`maximum` is one of ONE_TO's lengths)."""
    text = text.strip()
    if not text or len(text) > maximum:
        errors.append(FieldError(field, ONE_TO[maximum]))
    return text
