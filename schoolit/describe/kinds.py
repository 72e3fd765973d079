"""Value kinds of described fields: how a value is read from the API (typed JSON), a form or a
query string (text), and a CSV cell (German and English conventions), how it is written to a CSV cell
and a form, and which widget and API type it has. Every `parse` raises ValueError with an English
message id (pages and the import translate it); CSV parsers may raise `csvformat.CellError`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from schoolit import rules
from schoolit.db import MAX_INT
from schoolit.describe import csvformat
from schoolit.kernel.i18n import N_, gettext
from schoolit.kernel.money import decimal_comma, euro_input_text, euro_text
from schoolit.kernel.times import day_text
from schoolit.truth import truth, yes_no


class ValueKind:
    api_type: Any = str
    widget = "text"
    doc = ""  # the kind of value in docs/import.md's column tables
    inputmode: str | None = None
    blank: Any = None  # the value of an empty input where the column takes no NULL (None: keep or default)
    code = False  # a detail page shows the value as code (a serial number, a MAC address)

    def parse(self, value: Any) -> Any:
        raise NotImplementedError

    def show(self, value: Any) -> str:
        """The value as a detail page shows it, in the page's language ("–" for none)."""
        return "–" if value is None or value == "" else str(value)

    def cell(self, cell: str, comma: bool) -> Any:
        return self.parse(cell)

    def format(self, value: Any, lang: str) -> str:
        return csvformat.format_text(value, lang)

    def form_text(self, value: Any) -> Any:
        return "" if value is None else str(value)


@dataclass(frozen=True)
class Text(ValueKind):
    max_length: int

    blank = ""

    def parse(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(rules.TEXT)
        if len(value) > self.max_length:
            raise ValueError(rules.TOO_LONG_TEXT)
        return value

    def cell(self, cell: str, comma: bool) -> str:
        return csvformat.text(self.max_length)(cell, comma)


_WHOLE = re.compile(r"-?\d{1,12}")


@dataclass(frozen=True)
class Whole(ValueKind):
    minimum: int = 0
    maximum: int = MAX_INT
    below_minimum: str | None = None  # the message when the number is too small

    api_type = int
    widget = "number"

    def parse(self, value: Any) -> int:
        if isinstance(value, str):
            if not _WHOLE.fullmatch(value):
                raise ValueError(rules.WHOLE_NUMBER)
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(rules.WHOLE_NUMBER)
        if value < self.minimum:
            raise ValueError(self.below_minimum or N_("too small"))
        if value > self.maximum:
            raise ValueError(N_("too large"))
        return value

    def cell(self, cell: str, comma: bool) -> int:
        return csvformat.integer(self.minimum, self.maximum)(cell, comma)


@dataclass(frozen=True)
class Reference(Whole):
    """The id of another row (its scope is checked by the service)."""

    minimum: int = 1


@dataclass(frozen=True)
class Money(ValueKind):
    doc = "price"
    """Cents: an integer in JSON; euros in a form or a CSV cell, one reading for both (`cell`).

    A form's text is read as a cell of its page's language. German: "1.234,50", "1.234" and "1234,50"; a point
    before one or two digits is a decimal point ("499.90", typed on an English keyboard): no amount has three
    decimals, so a point before a group of three digits can only be a thousands separator and neither is
    ambiguous. A comma before three digits ("1,234", an English thousands separator) is refused with the example
    "1.234,56". English the other way round ("1,234.50", "1234,50"; "1.234" refused, the example "1,234.56")."""

    api_type = int
    widget = "money"
    inputmode = "decimal"

    def show(self, value: Any) -> str:
        return euro_text(value)

    def parse(self, value: Any) -> int:
        if isinstance(value, str):
            try:
                return self.cell(value, comma=decimal_comma())
            except csvformat.CellError as exc:  # its reason, or "too large" for the one with a value to fill
                raise ValueError(N_("too large") if exc.params else exc.message) from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(rules.WHOLE_NUMBER)
        if value < 0:
            raise ValueError(rules.NOT_NEGATIVE)
        return value

    def cell(self, cell: str, comma: bool) -> int:
        return csvformat.price_cents(cell, comma)

    def format(self, value: Any, lang: str) -> str:
        return csvformat.format_price(value, lang)

    def form_text(self, value: Any) -> Any:
        return euro_input_text(value) if isinstance(value, int) else ("" if value is None else value)


def parse_date(value: Any) -> dt.date:
    """An ISO date (2026-07-31, what <input type=date> sends) or a German one (31.07.2026)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return rules.german_day(value) or dt.date.fromisoformat(value)
    raise ValueError(N_("a date like 2026-07-31"))


@dataclass(frozen=True)
class Day(ValueKind):
    api_type = dt.date
    doc = "date"
    widget = "date"

    def parse(self, value: Any) -> dt.date:
        return parse_date(value)

    def cell(self, cell: str, comma: bool) -> dt.date:
        return csvformat.date(cell, comma)

    def format(self, value: Any, lang: str) -> str:
        return csvformat.format_date(value, lang)

    def form_text(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else ("" if value is None else value)

    def show(self, value: Any) -> str:
        return day_text(value)


@dataclass(frozen=True)
class YesNo(ValueKind):
    api_type = bool
    doc = "yes/no"
    widget = "checkbox"
    blank = False

    def parse(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return truth(value)
        raise ValueError(rules.YES_OR_NO)

    def cell(self, cell: str, comma: bool) -> bool:
        return csvformat.boolean(cell, comma)

    def format(self, value: Any, lang: str) -> str:
        return csvformat.format_bool(value, lang)

    def show(self, value: Any) -> str:
        return yes_no(value)

    def form_text(self, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class Choice(ValueKind):
    doc = "choice"
    """One of an enumeration's values; in CSV also a German or English word for it."""

    enum: type[StrEnum]
    labels: Mapping[Any, str] | None = None  # value -> English label (the form's options)
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    blank: Any = None  # "": none of them may be chosen (an empty select stores "")
    # Values only a process sets (an approved disposal: "disposed"): lists filter by them, forms do not offer
    # them (the resource's `validate` refuses them where they are typed, as in an API call or a CSV file).
    unoffered: tuple[str, ...] = ()

    widget = "select"

    def parse(self, value: Any) -> str:
        if value not in {member.value for member in self.enum}:
            raise ValueError(rules.NOT_ALLOWED)
        return str(value)

    def cell(self, cell: str, comma: bool) -> str:
        return csvformat.choice(self.enum, dict(self.synonyms))(cell, comma)

    def options(self) -> list[tuple[str, str]]:
        """Each value and its label in the page's language, in the labels' order (else the enumeration's)."""
        if self.labels:
            return [(str(getattr(value, "value", value)), gettext(label)) for value, label in self.labels.items()]
        return [(member.value, member.value) for member in self.enum]

    def show(self, value: Any) -> str:
        return dict(self.options()).get(value, "" if value is None else str(value))

    def offered(self) -> Mapping[Any, str] | None:
        """The labels a form offers: all but the `unoffered` values."""
        if self.labels is None:
            return None
        return {value: label for value, label in self.labels.items()
                if str(getattr(value, "value", value)) not in self.unoffered}


@dataclass(frozen=True)
class Secret(ValueKind):
    """A write-only secret (`description.Field.sealed`): text of `min_length` to `max_length` characters,
    typed into a password box that is never filled in."""

    min_length: int
    max_length: int
    too_short: str  # the message when it is shorter

    widget = "secret"

    def parse(self, value: Any) -> str:
        text = Text(self.max_length).parse(value)
        if len(text) < self.min_length:
            raise ValueError(self.too_short)
        return text

    def form_text(self, value: Any) -> Any:
        return ""


@dataclass(frozen=True)
class Normalised(ValueKind):
    """Text normalised by one of `schoolit.describe.identifiers`'s functions (serial, MAC, address, ...)."""

    normalise: Callable[[str], str]
    inputmode: str | None = None
    blank: Any = None  # "" for a column that takes no NULL and may be emptied

    code = True

    def parse(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(rules.TEXT)
        return self.normalise(value)


@dataclass(frozen=True)
class IdList(ValueKind):
    """Ids of other rows: a JSON array, or a form's repeated field."""

    api_type = list[int]
    widget = "checkboxes"

    def parse(self, value: Any) -> list[int]:
        items = value if isinstance(value, list | tuple) else [value]
        ids: list[int] = []
        for item in items:
            if isinstance(item, str) and item.strip().isdigit():
                item = int(item.strip())
            if isinstance(item, bool) or not isinstance(item, int) or item < 1:
                raise ValueError(N_("must be a list of ids"))
            ids.append(item)
        return sorted(set(ids))

    def form_text(self, value: Any) -> Any:
        return value
