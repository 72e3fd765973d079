"""Who is calling: a bearer token or a session cookie, turned into a Scope once per request.

The middleware never rejects a request; it records the Scope (or none) in the connection state.
`schoolit.accounts.access.access_guard` then decides, and handlers receive the Scope as the
`scope` dependency. Bearer requests skip CSRF (a browser cannot send that header cross-site);
cookie requests always pass Litestar's CSRF check.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import ASGIApp, Receive, Send
from litestar.types import Scope as ASGIScope

from schoolit.accounts import services
from schoolit.accounts.access import current_scope
from schoolit.accounts.scope import Scope
from schoolit.settings import Settings

SESSION_COOKIE = "schoolit_session"
CSRF_COOKIE = "schoolit_csrf"


def client_ip(scope: ASGIScope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


def _header(scope: ASGIScope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _cookie(scope: ASGIScope, name: str) -> str | None:
    from http.cookies import SimpleCookie

    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(_header(scope, b"cookie"))
    except Exception:  # a malformed cookie header means no session, not an error page
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _bearer(scope: ASGIScope) -> str | None:
    value = _header(scope, b"authorization")
    if value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


def session_cookie(session_id: str, settings: Settings) -> Cookie:
    return Cookie(key=SESSION_COOKIE, value=session_id, httponly=True, samesite="lax", secure=settings.secure_cookies,
                  path="/", max_age=int(services.SESSION_MAX_AGE.total_seconds()))


def expired_session_cookie(settings: Settings) -> Cookie:
    return Cookie(key=SESSION_COOKIE, value="", httponly=True, samesite="lax", secure=settings.secure_cookies,
                  path="/", max_age=0)


def session_id_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    return _cookie(connection.scope, SESSION_COOKIE)


def authentication_middleware_factory(settings: Settings) -> Any:
    idle = dt.timedelta(minutes=settings.session_idle_minutes)
    csrf_config = CSRFConfig(secret=settings.require_secret_key(), cookie_name=CSRF_COOKIE,
                             header_name="x-csrftoken", cookie_secure=settings.secure_cookies,
                             cookie_samesite="strict")

    def middleware(app: ASGIApp) -> ASGIApp:
        csrf_checked = CSRFMiddleware(app=app, config=csrf_config)

        async def authenticate(scope: ASGIScope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            state = scope.setdefault("state", {})
            request_id = state.get("request_id", "")
            token = _bearer(scope)
            caller: Scope | None = None
            if token is not None:
                caller = await services.scope_for_token(token)
                state["bearer_rejected"] = caller is None
            else:
                session_id = _cookie(scope, SESSION_COOKIE)
                if session_id:
                    user = await services.user_for_session(session_id, idle)
                    if user is not None:
                        caller = await services.scope_for_user(user)
                        state["user"] = user
            if caller is not None:
                state["scope"] = caller.with_request(request_id, client_ip(scope))
            if token is not None:
                await app(scope, receive, send)
            else:
                await csrf_checked(scope, receive, send)

        return authenticate

    return middleware


def provide_scope(request: ASGIConnection[Any, Any, Any, Any]) -> Scope:
    """The `scope` dependency: the caller's Scope (the guard has made sure there is one)."""
    scope = current_scope(request)
    if scope is None:
        raise NotAuthorizedException("login required")
    return scope


# The handler parameter type for the caller's Scope: `caller: Caller`.
Caller = NamedDependency[Scope]
