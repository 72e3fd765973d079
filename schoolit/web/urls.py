"""URL helpers shared by pages and routes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from schoolit.db import MAX_INT
from schoolit.errors import NotFound
from schoolit.limits import has_control_characters


def ids_in_range(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """An id in a path that no row can have (beyond PostgreSQL's `integer`) is unknown: 404, like any
    other unknown id, instead of a database error when a service binds it; so is a path segment with
    control characters (`%00`), which no stored key contains."""
    for value in connection.path_params.values():
        if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
            raise NotFound("not found")
        if isinstance(value, str) and has_control_characters(value, multiline=False):
            raise NotFound("not found")


def local_path(target: str | None, default: str = "/") -> str:
    """Only same-site paths: an open redirect would let a phishing link borrow our name."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
