"""The CSV format of described resources, shared by import and export: columns per kind, cell formats, file reading.

The columns of each kind derive from its resource's description (`Resource.csv_kind`): each column's
German and English header (plus the spellings people type), how a cell is read and how a value is
written, so that an exported file imports again unchanged. Files come from German Excel as often as from
scripts: UTF-8 with or without BOM or Windows-1252, `;` or `,` between cells, decimal commas, dates
as 31.07.2026 or 2026-07-31.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import msgspec

from schoolit import limits
from schoolit.csvwriter import BOM, FORMULA_START
from schoolit.db import MAX_INT
from schoolit.kernel.i18n import N_
from schoolit.kernel.i18n import gettext as _
from schoolit.kernel.times import day_text
from schoolit.truth import truth

LANGS = ("de", "en")
VALUE_REQUIRED = N_("a value is required")
COLUMN_MISSING = N_("required column is missing")


class CellError(ValueError):
    """Why a cell cannot be read: an English message id with named parameters, translated when shown."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def text(self) -> str:
        return _(self.message, **self.params)


def reason(exc: ValueError) -> str:
    """The translated reason of a cell error, or of a ValueError from `validation`."""
    return exc.text() if isinstance(exc, CellError) else _(str(exc))


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def normalise(name: str) -> str:
    """Header names and choice values compare without case, blanks, punctuation and umlauts:
    "MAC-Adresse" == "mac adresse", "Download (Mbit/s)" == "download mbit/s", "Gebäude" == "Gebaeude"."""
    return re.sub(r"[^0-9a-z]", "", name.casefold().translate(_UMLAUTS))


# A cell parser gets the stripped, non-empty cell and whether the file writes decimal commas.
Parser = Callable[[str, bool], Any]
Formatter = Callable[[Any, str], str]


# --- cell formats ----------------------------------------------------------------------------------

def text(max_length: int) -> Parser:
    def parse(cell: str, comma: bool) -> str:
        if len(cell) > max_length:
            raise CellError(limits.TOO_LONG, max=max_length)
        return cell

    return parse


def _validated(check: Callable[[str], str]) -> Parser:
    return lambda cell, comma: check(cell)


_INT_DE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")
_INT_EN = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")


def integer(minimum: int, maximum: int = MAX_INT) -> Parser:
    """A whole number; German files may group thousands with '.', English ones with ','."""

    def parse(cell: str, comma: bool) -> int:
        digits = cell.replace(" ", "").replace("\u00a0", "")
        if (_INT_DE if comma else _INT_EN).fullmatch(digits):
            digits = digits.replace("." if comma else ",", "")
        if not re.fullmatch(r"-?[0-9]+", digits):
            raise CellError(N_("a whole number"))
        number = int(digits)
        if number < minimum:
            raise CellError(limits.TOO_SMALL, min=minimum)
        if number > maximum:
            raise CellError(limits.TOO_LARGE, max=maximum)
        return number

    return parse


# Amounts in euros with at most two decimals. The file's convention decides what is ambiguous:
# in a German file "1.234" is 1234 € and "1,234" an error; in an English file the other way round.
_MONEY_DE = (re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+)(?:,([0-9]{1,2}))?"), re.compile(r"([0-9]+)(?:,([0-9]{1,2}))?"),
             re.compile(r"([0-9]+)\.([0-9]{1,2})"))
_MONEY_EN = (re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+)(?:\.([0-9]{1,2}))?"), re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?"),
             re.compile(r"([0-9]+),([0-9]{1,2})"))
_CURRENCY = re.compile(r"€|eur|euro|[\s\u00a0]", re.IGNORECASE)


def price_cents(cell: str, comma: bool) -> int:
    amount = _CURRENCY.sub("", cell)
    for pattern in _MONEY_DE if comma else _MONEY_EN:
        match = pattern.fullmatch(amount)
        if match:
            euros = int(re.sub(r"[.,]", "", match.group(1)))
            cents = int((match.group(2) or "0").ljust(2, "0"))
            total = euros * 100 + cents
            if total > MAX_INT:
                raise CellError(limits.TOO_LARGE, max="21.474.836,47 €" if comma else "€21,474,836.47")
            return total
    # The example in the cell's own convention: what the refused cell should have looked like.
    raise CellError(N_("an amount in euros with at most two decimals, e.g. 1.234,56") if comma
                    else N_("an amount in euros with at most two decimals, e.g. 1,234.56"))


def format_price(cents: int | None, lang: str) -> str:
    if cents is None:
        return ""
    euros, rest = divmod(cents, 100)
    return f"{euros}{',' if lang == 'de' else '.'}{rest:02d}"


_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_GERMAN_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4}|[0-9]{2})")
_TIME = re.compile(r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?")  # Excel sometimes adds 00:00


def date(cell: str, comma: bool) -> dt.date:
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_GERMAN_DATE, (2, 1, 0))):
        match = pattern.match(cell)
        if match and _TIME.fullmatch(cell[match.end():]):
            parts = match.groups()
            year, month, day = (int(parts[i]) for i in order)
            if len(parts[order[0]]) == 2:  # "1.8.21"; a year typed with four digits stays as typed ("0021")
                year += 2000
            try:
                value = dt.date(year, month, day)
            except ValueError:
                raise CellError(N_("no such date")) from None
            return value
    raise CellError(N_("a date like 31.07.2026 or 2026-07-31"))


def format_date(value: dt.date | None, lang: str) -> str:
    if value is None:
        return ""
    return day_text(value) if lang == "de" else value.isoformat()


def boolean(cell: str, comma: bool) -> bool:
    try:
        return truth(cell)
    except ValueError:
        raise CellError(N_("yes or no (ja/nein)")) from None


def format_bool(value: bool | None, lang: str) -> str:
    if value is None:
        return ""
    return ("ja" if value else "nein") if lang == "de" else ("yes" if value else "no")


def choice(enum: type[StrEnum], synonyms: dict[str, tuple[str, ...]] | None = None) -> Parser:
    """A stored code ("stock"), or a German or English word for it ("Lager", "in stock")."""
    words = {normalise(member.value): member.value for member in enum}
    for value, names in (synonyms or {}).items():
        words.update({normalise(name): enum(value).value for name in names})
    codes = ", ".join(member.value for member in enum)

    def parse(cell: str, comma: bool) -> str:
        found = words.get(normalise(cell))
        if found is None:
            raise CellError(N_("one of: %(choices)s"), choices=codes)
        return found

    return parse


def format_text(value: Any, lang: str) -> str:
    return "" if value is None else str(value)


# --- columns per kind ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """One CSV column. `field` is the stored column where `direct`, else a value the import resolves
    (a school number, a room name, ...)."""

    field: str
    de: str
    en: str
    parse: Parser
    fmt: Formatter = format_text
    aliases: tuple[str, ...] = ()
    required: bool = False  # every file has it and every row a value
    to_create: bool = False  # a row that creates an object needs a value
    direct: bool = True  # stored as is in the kind's table
    empty: Any = None  # the value of an empty cell
    memo: bool = False  # few distinct values in a file: read each distinct cell once
    spelled: bool = False  # a cell names the stored value in other words (a choice's label): it may be longer
    note: str = ""  # docs/import.md's word on the column (else: required, to create, or `what`)
    what: str = ""  # the kind of value, for docs/import.md ("date", "choice", ...)

    def header(self, lang: str) -> str:
        return self.de if lang == "de" else self.en

    def names(self) -> set[str]:
        return {normalise(n) for n in (self.de, self.en, self.field, *self.aliases)}


@dataclass(frozen=True)
class Kind:
    """What one import/export kind is made of: its URL name, table and columns."""

    name: str
    table: str
    label: str
    columns: tuple[Column, ...]
    has_updated_at: bool = True
    one_of: tuple[str, ...] = ()  # a file has at least one of these columns (the first is named when none)
    columns_by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, Column] = {}
        for column in self.columns:
            for name in column.names():
                assert name not in by_name, f"{self.name}: header name {name!r} used twice"
                by_name[name] = column
        object.__setattr__(self, "columns_by_name", by_name)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)


# --- reading a file --------------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-16 when it starts with a UTF-16 BOM (Excel's "Unicode text",
    tab-separated), else UTF-8 (a BOM is dropped) when it decodes strictly, else Windows-1252."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise CellError(N_("the file starts like UTF-16 text but is not")) from None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        raise CellError(N_("the file is neither UTF-8 nor Windows-1252 text")) from None


def sniff_delimiter(text: str) -> str:
    """`;` (German Excel), `,` or tab: whichever the first non-empty line (the header) has most of."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


class RowError(msgspec.Struct, frozen=True):
    """A problem in one row: `row` is the number Excel shows (the header is row 1), `column` the
    header as written in the file (empty when the problem is the whole row)."""

    row: int
    column: str
    message: str


@dataclass
class ParsedFile:
    """A file read against one kind's columns: the values of each row, aligned to `columns`."""

    kind: Kind
    encoding: str = ""
    delimiter: str = ";"
    header_row: int = 1
    width: int = 0  # cells in the header row
    columns: list[Column] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)  # field -> where its values are in each row
    headers: dict[str, str] = field(default_factory=dict)  # field -> the header as written in the file
    rows: list[tuple[int, Sequence[Any]]] = field(default_factory=list)  # (row number, values)
    errors: list[RowError] = field(default_factory=list)
    bad_cells: set[tuple[int, str]] = field(default_factory=set)  # (row, field) whose cell could not be read
    ignored_columns: list[str] = field(default_factory=list)
    limits: dict[str, limits.Limit] = field(default_factory=dict)  # field -> what its column holds

    def index(self, name: str) -> int | None:
        """Where a field's values are in each row, or None when the file has no such column."""
        return self.positions.get(name)

    def header_of(self, name: str) -> str:
        return self.headers.get(name) or self.kind.column(name).de

    def error(self, row: int, name: str, message: str) -> None:
        self.errors.append(RowError(row, self.header_of(name) if name else "", message))
        self.bad_cells.add((row, name))

    def in_file_order(self) -> list[RowError]:
        """The errors by row, and in a row from left to right (problems of the whole row first)."""
        position = {header: i for i, header in enumerate(self.headers.values())}
        return sorted(self.errors, key=lambda e: (e.row, position.get(e.column, -1)))

    def readable(self, row: int, name: str) -> bool:
        """Whether the row's cell of this field was read (checks on a bad cell would only repeat its error)."""
        return (row, name) not in self.bad_cells


Progress = Callable[[str, int, int], None]


def _records(text: str, delimiter: str) -> Iterator[list[str]]:
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def read(data: bytes, kind: Kind, progress: Progress | None = None, others: Iterable[Kind] = ()) -> ParsedFile:
    """Decode and read a whole file; every problem becomes a RowError, nothing is raised. A header that is
    another of the `others` kinds' (a file of schools chosen as rooms) is refused as a whole."""
    parsed = ParsedFile(kind)
    try:
        text, parsed.encoding = decode(data)
    except CellError as exc:
        parsed.errors.append(RowError(1, "", exc.text()))
        return parsed
    parsed.delimiter = sniff_delimiter(text)
    comma, quoted = parsed.delimiter == ";", "'" in text
    estimate = max(1, text.count("\n"))
    row = 0
    mapping: list[tuple[int, Column, dict[str, Any] | None]] = []
    try:
        for record in _records(text, parsed.delimiter):
            row += 1
            if not any(record) or not any(cell.strip() for cell in record):
                continue  # empty lines, and the ";;;;" Excel writes for them
            if not mapping:
                mapping = _read_header(parsed, record, row)
                _refuse_another_kinds_header(parsed, record, row, others)
                if parsed.errors or not mapping:
                    return parsed
                continue
            parsed.rows.append((row, _read_row(parsed, record, row, mapping, comma, quoted)))
            if progress is not None and row % 5000 == 0:
                progress("read", row, estimate)
    except csv.Error as exc:
        parsed.error(row + 1, "", _("the CSV cannot be read here (%(reason)s); check the quotes", reason=str(exc)))
        return parsed
    if not mapping:
        parsed.errors.append(RowError(1, "", _("the file has no header row")))
    parsed.errors = parsed.in_file_order()
    if progress is not None:
        progress("read", row, row)
    return parsed


def _title(cell: str) -> str:
    """A header cell's title as written, without blanks and the byte order mark Excel puts before the first."""
    return cell.strip().lstrip(BOM).strip()


def _refuse_another_kinds_header(parsed: ParsedFile, record: list[str], row: int, others: Iterable[Kind]) -> None:
    """A header whose every column another kind knows, and more of them than this kind does, is that kind's:
    read as this kind, its ignored columns would be lost and a school's name could become a room (`Name` is
    a room's too). A file with columns neither knows (a spreadsheet's own notes) is not refused for them."""
    if parsed.errors or not parsed.ignored_columns:
        return
    titles = {normalise(title) for title in map(_title, record) if title}
    known_here = sum(title in parsed.kind.columns_by_name for title in titles)
    for other in others:
        if other.name != parsed.kind.name and titles <= other.columns_by_name.keys() and len(titles) > known_here:
            parsed.errors.append(RowError(row, "", _(
                "the header is that of the kind “%(other)s”, not “%(kind)s” (%(columns)s do not belong to it): "
                "import the file as “%(other)s”", other=_(other.label), kind=_(parsed.kind.label),
                columns=", ".join(parsed.ignored_columns))))
            return


def _read_header(parsed: ParsedFile, record: list[str], row: int) -> list[tuple[int, Column, dict[str, Any] | None]]:
    parsed.header_row = row
    mapping: list[tuple[int, Column, dict[str, Any] | None]] = []
    for index, cell in enumerate(record):
        title = _title(cell)
        if not title:
            continue
        column = parsed.kind.columns_by_name.get(normalise(title))
        if column is None:
            parsed.ignored_columns.append(title)
        elif column.field in parsed.headers:
            parsed.errors.append(RowError(row, title, _("the column appears twice (also as %(other)s)",
                                                        other=parsed.headers[column.field])))
        else:
            parsed.headers[column.field] = title
            mapping.append((index, column, {} if column.memo else None))
    for column in parsed.kind.columns:
        if column.required and column.field not in parsed.headers:
            parsed.errors.append(RowError(row, f"{column.de} / {column.en}", _(COLUMN_MISSING)))
    if parsed.kind.one_of and not any(name in parsed.headers for name in parsed.kind.one_of):
        # E.g. access points are known by serial number or, failing that, by MAC address.
        first = parsed.kind.column(parsed.kind.one_of[0])
        parsed.errors.append(RowError(row, f"{first.de} / {first.en}", _(COLUMN_MISSING)))
    parsed.width = len(record)
    parsed.columns = [column for _index, column, _memo in mapping]
    parsed.positions = {column.field: i for i, column in enumerate(parsed.columns)}
    parsed.limits = {column.field: cell_limit(parsed.kind, column) for column in parsed.columns}
    return mapping


def cell_limit(kind: Kind, column: Column) -> limits.Limit:
    """What a cell may hold: a stored column's limit (schoolit.limits, from the table definition);
    a value the import resolves (school number, room, ...) or spells (a choice's label: 'ausgemustert'
    for 'retired') is one line of text."""
    table = limits.table_by_name(kind.table)
    if column.direct and not column.spelled and table is not None:
        return limits.limit_for(column.field, table)
    return limits.Limit(multiline=False)


def _checked_parse(column: Column, limit: limits.Limit, cell: str, comma: bool) -> Any:
    """The cell's value, or CellError when it does not fit its column (before and after parsing:
    control characters and length of the text, the range of a number)."""
    problem = limit.problem(cell)
    if problem is None:
        value = column.parse(cell, comma)
        problem = limit.problem(value) if isinstance(value, int) else None
        if problem is None:
            return value
    raise CellError(problem[0], **problem[1])


_MISSING = object()


def _read_row(parsed: ParsedFile, record: list[str], row: int,
              mapping: list[tuple[int, Column, dict[str, Any] | None]], comma: bool, quoted: bool) -> list[Any]:
    """One data row's values. `memo` holds the values of the distinct cells of a column read so far
    (`Column.memo`: a column with few distinct values parses each of them once)."""
    values: list[Any] = []
    width = len(record)
    for index, column, memo in mapping:
        cell = record[index].strip() if index < width else ""
        if quoted and cell[:1] == "'" and cell[1:2] in FORMULA_START:
            cell = cell[1:]  # the quote our export puts before a formula-like cell
        if not cell:
            if column.required:
                parsed.error(row, column.field, _(VALUE_REQUIRED))
            values.append(column.empty)
            continue
        value = _MISSING if memo is None else memo.get(cell, _MISSING)
        if value is _MISSING:
            try:
                value = _checked_parse(column, parsed.limits[column.field], cell, comma)
            except ValueError as exc:
                value = RowError(row, parsed.headers[column.field], reason(exc))
            if memo is not None:
                memo[cell] = value
        if type(value) is RowError:
            parsed.error(row, column.field, value.message)
            value = column.empty
        values.append(value)
    if width > parsed.width and any(cell.strip() for cell in record[parsed.width:]):
        parsed.error(row, "", _("more cells than the header has columns (a delimiter in an unquoted cell?)"))
    return values
