"""Resource descriptions: each resource (the inventory's, tickets' categories) is declared once, and everything
else derives from it.

A `Resource` lists its `Field`s: value kind (text, whole number, money, date, yes/no, choice, a normalised
identifier such as a serial number or MAC address), whether it takes NULL, the SQL cast of its stored
value, its label (an English message id; German comes from the catalog), its CSV column (German and
English header, the spellings people type), its form widget, whether lists filter, sort and search by
it. From that come:

- the API's input and output Structs (`input_struct`, `output_struct`),
- the create and edit form (`form`),
- the CSV columns of import and export (`csv_kind`) and the export's SELECT (`export_sql`),
- the list query with its filters and sort keys (`listing`), and the parsing of a list's query string
  (`Listing.parse`: an empty choice means "all"; a bad value is a 422 naming the field's label),
- the field-by-field check of raw input (`check`), followed by the resource's one `validate`, which the
  API, the forms and the CSV import all call (the import with the context it fetched for all rows).

A secret (`Field.sealed`, e.g. an SNMP community) is write-only: the API input and the form take it, an
empty one keeps the stored one, and no output Struct, list, form value or CSV column ever has it.

Adding a stored field is a migration plus one `Field` line in the resource's description.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import msgspec
from msgspec import UNSET, UnsetType

from schoolit import limits, lists
from schoolit.accounts.scope import Scope
from schoolit.describe import csvformat, forms, identifiers
from schoolit.describe.inputs import Input
from schoolit.describe.kinds import Choice, Day, Reference, Text, ValueKind, YesNo
from schoolit.errors import FieldError, ValidationFailed, listed
from schoolit.kernel.i18n import N_, gettext
from schoolit.kernel.times import day_text
from schoolit.sql import Fragment, all_of, fragment
from schoolit.truth import yes_no

# --- fields and resources ------------------------------------------------------------------------


@dataclass(frozen=True)
class Csv:
    """A field's CSV column: German and English header and the other spellings people use. A `resolved`
    column is not stored as it is: the import resolves it (a county's name to its id), the export writes
    `export` (SQL) for it, and `kind` reads its cells."""

    de: str
    en: str
    aliases: tuple[str, ...] = ()
    memo: bool = False  # few distinct values in a file: read each distinct cell once
    required: bool = False  # every file has the column and every row a value
    to_create: bool | None = None  # a new row needs a value (default: the field is required and has no default)
    column: str | None = None  # the column's own name when not the field's ("county" for county_id)
    resolved: bool = False
    kind: ValueKind | None = None
    export: str | None = None
    note: str = ""  # what docs/import.md says of the column when more than its kind of value


@dataclass(frozen=True)
class Field:
    """One field of a resource. Stored fields are `writable`; read-only ones (a joined name, a derived
    figure) name their SQL in `select`."""

    name: str
    kind: ValueKind
    label: str  # English message id
    required: bool = False  # needed to create a row (API, form and import)
    nullable: bool = False  # empty stores NULL; else an empty value stores `empty`
    empty: Any = None  # the value of an empty input or cell (None: the column's default)
    cast: str | None = None  # the SQL type a written text is cast to (inet, cidr, macaddr)
    select: str | None = None  # SQL of the value read (default: `alias.name`, text for network types;
    # "": computed by the service after reading)
    csv: Csv | None = None
    widget: str | None = None  # the form's widget when not the kind's (textarea)
    form: bool = True  # shown in the create and edit form
    help: str | None = None
    autofocus: bool = False
    filter: str | None = None  # "eq" (equal) or "like" (contains, any case)
    sort: str | None = None  # the sort key lists accept for it
    search: bool = False  # the list's `q` searches it
    writable: bool = True
    out_type: Any = None  # the API output type when not the kind's
    sealed: str | None = None  # a secret's column, which stores it sealed: the field is write-only (below)
    page: str | None = None  # the group of rows of the resource's detail page it is shown in (`Resource.details`)
    page_label: str | None = None  # its label there when not `label`

    @property
    def secret(self) -> bool:
        """A write-only field (an SNMP community, a pass phrase): taken by the API input, the form and
        `check`, never in an output Struct, a list, a form's values or a CSV file; an empty value keeps the
        stored one. Its service seals a given value into `sealed` (`Resource.sealed_values`)."""
        return self.sealed is not None

    def output_type(self) -> Any:
        base = self.out_type if self.out_type is not None else self.kind.api_type
        return base | None if self.nullable else base


def shown(name: str, out_type: Any, select: str, label: str = "", kind: ValueKind | None = None,
          **options: Any) -> Field:
    """A read-only field of the API output (a joined name, a derived figure); `kind` reads its filter value."""
    return Field(name, kind or Text(200), label, writable=False, form=False, select=select, out_type=out_type,
                 **options)


class Check(Protocol):
    """What a resource's `validate` sees: the values being written (new or, on an update, stored),
    whether a field was given, and where its problems go. The API and the forms check through an
    `inputs.Input`, the import through its planner (the same rules, the same messages)."""

    creating: bool

    def value(self, name: str) -> Any: ...

    def given(self, name: str) -> bool: ...

    def error(self, name: str, message: str) -> None: ...

    def has_error(self, name: str) -> bool: ...


Validate = Callable[[Check, Mapping[str, Any]], None]


def dates_in_order(check: Check, earlier: str, later: str, message: str) -> None:
    """`later` must not lie before `earlier`; reported on `later` unless only `earlier` was given. `message`
    names both days (`%(earlier)s`, `%(later)s`, as pages show them): the reader sees which dates clash,
    whichever of the two fields it stands at."""
    first, second = check.value(earlier), check.value(later)
    if first is not None and second is not None and second < first and not check.has_error(later) \
            and not check.has_error(earlier):
        check.error(later if check.given(later) or not check.given(earlier) else earlier,
                    gettext(message, earlier=day_text(first), later=day_text(second)))


@dataclass(frozen=True)
class Resource:
    """One described resource: its table, fields, list query and rules."""

    name: str  # the API's name for one ("device")
    plural: str  # the import/export kind's name ("devices")
    table: str
    alias: str
    label: str  # English message id of one ("device")
    fields: tuple[Field, ...]
    source: str = ""  # FROM of the list query, the table under `alias` joined with what it shows
    county: str = ""  # SQL of the row's county (scope); "" for an installation-wide resource (no scoped list)
    school: str | None = None  # SQL of the row's school (scope), None for county-wide resources
    default_sort: str = "id"
    validate: Validate | None = None
    csv_keys: tuple[tuple[csvformat.Column, str], ...] = ()  # resolved CSV columns and their export SQL
    export_source: str = ""  # FROM of the export query (default: `source`)
    export_order: str = ""
    has_updated_at: bool = True
    csv_one_of: tuple[str, ...] = ()  # a CSV file has at least one of these columns
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        for f in self.secrets:
            if f.csv or f.filter or f.sort or f.search or f.select is not None or f.nullable:
                raise ValueError(f"{self.name}.{f.name}: a secret is never listed, exported or emptied")

    def __getitem__(self, name: str) -> Field:
        return self.by_name[name]

    @cached_property
    def labels(self) -> dict[str, str]:
        """Each described field's label (English message id) by its name: what its errors are named by."""
        return {f.name: f.label for f in self.fields if f.label}

    @cached_property
    def details(self) -> dict[str, tuple[Field, ...]]:
        """The fields of the detail page by their group (`Field.page`), each group in the order described: the
        page places each group between its own rows (badges, links); the kind shows the value (`show`)."""
        groups: dict[str, tuple[Field, ...]] = {}
        for f in self.shown:
            if f.page is not None:
                groups[f.page] = (*groups.get(f.page, ()), f)
        return groups

    @property
    def writable(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.writable)

    @property
    def secrets(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.secret)

    @property
    def shown(self) -> tuple[Field, ...]:
        """What is read back: every field but the secrets."""
        return tuple(f for f in self.fields if not f.secret)

    def select_sql(self, f: Field) -> str:
        if f.select is not None:
            return f.select if f.select == f"{self.alias}.{f.name}" else f"{f.select} AS {f.name}"
        column = f"{self.alias}.{f.name}"
        if f.cast == "inet":
            return f"host({column}) AS {f.name}"
        if f.cast is not None:
            return f"{column}::text AS {f.name}"
        return column

    # --- storage ---------------------------------------------------------------------------------

    def placeholder(self, name: str) -> str:
        f = self.by_name.get(name)
        return "{}::" + f.cast if f is not None and f.cast else "{}"

    def storable(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The values to write: an empty value of a column that takes no NULL keeps the stored one (a
        secret's sealed column takes NULL: no secret)."""
        nulls = {f.name for f in self.fields if f.nullable} | {f.sealed for f in self.secrets}
        return {k: v for k, v in values.items() if v is not None or k in nulls}

    def sealed_values(self, values: Mapping[str, Any], seal: Callable[[str], str | None]) -> dict[str, Any]:
        """The values to write with each secret given sealed (`seal`) into its column; an empty secret
        (not given, or given empty) leaves the stored one as it is."""
        written = {k: v for k, v in values.items() if k not in self.by_name or not self.by_name[k].secret}
        for f in self.secrets:
            if values.get(f.name):
                written[str(f.sealed)] = seal(values[f.name])
        return written

    # --- input -----------------------------------------------------------------------------------

    def check(self, data: Any, current: Mapping[str, Any] | None, *, skip: Sequence[str] = ()) -> Any:
        """Read every writable field given (`inputs.Input`): each bad field is an error, nothing raised yet."""
        f = Input(data, partial=current is not None, current=current, labels=self.labels)
        for fd in self.writable:
            if fd.name not in skip:
                f.field(fd)
        return f

    # --- derived shapes --------------------------------------------------------------------------

    def input_struct(self, name: str, base: type[msgspec.Struct], *, skip: Sequence[str] = ()) -> type[Any]:
        """The API input Struct: every writable field, unset unless given (a PATCH changes only those)."""
        fields = [(f.name, f.kind.api_type | UnsetType | (None if f.nullable else UnsetType), UNSET)
                  for f in self.writable if f.name not in skip]
        return msgspec.defstruct(name, fields, bases=(base,), module=base.__module__,
                                 namespace={"field_labels": self.labels})

    def output_struct(self, name: str, module: str) -> type[Any]:
        """The API output Struct: every field, stored and read-only, in the order described (no secret);
        `module` is the schemas module it belongs to."""
        return msgspec.defstruct(name, [(f.name, f.output_type()) for f in self.shown], module=module)

    def form_struct(self, name: str, *, extra: Sequence[str] = ()) -> type[Any]:
        """What a page's posted form decodes into: every form field as the browser sends it (text; a list
        for checkboxes), empty when not posted (an unticked box), plus the `extra` text fields (a row's
        id). Named after its table (`CategoryForm`), so the input limits check the fields against its
        columns, as they do the API's input Struct."""
        fields: list[tuple[str, Any, Any]] = [
            (f.name, list[str], msgspec.field(default_factory=list)) if f.kind == "checkboxes" else (f.name, str, "")
            for f in self.form()]
        return msgspec.defstruct(name, [*fields, *((e, str, "") for e in extra)], module=__name__)

    def form(self, *, skip: Sequence[str] = ()) -> tuple[forms.Field, ...]:
        """The create and edit form's fields."""
        shown_fields = [f for f in self.writable if f.form and f.name not in skip]
        return tuple(forms.Field(
            f.name, f.label, f.widget or f.kind.widget, required=f.required,
            labels=f.kind.offered() if isinstance(f.kind, Choice) else None,
            blank=(f.nullable or f.kind.blank == "") and (f.widget or f.kind.widget) == "select", help=f.help,
            inputmode=f.kind.inputmode, autofocus=f.autofocus, text=f.kind.form_text,
            maxlength=self.max_length(f)) for f in shown_fields)

    def max_length(self, f: Field) -> int | None:
        """The most characters a field's text takes: its kind's limit, else its column's (a normalised
        identifier), the stricter of the two when both say one; None for a value that is not text."""
        if (f.widget or f.kind.widget) not in ("text", "textarea") or f.secret:
            return None
        table = limits.table_by_name(self.table)
        column = limits.limit_for(f.name, table).max_length if table is not None else None
        own = f.kind.max_length if isinstance(f.kind, Text) else None
        return min((n for n in (own, column) if n is not None), default=None)

    def csv_columns(self) -> tuple[csvformat.Column, ...]:
        columns = [column for column, _sql in self.csv_keys]
        for f in self.fields:
            if f.csv is None:
                continue
            kind = f.csv.kind or f.kind
            to_create = f.csv.to_create
            if to_create is None:
                to_create = f.required and not f.csv.required and f.empty is None
            columns.append(csvformat.Column(
                f.csv.column or f.name, f.csv.de, f.csv.en, kind.cell, kind.format, aliases=f.csv.aliases,
                required=f.csv.required, to_create=to_create, direct=not f.csv.resolved,
                empty=f.empty if f.empty is not None or f.nullable else kind.blank, memo=f.csv.memo,
                spelled=isinstance(kind, Choice), note=f.csv.note, what=kind.doc or _CAST_DOC.get(f.cast or "", "")))
        return tuple(columns)

    @cached_property
    def csv_kind(self) -> csvformat.Kind:
        """The import and export kind (one instance: the import tells kinds apart by identity)."""
        return csvformat.Kind(self.plural, self.table, self.label, self.csv_columns(),
                              has_updated_at=self.has_updated_at, one_of=self.csv_one_of)

    def export_sql(self) -> str:
        """The export's SELECT: each CSV column named like its field; its one value is the scope
        condition (`Scope.where` over `county` and `school`)."""
        selects = [f"{sql} AS {column.field}" for column, sql in self.csv_keys]
        selects += [f"{f.csv.export} AS {f.csv.column or f.name}" if f.csv.export else self.select_sql(f)
                    for f in self.fields if f.csv is not None]
        return (f"SELECT {', '.join(selects)} FROM {self.export_source or self.source} "  # noqa: S608
                f"WHERE {{}} ORDER BY {self.export_order}")

    def listing(self, *, filters: Mapping[str, str | Filter] | None = None, sorts: Mapping[str, str] | None = None,
                mac: str | None = None, search: Sequence[str] = (), first: Sequence[str] = ()) -> Listing:
        """The list query; `filters`, `sorts` and `search` add what no single field says (a filter given
        as SQL takes an id; a `Filter` names its label and value kind, e.g. a date it compares with). The list
        page's filter form shows the filters named in `first` first, then the others in the order described."""
        if not self.county or not self.source:
            raise TypeError(f"{self.name} is installation-wide: it has no list scoped by county")
        described_filters: dict[str, Filter] = {}
        for f in self.fields:
            if f.filter is not None:
                column = f.select or f"{self.alias}.{f.name}"
                condition = f"{column} ILIKE {{}}" if f.filter == "like" else f"{column} = {{}}"
                described_filters[f.name] = Filter(f.name, f.label, condition, f.kind, f.filter == "like")
        for name, given in (filters or {}).items():
            described_filters[name] = given if isinstance(given, Filter) else Filter(name, "", given, Reference())
        described_sorts = {f.sort: (f.select or f"{self.alias}.{f.name}") for f in self.fields if f.sort}
        described_sorts.update(sorts or {})
        return Listing(
            columns=", ".join(self.select_sql(f) for f in self.shown if f.select != ""),
            source=self.source, county=self.county, school=self.school, filters=described_filters,
            search=(*(f"{self.alias}.{f.name}" for f in self.fields if f.search), *search), mac=mac,
            sorts=described_sorts, default_sort=self.default_sort, id_column=f"{self.alias}.id", first=tuple(first))


_CAST_DOC = {"cidr": "network", "inet": "address"}


def row_fields(alias: str, *, updated_at: bool = True) -> tuple[Field, ...]:
    """What every inventory row has: id, county and creation (and change) time (other domains' rows
    name their own fields)."""
    return (
        shown("id", int, f"{alias}.id"),
        shown("county_id", int, f"{alias}.county_id", N_("County"), Reference(), filter="eq"),
        *(shown("created_at", dt.datetime, f"{alias}.created_at", sort="created_at"),),
        *((shown("updated_at", dt.datetime, f"{alias}.updated_at"),) if updated_at else ()),
    )


# --- listing ---------------------------------------------------------------------------------------


def like(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class Filter:
    name: str
    label: str  # English message id ("" for an id filter: the name is shown)
    condition: str  # SQL with one {}
    kind: ValueKind
    contains: bool = False  # matched anywhere in the text, any case
    options: tuple[tuple[str, str], ...] = ()  # the form's choices (value, English message id) when not the kind's


@dataclass(frozen=True)
class FilterInput:
    """One filter of a list page's form, in the page's language: a choice (`select`, empty meaning "all"),
    a `date` or a `text` input."""

    name: str
    label: str
    widget: str
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Listing:
    """How one resource is listed: its columns and source, scope columns, filters, search and sorts."""

    columns: str
    source: str
    county: str
    school: str | None
    filters: Mapping[str, Filter] = field(default_factory=dict)
    search: tuple[str, ...] = ()  # text expressions matched with ILIKE (by `q`, at most lists.SEARCH_LENGTH long)
    mac: str | None = None  # a macaddr expression matched exactly when q is a MAC
    sorts: Mapping[str, str] = field(default_factory=dict)  # public name -> SQL expression
    default_sort: str = "id"
    id_column: str = "id"
    first: tuple[str, ...] = ()  # the filters the page's form shows first

    def inputs(self, choices: Mapping[str, Sequence[tuple[str, str]]]) -> list[FilterInput]:
        """The list page's filter form from the described filters: a choice's values, yes/no, a date or text
        (contains); an id filter (county, school) offers `choices` and is left out when they are fewer than
        two (nothing to choose)."""
        names = [*(n for n in self.first if n in self.filters), *(n for n in self.filters if n not in self.first)]
        shown: list[FilterInput] = []
        for name in names:
            spec = self.filters[name]
            label = gettext(spec.label) if spec.label else name
            options: Sequence[tuple[str, str]] | None = None
            if spec.options:
                options = [(value, gettext(text)) for value, text in spec.options]
            elif isinstance(spec.kind, Reference):
                options = choices.get(name, ())
                if len(options) < 2:
                    continue
            elif isinstance(spec.kind, Choice):
                options = spec.kind.options()
            elif isinstance(spec.kind, YesNo):
                options = [("true", yes_no(True)), ("false", yes_no(False))]
            if options is not None:
                shown.append(FilterInput(name, label, "select", tuple(options)))
            else:
                shown.append(FilterInput(name, label, "date" if isinstance(spec.kind, Day) else "text"))
        return shown

    def parse(self, query: Mapping[str, Any]) -> dict[str, Any]:
        """The list filters of a query string (or keyword arguments): an empty value means "all"; a value
        that is not one the filter takes is a 422 (`FilterInvalid`): the field's code, label and reason,
        like any field error. An unknown sort key is found by `order`."""
        values: dict[str, Any] = {}
        errors: list[FieldError] = []
        for name, spec in self.filters.items():
            raw = query.get(name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            try:
                values[name] = spec.kind.parse(raw.strip() if isinstance(raw, str) else raw)
            except ValueError as exc:
                errors.append(FieldError(name, str(exc), spec.label or None))
        if errors:
            raise FilterInvalid(errors)
        return values

    def where(self, scope: Scope, filters: Mapping[str, Any], q: str | None,
              extra: Sequence[Fragment] = ()) -> Fragment:
        """The list's condition: the scope (`Scope.where`), the filters given, the search and `extra`. A search
        text longer than every list takes (`lists.SEARCH_LENGTH`) is a 422 like a filter's bad value."""
        if errors := lists.search_errors(q):
            raise FilterInvalid(errors)
        conditions = [scope.where(self.county, school=self.school)]
        for name, value in filters.items():
            if value is None or value == "":
                continue
            spec = self.filters[name]
            conditions.append(fragment(spec.condition, like(value) if spec.contains else value))
        if q and q.strip():
            text = q.strip()
            alternatives = [f"{expr} ILIKE {{}}" for expr in self.search]
            values: list[Any] = [like(text)] * len(self.search)
            if self.mac:
                with contextlib.suppress(ValueError):
                    mac = identifiers.mac_address(text)
                    alternatives.append(f"{self.mac} = {{}}::macaddr")
                    values.append(mac)
            conditions.append(fragment(" OR ".join(alternatives), *values))
        return all_of(*conditions, *extra)

    def order(self, sort: str | None) -> str:
        key, descending = lists.sort_key(sort, self.sorts, self.default_sort)
        direction = "DESC NULLS LAST" if descending else "ASC NULLS LAST"
        return f"{self.sorts[key]} {direction}, {self.id_column}"


class FilterInvalid(ValidationFailed):
    """A list's query string gives a filter a value it does not take: a 422 like any field error (each
    with its label and the reason alone); the detail names each label and reason in the caller's
    language, for callers that read only the detail."""

    detail_lists_errors = True

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors, detail=listed((gettext(e.label) if e.label else e.field, gettext(e.message))
                                               for e in errors))
