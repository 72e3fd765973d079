"""The guard against path ids no row can have (same-site paths: `schoolit.kernel.urls`)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from schoolit import rules
from schoolit.db import MAX_INT
from schoolit.errors import NotFound
from schoolit.limits import has_control_characters


def ids_in_range(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """An id in a path that no row can have (beyond PostgreSQL's `integer`) is unknown: 404, like any
    other unknown id, instead of a database error when a service binds it; so is a path segment with
    control characters (`%00`), which no stored key contains."""
    for value in connection.path_params.values():
        if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
            raise NotFound(rules.NOT_FOUND)
        if isinstance(value, str) and has_control_characters(value, multiline=False):
            raise NotFound(rules.NOT_FOUND)

