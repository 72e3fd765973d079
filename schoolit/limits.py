"""What a value may be, derived from the column it is stored in — the one source of input limits.

Every text and number that comes in (a JSON body, a form, a query parameter, a CSV cell) ends up in
a PostgreSQL column; a value the column cannot hold (a NUL byte, a text longer than its `varchar`,
a number beyond its `integer`) would fail in the database as a 500. This module reads the Piccolo
table definitions once and answers, for a field name and the tables it belongs to, what the column
allows, so a new column or field is covered without new code:

- `Varchar(length=n)`: at most n characters, one line (no control characters at all); a longer value of a
  column with fixed choices is not one of them, and says so rather than how long it may be;
- `Text`: any length, tab and line breaks allowed, no other control characters;
- `SmallInt`/`Integer`/`Serial`/foreign keys/`BigInt`/`BigSerial`: the type's range.

A field no column is named after still has no control characters other than tab and line breaks,
and a whole number within `bigint` (what LIMIT and OFFSET take).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from piccolo.table import Table

from schoolit import rules
from schoolit.kernel.i18n import N_

_RANGES = {"SMALLINT": 2**15, "INTEGER": 2**31, "SERIAL": 2**31, "BIGINT": 2**63, "BIGSERIAL": 2**63}
_VARCHAR = re.compile(r"^VARCHAR\((\d+)\)$")

CONTROL = N_("must not contain control characters")
TOO_LONG = N_("at most %(max)s characters")
TOO_SMALL = N_("at least %(min)s")
TOO_LARGE = N_("at most %(max)s")


@dataclass(frozen=True)
class Limit:
    """What one column holds. `max_length` None: any length; `bound` None: not a whole number."""

    max_length: int | None = None
    multiline: bool = True
    bound: int | None = None  # whole numbers lie in [-bound, bound - 1]
    choice: bool = False  # the column takes one of fixed values (its service checks which)

    def problem(self, value: Any) -> tuple[str, dict[str, int]] | None:
        """Why the value does not fit (an English message id and its parameters), or None."""
        if isinstance(value, str):
            # Line breaks around a one-line value are what a barcode scanner or a paste adds; the
            # services strip them.
            if has_control_characters(value if self.multiline else value.strip(), multiline=self.multiline):
                return CONTROL, {}
            if self.max_length is not None and len(value) > self.max_length:
                return (rules.NOT_ALLOWED, {}) if self.choice else (TOO_LONG, {"max": self.max_length})
        elif isinstance(value, int) and not isinstance(value, bool) and self.bound is not None:
            if value < -self.bound:
                return TOO_SMALL, {"min": -self.bound}
            if value >= self.bound:
                return TOO_LARGE, {"max": self.bound - 1}
        return None

    def looser(self, other: Limit) -> Limit:
        return Limit(max_length=None if self.max_length is None or other.max_length is None
                     else max(self.max_length, other.max_length),
                     multiline=self.multiline or other.multiline,
                     bound=None if self.bound is None or other.bound is None else max(self.bound, other.bound),
                     choice=self.choice and other.choice)


# A field that no column is named after: text may span lines, numbers must fit a bigint.
UNKNOWN = Limit(bound=2**63)


_CONTROL_ANY = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(value: str, *, multiline: bool) -> bool:
    """NUL and the other C0/C1 controls (and lone surrogates, which no encoder takes); tab and line
    breaks only where the text may span lines."""
    return (_CONTROL_BUT_BREAKS if multiline else _CONTROL_ANY).search(value) is not None


def without_control_characters(value: str) -> str:
    """The text without what `has_control_characters` refuses in any text (tab and line breaks stay): what a
    refused form shows again, so that a NUL byte is never sent back."""
    return _CONTROL_BUT_BREAKS.sub("", value)


def column_limit(column: Any) -> Limit | None:
    """The limit of one Piccolo column, or None for types checked elsewhere (dates, booleans, JSON, ...)."""
    column_type = str(column.column_type).upper()
    varchar = _VARCHAR.match(column_type)
    if varchar:
        return Limit(max_length=int(varchar.group(1)), multiline=False, choice=column._meta.choices is not None)
    if column_type == "TEXT":
        return Limit()
    if column_type in _RANGES:
        return Limit(bound=_RANGES[column_type])
    return None


@cache
def all_tables() -> tuple[type[Table], ...]:
    from schoolit.piccolo_conf import APP_REGISTRY

    return tuple(table for config in APP_REGISTRY.app_configs.values() for table in config.table_classes)


@cache
def table_by_name(tablename: str) -> type[Table] | None:
    return next((t for t in all_tables() if t._meta.tablename == tablename), None)


@cache
def tables_of_module(module: str) -> tuple[type[Table], ...]:
    """The tables of the domain a module belongs to (`schoolit.tickets.pages` -> tickets')."""
    parts = module.split(".")
    domain = ".".join(parts[:2]) + "."
    return tuple(t for t in all_tables() if t.__module__.startswith(domain))


@cache
def table_named(name: str) -> type[Table] | None:
    """The table a Struct describes by its name: `SchoolIn` -> School, `CategoryIn` -> TicketCategory,
    `TimeIn` -> TimeEntry (the table whose name is, ends with or starts with the Struct's stem)."""
    stem = re.sub(r"(In|Patch|Form|Filters|Created)$", "", name)
    if not stem:
        return None
    tables = all_tables()
    for match in (lambda t: t.__name__ == stem, lambda t: t.__name__.endswith(stem),
                  lambda t: t.__name__.startswith(stem)):
        found = [t for t in tables if match(t)]
        if len(found) == 1:
            return found[0]
    return None


def _limits_in(tables: Iterable[type[Table]], field: str) -> list[Limit]:
    limits = []
    for table in tables:
        column = table._meta.get_column_by_name(field) if field in {
            c._meta.name for c in table._meta.columns} else None
        limit = column_limit(column) if column is not None else None
        if limit is not None:
            limits.append(limit)
    return limits


@cache
def limit_for(field: str, table: type[Table] | None = None, module: str = "") -> Limit:
    """The limit of a field: its column in `table` when it has one; else the loosest column of that
    name in the module's domain, else in any domain (the service checks what is stricter); else
    UNKNOWN. Ids (`*_id`) that no column names are integers."""
    if table is not None and (own := _limits_in((table,), field)):
        return own[0]
    for tables in (tables_of_module(module) if module else (), all_tables()):
        found = _limits_in(tables, field)
        if found:
            loosest = found[0]
            for other in found[1:]:
                loosest = loosest.looser(other)
            return loosest
    if field == "id" or field.endswith("_id"):
        return Limit(bound=2**31)
    return UNKNOWN


def problems(values: Mapping[str, Any], limit: Any) -> list[tuple[str, str, dict[str, int]]]:
    """(field, message id, parameters) for every value that does not fit; `limit(field)` gives its
    Limit. Lists are checked item by item, mappings (JSON objects) value by value."""
    found: list[tuple[str, str, dict[str, int]]] = []
    for field, value in values.items():
        problem = _first_problem(value, limit(field))
        if problem is not None:
            found.append((field, *problem))
    return found


def _first_problem(value: Any, limit: Limit) -> tuple[str, dict[str, int]] | None:
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for item in value:
            if (problem := _first_problem(item, limit)) is not None:
                return problem
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if (problem := _first_problem(key, UNKNOWN) or _first_problem(item, UNKNOWN)) is not None:
                return problem
        return None
    return limit.problem(value)
