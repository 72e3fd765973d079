"""Checking raw input field by field, the same way for a JSON body and for a form.

A JSON body arrives typed (msgspec has already checked the types); a form arrives as strings. `Input`
takes either, reads each field it is asked about with the field's value kind (`schoolit.describe.kinds`),
and collects one `FieldError` per bad field, so a service can report every problem at once and write
nothing. Messages are English message ids marked with `N_`: pages translate them next to the field.
An `Input` is also what a resource's `validate` checks (`resource.Check`): `value` is the new value
when given, else the stored one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from schoolit import rules
from schoolit.describe.kinds import Choice, Day, IdList, Money, Normalised, Reference, Text, Whole, YesNo
from schoolit.errors import FieldError, ValidationFailed

if TYPE_CHECKING:
    from schoolit.describe.resource import Field

REQUIRED = rules.REQUIRED
STORED = object()  # `Input.value`'s default: fall back to the row being updated


class Input:
    """The fields of one create (`partial=False`: required fields must be there) or update
    (`partial=True`: only the fields given are checked and changed); `current` is the stored row."""

    def __init__(self, data: Mapping[str, Any], *, partial: bool, current: Mapping[str, Any] | None = None,
                 labels: Mapping[str, str] | None = None) -> None:
        self.data = data
        self.labels = dict(labels or {})  # the labels of the fields checked (their resource's), by code
        self.partial = partial
        self.current = current
        self.creating = current is None
        self.errors: list[FieldError] = []
        self.values: dict[str, Any] = {}

    # --- plumbing ------------------------------------------------------------------------------

    def error(self, field: str, message: str) -> None:
        if not any(e.field == field for e in self.errors):  # the first problem of a field is enough
            self.errors.append(FieldError(field, message, self.labels.get(field)))

    def has_error(self, field: str) -> bool:
        return any(e.field == field for e in self.errors)

    def given(self, field: str) -> bool:
        """Whether the input gave the field a (readable) value."""
        return field in self.values

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

    # --- fields ----------------------------------------------------------------------------------

    def field(self, described: Field) -> None:
        """A field of a resource description, read with its value kind; its errors name its label."""
        if described.label:
            self.labels.setdefault(described.name, described.label)
        self._set(described.name, described.kind.parse, described.required,
                  None if described.nullable else described.kind.blank)

    def text(self, field: str, *, max_length: int, required: bool = False, empty: str | None = "") -> None:
        self._set(field, Text(max_length).parse, required, empty)

    def integer(self, field: str, *, required: bool = False, minimum: int | None = None,
                maximum: int | None = None, positive_message: str | None = None) -> None:
        kind = Whole(minimum=-(2**63) if minimum is None else minimum, maximum=2**63 if maximum is None else maximum,
                     below_minimum=positive_message)
        self._set(field, kind.parse, required, None)

    def reference(self, field: str, *, required: bool = False) -> None:
        """The id of another row (checked for scope by the caller)."""
        self._set(field, Reference().parse, required, None)

    def money(self, field: str) -> None:
        self._set(field, Money().parse, False, None)

    def date(self, field: str, *, required: bool = False) -> None:
        self._set(field, Day().parse, required, None)

    def boolean(self, field: str) -> None:
        self._set(field, YesNo().parse, False, False)

    def choice(self, field: str, choices: type[StrEnum], *, required: bool = False, empty: str | None = None) -> None:
        self._set(field, Choice(choices).parse, required, empty)

    def convert(self, field: str, parse: Callable[[str], str], *, required: bool = False) -> None:
        """A text field normalised by one of `schoolit.describe.identifiers`'s functions."""
        self._set(field, Normalised(parse).parse, required, None)

    def id_list(self, field: str) -> None:
        """A list of ids (a JSON array, or a form's repeated field); nothing chosen is an empty list."""
        self._set(field, IdList().parse, False, [])

    # --- reading back ----------------------------------------------------------------------------

    def value(self, field: str, current: Mapping[str, Any] | object | None = STORED) -> Any:
        """The new value when given, else the stored one (`current`, by default the row being updated),
        else None."""
        if field in self.values:
            return self.values[field]
        stored = self.current if current is STORED else current
        return stored.get(field) if isinstance(stored, Mapping) else None
