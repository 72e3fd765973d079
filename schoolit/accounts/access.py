"""Access declarations on routes and their enforcement — the one place that decides who may call what.

Every route handler declares its access in `opt` with one of `public()`, `authenticated()` or
`requires(permission)`. `create_app()` refuses to start when a route declares nothing, and the
access-matrix test checks every declared route against every role and tenant.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from schoolit.accounts.choices import Permission
from schoolit.accounts.scope import Scope

ACCESS_KEY = "access"
PUBLIC = "public"
AUTHENTICATED = "authenticated"
# Routes Litestar adds by itself, all public: the OpenAPI description.
FRAMEWORK_PUBLIC_PREFIXES = ("/schema",)


def public() -> dict[str, Any]:
    """No login needed (home, health, login form, public fault form, static files)."""
    return {ACCESS_KEY: PUBLIC}


def authenticated() -> dict[str, Any]:
    """Any logged-in person or token, whatever the role."""
    return {ACCESS_KEY: AUTHENTICATED}


def requires(permission: Permission) -> dict[str, Any]:
    """Logged in, with a role that has this permission."""
    return {ACCESS_KEY: permission}


def declared_access(handler: BaseRouteHandler, path: str) -> str | None:
    """The access a route declares, or None when it declares none.

    Litestar's own routes count as public: the OpenAPI description, and the OPTIONS answers it adds
    to every path (they list the allowed methods and return no data).
    """
    value = handler.opt.get(ACCESS_KEY)
    if value is None and (path.startswith(FRAMEWORK_PUBLIC_PREFIXES)
                          or set(getattr(handler, "http_methods", ())) == {"OPTIONS"}):
        return PUBLIC
    return None if value is None else str(value)


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
        raise PermissionDeniedException("route declares no access")  # unreachable: create_app checks
    scope = current_scope(connection)
    if scope is None:
        raise NotAuthorizedException("login required")
    if access != AUTHENTICATED and not scope.can(Permission(access)):
        raise PermissionDeniedException("your role may not do this")
