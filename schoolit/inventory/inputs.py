"""Checking raw input field by field, the same way for a JSON body and for a form.

A JSON body arrives typed (msgspec has already checked the types); a form arrives as strings. `Input`
takes either, normalises each field it is asked about, and collects one `FieldError` per bad field, so a
service can report every problem at once and write nothing. Messages are English message ids marked
with `N_`: pages translate them when they show them next to the field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from schoolit.errors import FieldError, ValidationFailed
from schoolit.kernel.i18n import N_

REQUIRED = N_("required")
_TRUE = {"1", "true", "on", "yes", "ja"}
_FALSE = {"", "0", "false", "off", "no", "nein"}
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_EUROS = re.compile(r"^\d{1,7}([.,]\d{1,2})?$")


class Input:
    """The fields of one create (`partial=False`: required fields must be there) or update
    (`partial=True`: only the fields given are checked and changed)."""

    def __init__(self, data: Mapping[str, Any], *, partial: bool) -> None:
        self.data = data
        self.partial = partial
        self.errors: list[FieldError] = []
        self.values: dict[str, Any] = {}

    # --- plumbing ------------------------------------------------------------------------------

    def error(self, field: str, message: str) -> None:
        if not any(e.field == field for e in self.errors):  # the first problem of a field is enough
            self.errors.append(FieldError(field, message))

    def has_error(self, field: str) -> bool:
        return any(e.field == field for e in self.errors)

    def given(self, field: str) -> bool:
        return field in self.data

    def raise_if_invalid(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

    def _raw(self, field: str, required: bool) -> tuple[bool, Any]:
        """(present, value): strings are stripped and an empty string means "no value"."""
        if field not in self.data:
            if required and not self.partial:
                self.error(field, REQUIRED)
            return False, None
        value = self.data[field]
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                value = None
        if value is None and required:
            self.error(field, REQUIRED)
            return False, None
        return True, value

    def _set(self, field: str, parse: Callable[[Any], Any], required: bool, empty: Any) -> None:
        present, value = self._raw(field, required)
        if not present:
            return
        if value is None:
            self.values[field] = empty
            return
        try:
            self.values[field] = parse(value)
        except ValueError as exc:
            self.error(field, str(exc))

    # --- field kinds ---------------------------------------------------------------------------

    def text(self, field: str, *, max_length: int, required: bool = False, empty: str | None = "") -> None:
        def parse(value: Any) -> str:
            if not isinstance(value, str):
                raise ValueError(N_("must be text"))
            if len(value) > max_length:
                raise ValueError(N_("too long"))
            return value

        self._set(field, parse, required, empty)

    def integer(self, field: str, *, required: bool = False, minimum: int | None = None,
                maximum: int | None = None, positive_message: str | None = None) -> None:
        def parse(value: Any) -> int:
            if isinstance(value, bool):
                raise ValueError(N_("must be a whole number"))
            if isinstance(value, str):
                if not re.fullmatch(r"-?\d{1,12}", value):
                    raise ValueError(N_("must be a whole number"))
                value = int(value)
            if not isinstance(value, int):
                raise ValueError(N_("must be a whole number"))
            if minimum is not None and value < minimum:
                raise ValueError(positive_message or N_("too small"))
            if maximum is not None and value > maximum:
                raise ValueError(N_("too large"))
            return value

        self._set(field, parse, required, None)

    def reference(self, field: str, *, required: bool = False) -> None:
        """The id of another row (checked for scope by the caller)."""
        self.integer(field, required=required, minimum=1)

    def money(self, field: str) -> None:
        """Cents: an integer in JSON, euros ("499,90" or "499.90") in a form."""
        def parse(value: Any) -> int:
            if isinstance(value, str):
                if not _EUROS.match(value):
                    raise ValueError(N_("an amount in euros, e.g. 499,90"))
                try:
                    return int(Decimal(value.replace(",", ".")) * 100)
                except InvalidOperation:
                    raise ValueError(N_("an amount in euros, e.g. 499,90")) from None
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(N_("must be a whole number"))
            if value < 0:
                raise ValueError(N_("must not be negative"))
            return value

        self._set(field, parse, False, None)

    def date(self, field: str, *, required: bool = False) -> None:
        self._set(field, parse_date, required, None)

    def boolean(self, field: str) -> None:
        def parse(value: Any) -> bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
                return value.lower() in _TRUE
            raise ValueError(N_("must be yes or no"))

        self._set(field, parse, False, False)

    def choice(self, field: str, choices: type[StrEnum], *, required: bool = False, empty: str | None = None) -> None:
        allowed = {c.value for c in choices}

        def parse(value: Any) -> str:
            if value not in allowed:
                raise ValueError(N_("not one of the allowed values"))
            return str(value)

        self._set(field, parse, required, empty)

    def convert(self, field: str, parse: Callable[[str], str], *, required: bool = False) -> None:
        """A text field normalised by one of `schoolit.inventory.validation`'s functions."""
        def checked(value: Any) -> str:
            if not isinstance(value, str):
                raise ValueError(N_("must be text"))
            return parse(value)

        self._set(field, checked, required, None)

    def id_list(self, field: str) -> None:
        """A list of ids (a JSON array, or a form's repeated field)."""
        present, value = self._raw(field, False)
        if not present:
            return
        items: Iterable[Any] = [] if value is None else (value if isinstance(value, list | tuple) else [value])
        ids: list[int] = []
        for item in items:
            if isinstance(item, str) and item.strip().isdigit():
                item = int(item.strip())
            if isinstance(item, bool) or not isinstance(item, int) or item < 1:
                self.error(field, N_("must be a list of ids"))
                return
            ids.append(item)
        self.values[field] = sorted(set(ids))

    # --- reading back ----------------------------------------------------------------------------

    def value(self, field: str, current: Mapping[str, Any] | None = None) -> Any:
        """The new value when given, else the stored one (updates), else None."""
        if field in self.values:
            return self.values[field]
        return None if current is None else current.get(field)

    def dates_in_order(self, earlier: str, later: str, message: str,
                       current: Mapping[str, Any] | None = None) -> None:
        """`later` must not lie before `earlier` (reported on `later`)."""
        first, second = self.value(earlier, current), self.value(later, current)
        if first is not None and second is not None and second < first and not self.has_error(later):
            self.error(later if later in self.values or earlier not in self.values else earlier, message)


def parse_date(value: Any) -> dt.date:
    """An ISO date (2026-07-31, what <input type=date> sends) or a German one (31.07.2026)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        german = _GERMAN_DATE.match(value)
        try:
            if german:
                return dt.date(int(german.group(3)), int(german.group(2)), int(german.group(1)))
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(N_("a date like 2026-07-31"))
