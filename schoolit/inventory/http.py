"""What the inventory's API and pages share over HTTP: the access each route declares, the query
parameter types, and the list filters handed to the descriptions' parsing (`list_filters`)."""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Annotated, Any

import msgspec
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter

from schoolit.describe.resource import Listing
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.form_limits import at_fields
from schoolit.schemas import Page

READ = requires(Permission.INVENTORY_READ)
WRITE = requires(Permission.INVENTORY_WRITE)
LOANS = requires(Permission.LOANS_WRITE)
# A page's form that shows a value too long for its column at the field, with what was typed
# (`schoolit.kernel.form_limits.at_fields`), instead of the 422 page.
WRITE_FORM = at_fields(WRITE)
LOANS_FORM = at_fields(LOANS)

Text = FromQuery[str | None]
Flag = FromQuery[bool | None]
Day = FromQuery[dt.date | None]
# `state` is a name Litestar reserves (the app state), so the loan-list filter arrives under another name.
LoanState = Annotated[str | None, QueryParameter(name="state", description="open, returned, overdue or due")]


def page_of(rows: list[dict[str, Any]], total: int, out: Any) -> Page[Any]:
    """A list's answer: the rows as `out` Structs, with the total of all matches."""
    return Page(items=msgspec.convert(rows, list[out]), total=total)


Filters = NamedDependency[dict[str, str | None]]


def list_filters(listing: Listing) -> Provide:
    """A list's filters as query parameters (each documented in the API description), handed over as
    text: the listing parses them (`Listing.parse`: an empty value means "all", a bad one is a 422 whose
    message names the field's label)."""
    annotation = Annotated[str | None, QueryParameter(required=False)]
    parameters = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
                  for name in listing.filters]

    def collect(**query: str | None) -> dict[str, str | None]:
        return query

    collect.__signature__ = inspect.Signature(parameters, return_annotation=dict[str, str | None])  # type: ignore[attr-defined]
    collect.__annotations__ = {**{p.name: annotation for p in parameters}, "return": dict[str, str | None]}
    return Provide(collect, sync_to_thread=False)
