"""Shared API shapes: the list envelope and pagination, the base of input Structs and what one was given."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar.params import QueryParameter
from msgspec import UNSET

from schoolit.db import MAX_INT

T = TypeVar("T")

MAX_LIMIT = 500


class Page(msgspec.Struct, Generic[T]):
    """`{"items": [...], "total": n}` — total counts every match, not just this page."""

    items: list[T]
    total: int


Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="page size")]
Offset = Annotated[int, QueryParameter(ge=0, description="rows to skip")]
# A filter by id (`?school_id=`): ids are PostgreSQL integers, so anything else is a field error, not a
# database error when the service binds it.
IdFilter = Annotated[int | None, QueryParameter(required=False, ge=1, le=MAX_INT, description="an id")]


def given(data: msgspec.Struct) -> dict[str, Any]:
    """The fields an input Struct was given (unset ones are left out)."""
    return {name: value for name in data.__struct_fields__ if (value := getattr(data, name)) is not UNSET}


class Input(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Base of input Structs: unknown fields are refused (a typo must not be ignored silently)."""
