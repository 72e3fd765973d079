"""Enforcement of the routes' access declarations (`schoolit.kernel.access`) — the one place that
decides who may call what: 401 without login, 403 when the caller's role lacks the permission."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from schoolit.accounts.scope import ROLE_MAY_NOT, Scope
from schoolit.kernel.access import AUTHENTICATED, PUBLIC, Permission, declared_access
from schoolit.kernel.i18n import N_

LOGIN_REQUIRED = N_("login required")


def current_scope(connection: ASGIConnection[Any, Any, Any, Any]) -> Scope | None:
    state = connection.scope.get("state", {})
    scope = state.get("scope")
    return scope if isinstance(scope, Scope) else None


def access_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """401 without login, 403 when the role lacks the route's permission."""
    access = declared_access(handler, connection.scope["path"])
    if access == PUBLIC:
        return
    if access is None:
        raise PermissionDeniedException(N_("route declares no access"))  # unreachable: create_app checks
    scope = current_scope(connection)
    if scope is None:
        raise NotAuthorizedException(LOGIN_REQUIRED)
    if access != AUTHENTICATED and not scope.can(Permission(access)):
        raise PermissionDeniedException(ROLE_MAY_NOT)
