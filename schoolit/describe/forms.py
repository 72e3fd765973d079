"""Create and edit forms described as data and rendered by one template.

A form is a tuple of `Field`s, derived from a resource's description (`Resource.form()`) or, for a form
no description covers, declared by its domain (the loan return's). `fields()` turns it into what
`inventory/_form.html` shows (value, options, the translated error next to each field); `from_form()`
turns a posted form back into the mapping the services check; `from_row()` fills an edit form from a
stored row (never a secret).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from schoolit.kernel.i18n import gettext
from schoolit.kernel.money import euro_input_text

Options = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # English message id
    kind: str = "text"  # text, number, date, select, checkbox, checkboxes, textarea, secret, money
    required: bool = False
    labels: Mapping[Any, str] | None = None  # fixed choices: value -> English label
    blank: bool = False  # a select that may be left empty
    help: str | None = None
    inputmode: str | None = None
    autofocus: bool = False
    text: Callable[[Any], Any] | None = None  # the value as the form shows it (described fields: their kind's)
    maxlength: int | None = None  # the most characters a text takes (described fields: their kind's)


def enum_options(labels: Mapping[Any, str]) -> list[tuple[str, str]]:
    return [(str(value.value if isinstance(value, StrEnum) else value), gettext(label))
            for value, label in labels.items()]


def _text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "money" and isinstance(value, int):
        return euro_input_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def from_row(form: Sequence[Field], row: Mapping[str, Any]) -> dict[str, Any]:
    """Form values of a stored row (secrets are never filled in)."""
    values: dict[str, Any] = {}
    for f in form:
        if f.kind == "secret" or f.name not in row:
            continue
        value = row[f.name]
        if f.text is not None:
            values[f.name] = f.text(value)
        else:
            values[f.name] = value if f.kind in ("checkbox", "checkboxes") else _text(value, f.kind)
    return values


def from_form(form: Sequence[Field], posted: Any) -> dict[str, Any]:
    """The mapping a service checks, from a posted form (a Litestar FormMultiDict). An unticked box is
    not posted, so it means False; an empty secret keeps the stored one."""
    data: dict[str, Any] = {}
    for f in form:
        if f.kind == "checkboxes":
            data[f.name] = posted.getall(f.name, [])
        elif f.kind == "checkbox":
            data[f.name] = posted.get(f.name, "")
        elif f.kind == "secret":
            if posted.get(f.name):
                data[f.name] = posted.get(f.name)
        elif f.name in posted:
            data[f.name] = posted.get(f.name)
    return data


def fields(form: Sequence[Field], values: Mapping[str, Any], errors: Mapping[str, str],
           options: Mapping[str, Options] | None = None, *, skip: Sequence[str] = ()) -> list[dict[str, Any]]:
    """What the template shows for each field."""
    shown = []
    for f in form:
        if f.name in skip:
            continue
        value = values.get(f.name, "")
        choices: Options = enum_options(f.labels) if f.labels is not None else (options or {}).get(f.name, ())
        if f.kind == "checkboxes":
            chosen = {str(v) for v in (value or [])}
        else:
            chosen = {str(value)} if value not in (None, "") else set()
        shown.append({
            "name": f.name, "label": gettext(f.label), "kind": f.kind, "required": f.required, "blank": f.blank,
            "help": gettext(f.help) if f.help else "", "inputmode": f.inputmode, "autofocus": f.autofocus,
            "maxlength": f.maxlength,
            "value": "" if f.kind in ("checkboxes", "secret") else ("" if value is None else value),
            "checked": bool(value) and str(value).lower() not in ("false", "0", "off"),
            "options": [{"value": v, "label": label, "selected": v in chosen} for v, label in choices],
            "error": gettext(errors[f.name]) if f.name in errors else "",
        })
    return shown
