"""The shared list view of every list page: column headers that sort on click, a pager with the total
and a page size, and the CSV of exactly what the list shows. Templates render it with the macros of
`web/templates/web/_list.html`.

A page describes its table once as `Column`s (header label, the sort key of the listing it shows —
from the resource description —, the CSV cell), reads the list's own query parameters with `params`
(`sort`, `offset`, `limit`, `format`; a search text `q` of at most SEARCH_LENGTH characters is
checked by the listing, `search_errors`), asks its service for one page (or, for `format=csv`, for every
row) and builds a `ListView`. Every link the view makes keeps the page's other query parameters
(filters, search, tab), so a list can be bookmarked, shared and exported as it is shown; the CSV has
the table's columns, the same filters and sort, and all pages of the result.

It lives outside `web` and `kernel` because every domain's pages use it (accounts may not import web)
and it raises the domains' field errors and writes through the one CSV writer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from litestar import Response

from schoolit import limits
from schoolit.csvwriter import write_csv
from schoolit.errors import FieldError, ValidationFailed
from schoolit.kernel import labels
from schoolit.kernel.i18n import N_, current_locale, gettext, ngettext

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 100
CSV_MAX_ROWS = 100_000  # a CSV holds every row of the result, up to this many
# The query parameters the list view owns; every other one (filters, search, tab) is kept in its links.
OWN = ("sort", "offset", "limit", "format")

UNKNOWN_SORT = N_("unknown sort key")
BAD_OFFSET = N_("must be a whole number, 0 or more")
BAD_PAGE_SIZE = N_("must be one of 25, 50, 100 or 200")
BAD_FORMAT = N_("only csv can be downloaded")
_SORT_KEY = re.compile(r"-?[a-z_]{1,40}")
# The most characters of a list's search text (`q`, and the audit log's search for an actor): what a person
# types to find rows, which the list keeps in its links and its search box and the ticket queue in saved views.
SEARCH_LENGTH = 100
# The names an error page gives the list's own parameters and its search text.
LABELS = {"sort": N_("Sort by"), "offset": N_("Offset (rows skipped)"), "limit": N_("Rows per page"),
          "format": N_("File format"), "q": N_("Search")}
labels.register(LABELS)


def search_errors(text: str | None, field: str = "q") -> list[FieldError]:
    """"at most 100 characters" (in the request's language) at the field of a list's search text when what is
    searched for — the text without the blanks around it — is longer ([] otherwise); the field's label is the
    one registered for its code. Every list's search, its API's and its page's, and a saved view check it."""
    if len((text or "").strip()) <= SEARCH_LENGTH:
        return []
    return [FieldError(field, gettext(limits.TOO_LONG, max=SEARCH_LENGTH), labels.label_of(field))]


@dataclass(frozen=True)
class Column:
    """One column of a list's table and of its CSV: the header (English message id), the listing's sort
    key when the column sorts, and its CSV cell (`csv`: the row's value as the file shows it; None:
    the column is not in the file, e.g. a tick box)."""

    label: str
    sort: str | None = None
    csv: Callable[[Mapping[str, Any]], Any] | None = None
    numeric: bool = False
    hidden_label: bool = False  # the header is for screen readers only (a tick box column)
    table: bool = True  # False: a column of the file only, whose value the table shows in the cell before


def key(name: str) -> Callable[[Mapping[str, Any]], Any]:
    """The CSV cell that is the row's value `name` as it is."""
    return lambda row: row.get(name)


@dataclass(frozen=True)
class Params:
    """A list's own query parameters, checked: `sort` (a key, `-key` for descending), `offset`,
    `limit` (one of PAGE_SIZES) and whether the CSV is asked for (`format=csv`)."""

    sort: str
    offset: int
    limit: int
    csv: bool

    @property
    def fetch_limit(self) -> int:
        """The rows to fetch: one page, or every row for the CSV."""
        return CSV_MAX_ROWS if self.csv else self.limit

    @property
    def fetch_offset(self) -> int:
        return 0 if self.csv else self.offset


def params(query: Mapping[str, Any], *, default_sort: str, sorts: Iterable[str],
           default_limit: int = DEFAULT_PAGE_SIZE) -> Params:
    """The list parameters of a query string; `sorts` are the keys the list sorts by (each also
    descending with a leading "-"). A bad value is a field error in the caller's language (a 422
    page naming the field), never a server error."""
    errors: list[FieldError] = []
    sort = _sort(errors, query.get("sort"), sorts, default_sort)
    errors = [FieldError(e.field, gettext(e.message)) for e in errors]
    offset = 0
    raw_offset = (query.get("offset") or "").strip()
    if raw_offset:
        if raw_offset.isdigit() and len(raw_offset) < 10:
            offset = int(raw_offset)
        else:
            errors.append(FieldError("offset", gettext(BAD_OFFSET)))
    limit = default_limit
    raw_limit = (query.get("limit") or "").strip()
    if raw_limit:
        if raw_limit.isdigit() and int(raw_limit) in PAGE_SIZES:
            limit = int(raw_limit)
        else:
            errors.append(FieldError("limit", gettext(BAD_PAGE_SIZE)))
    wanted = (query.get("format") or "").strip()
    if wanted not in ("", "csv"):
        errors.append(FieldError("format", gettext(BAD_FORMAT)))
    if errors:
        raise ValidationFailed(errors)
    return Params(sort=sort, offset=offset, limit=limit, csv=wanted == "csv")


def _sort(errors: list[FieldError], sort: str | None, sorts: Iterable[str], default: str) -> str:
    """The sort asked for, the default when none is; "unknown sort key" among the errors (and the default)
    for anything but a key of `sorts` or "-key"."""
    key = (sort or "").strip() or default
    if _SORT_KEY.fullmatch(key) and key.lstrip("-") in set(sorts):
        return key
    errors.append(FieldError("sort", UNKNOWN_SORT))
    return default


def sort_key(sort: str | None, sorts: Iterable[str], default: str) -> tuple[str, bool]:
    """The key a service's listing sorts by and whether descending: `sort` is a key of `sorts`, "-key"
    for descending, or empty for the default; anything else is the field error "unknown sort key" (the
    rule `params` applies to a page's query string, for the API's callers)."""
    errors: list[FieldError] = []
    key = _sort(errors, sort, sorts, default)
    if errors:
        raise ValidationFailed(errors)
    return key.lstrip("-"), key.startswith("-")


def number(value: int) -> str:
    """A count as the page's language writes it ("2.345")."""
    return format_decimal(value, locale=current_locale.get())


@dataclass(frozen=True)
class ListView:
    """What a list page shows around its rows: header links, pager, CSV link, all keeping `query`."""

    path: str
    columns: Sequence[Column]
    query: Mapping[str, str]  # the page's other parameters (filters, search, tab), empty ones left out
    params: Params
    total: int
    shown: int  # rows on this page
    default_sort: str
    default_limit: int = DEFAULT_PAGE_SIZE
    sizes: Sequence[int] = field(default=PAGE_SIZES)

    # --- links -----------------------------------------------------------------------------------

    def url(self, *, sort: str | None = None, offset: int | None = None, limit: int | None = None,
            csv: bool = False) -> str:
        """This list's URL with its filters and the given changes (the defaults left out)."""
        sort = self.params.sort if sort is None else sort
        offset = self.params.offset if offset is None else offset
        limit = self.params.limit if limit is None else limit
        items = [(k, v) for k, v in self.query.items() if v not in (None, "")]
        if sort != self.default_sort:
            items.append(("sort", sort))
        if csv:
            items.append(("format", "csv"))
        else:
            if limit != self.default_limit:
                items.append(("limit", str(limit)))
            if offset > 0:
                items.append(("offset", str(offset)))
        return self.path + ("?" + urlencode(items) if items else "")

    def direction(self, column: Column) -> str | None:
        """`ascending`/`descending` for the column the list is sorted by, else None (aria-sort)."""
        if column.sort is None:
            return None
        if self.params.sort == column.sort:
            return "ascending"
        if self.params.sort == "-" + column.sort:
            return "descending"
        return None

    def sort_url(self, column: Column) -> str:
        """The header's link: sorted by this column ascending, or descending when it already is; the
        first page."""
        assert column.sort is not None
        return self.url(sort="-" + column.sort if self.direction(column) == "ascending" else column.sort, offset=0)

    @property
    def shown_columns(self) -> tuple[Column, ...]:
        """The table's columns (the file's without those it shows inside another cell)."""
        return tuple(c for c in self.columns if c.table)

    @property
    def empty(self) -> bool:
        """No row matches at all: the page shows its empty-state text, without a pager or CSV link (a page
        beyond the last one is not empty: its pager leads back)."""
        return self.total == 0

    @property
    def first_row(self) -> int:
        return self.params.offset + 1 if self.shown else 0

    @property
    def last_row(self) -> int:
        return self.params.offset + self.shown

    @property
    def last_offset(self) -> int:
        return max(self.total - 1, 0) // self.params.limit * self.params.limit

    @property
    def first_url(self) -> str | None:
        return self.url(offset=0) if self.params.offset > 0 else None

    @property
    def previous_url(self) -> str | None:
        return self.url(offset=max(self.params.offset - self.params.limit, 0)) if self.params.offset > 0 else None

    @property
    def next_url(self) -> str | None:
        following = self.params.offset + self.params.limit
        return self.url(offset=following) if following < self.total else None

    @property
    def last_url(self) -> str | None:
        return self.url(offset=self.last_offset) if self.params.offset < self.last_offset else None

    @property
    def csv_url(self) -> str:
        return self.url(csv=True)

    @property
    def range_text(self) -> str:
        """"1–100 von 2.345" (or "0 von 0")."""
        if not self.shown:
            return gettext("0 of %(total)s", total=number(self.total))
        return gettext("%(first)s–%(last)s of %(total)s", first=number(self.first_row),
                       last=number(self.last_row), total=number(self.total))

    @property
    def csv_text(self) -> str:
        return ngettext("CSV: the %(num)s row of this list",
                        "CSV: all %(num)s rows of this list (every page, this sort)", self.total,
                        num=number(self.total))

    def active_filters(self, besides: Iterable[str] = ()) -> int:
        """How many filters (search included) the list is narrowed by: the page's other parameters but
        `besides`, those that are no filter (a tab)."""
        return sum(1 for k in self.query if k not in set(besides))

    def kept(self) -> list[tuple[str, str]]:
        """The hidden fields of the page size form: filters and sort (the first page)."""
        items = [(k, v) for k, v in self.query.items() if v not in (None, "")]
        if self.params.sort != self.default_sort:
            items.append(("sort", self.params.sort))
        return items

    # --- the file --------------------------------------------------------------------------------

    def csv_rows(self, rows: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[list[Any]]]:
        """The header and rows of the CSV: the table's columns (those with a cell) in its order."""
        columns = [c for c in self.columns if c.csv is not None]
        return ([gettext(c.label) for c in columns],
                [[c.csv(row) for c in columns] for row in rows])  # type: ignore[misc]

    def csv_file(self, rows: Iterable[Mapping[str, Any]]) -> bytes:
        header, body = self.csv_rows(rows)
        return write_csv(header, body, lang=current_locale.get()[:2])


def view(path: str, query: Mapping[str, Any], columns: Sequence[Column], params: Params, *, total: int, shown: int,
         default_sort: str, default_limit: int = DEFAULT_PAGE_SIZE, drop: Sequence[str] = ()) -> ListView:
    """The view of one list page; `query` is the request's query string (the list's own parameters and
    `drop` — one-off notices — are not carried on)."""
    kept = {k: str(v) for k, v in query.items() if k not in OWN and k not in drop and v not in (None, "")}
    return ListView(path=path, columns=tuple(columns), query=kept, params=params, total=total, shown=shown,
                    default_sort=default_sort, default_limit=default_limit)


def sort_keys(columns: Sequence[Column]) -> tuple[str, ...]:
    return tuple(c.sort for c in columns if c.sort)


def check_sorts(columns: Sequence[Column], known: Iterable[str]) -> tuple[Column, ...]:
    """The columns, after checking at import time that each sort key is one the listing knows."""
    unknown = set(sort_keys(columns)) - set(known)
    if unknown:
        raise ValueError(f"sort keys the listing does not know: {sorted(unknown)}")
    return tuple(columns)


def csv_response(list_view: ListView, rows: Iterable[Mapping[str, Any]], filename: str) -> Response[bytes]:
    """The CSV of the list: its columns, every row given (the service's rows for `fetch_limit`)."""
    return Response(content=list_view.csv_file(rows), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
