"""Who is calling: a bearer token or a session cookie, turned into a Scope once per request.

The middleware records the Scope (or none) in the connection state;
`schoolit.accounts.access.access_guard` then decides, and handlers receive the Scope as the
`scope` dependency. Bearer requests skip CSRF (a browser cannot send that header cross-site). A
request without credentials to a route that needs them goes straight on to the guard (401: a
missing login is said before a missing CSRF token). Every other cookie request passes the CSRF
check: the token is an HMAC of the session id (or, before login, of a random cookie), so a token
is good for one session only and a new one is issued at login.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Send
from litestar.types import Scope as ASGIScope
from litestar.utils.scope.state import ScopeState

from schoolit.accounts import sessions, tokens
from schoolit.accounts.access import LOGIN_REQUIRED, current_scope
from schoolit.accounts.scope import Scope
from schoolit.kernel.access import CHANGES_NOTHING, PUBLIC, declared_access
from schoolit.kernel.i18n import N_
from schoolit.logs import get_logger
from schoolit.settings import Settings

SESSION_COOKIE = "schoolit_session"
CSRF_COOKIE = "schoolit_csrf"
CSRF_HEADER = b"x-csrftoken"
CSRF_FIELD = "_csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_ANONYMOUS_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
log = get_logger("schoolit.auth")


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
                  path="/", max_age=int(sessions.SESSION_MAX_AGE.total_seconds()))


def expired_session_cookie(settings: Settings) -> Cookie:
    return Cookie(key=SESSION_COOKIE, value="", httponly=True, samesite="lax", secure=settings.secure_cookies,
                  path="/", max_age=0)


def session_id_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    return _cookie(connection.scope, SESSION_COOKIE)


def csrf_token_for(secret: str, session_id: str | None, anonymous: str) -> str:
    """The CSRF token of a session, or of a browser before its login (its random CSRF cookie)."""
    basis = f"session:{session_id}" if session_id else f"anonymous:{anonymous}"
    return hmac.new(secret.encode(), basis.encode(), hashlib.sha256).hexdigest()


async def _posted_csrf_token(scope: ASGIScope, receive: Receive) -> str:
    """The token of a write: the `x-csrftoken` header (htmx) or the form's `_csrf_token` field. The
    form is read through Litestar's request, which keeps the body for the handler."""
    token = _header(scope, CSRF_HEADER)
    if token:
        return token
    request: Request[Any, Any, Any] = scope["litestar_app"].request_class(scope=scope, receive=receive)
    if request.content_type[0] in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def authentication_middleware_factory(settings: Settings) -> Any:
    idle = dt.timedelta(minutes=settings.session_idle_minutes)
    secret = settings.require_secret_key()

    def middleware(app: ASGIApp) -> ASGIApp:
        async def csrf_checked(scope: ASGIScope, receive: Receive, send: Send, session_id: str | None,
                               verify: bool) -> None:
            anonymous = _cookie(scope, CSRF_COOKIE) or ""
            issue = not _ANONYMOUS_TOKEN.match(anonymous)
            if issue:
                anonymous = secrets.token_urlsafe(32)
            expected = csrf_token_for(secret, session_id, anonymous)
            method = scope.get("method", "GET")
            if verify and method not in SAFE_METHODS:
                given = await _posted_csrf_token(scope, receive)
                if not hmac.compare_digest(given.encode(), expected.encode()):
                    log.warning("CSRF token rejected", method=method, path=scope["path"],
                                reason="missing" if not given else "not this session's")
                    raise PermissionDeniedException(N_("CSRF token verification failed"))
            ScopeState.from_scope(scope).csrf_token = expected

            async def send_cookie(message: Message) -> None:
                if issue and message["type"] == "http.response.start":
                    MutableScopeHeaders.from_message(message).add("set-cookie", Cookie(
                        key=CSRF_COOKIE, value=anonymous, path="/", httponly=True, samesite="strict",
                        secure=settings.secure_cookies).to_header(header=""))
                await send(message)

            await app(scope, receive, send_cookie)

        async def authenticate(scope: ASGIScope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            state = scope.setdefault("state", {})
            request_id = state.get("request_id", "")
            token = _bearer(scope)
            caller: Scope | None = None
            session_id = None
            if token is not None:
                caller = await tokens.scope_for_token(token)
                state["bearer_rejected"] = caller is None
            else:
                session_id = _cookie(scope, SESSION_COOKIE)
                found = await sessions.session_caller(session_id, idle) if session_id else None
                if found is not None:
                    state["user"], caller = found
                else:
                    session_id = None
            if caller is not None:
                state["scope"] = caller.with_request(request_id, client_ip(scope))
            handler = scope.get("route_handler")
            needs_login = handler is not None and declared_access(handler, scope["path"]) != PUBLIC
            if token is not None or (caller is None and needs_login):
                await app(scope, receive, send)
            else:  # the token is still issued where nothing is verified: a page's forms (logout) need it
                await csrf_checked(scope, receive, send, session_id,
                                   verify=handler is None or not handler.opt.get(CHANGES_NOTHING))

        return authenticate

    return middleware


def provide_scope(request: ASGIConnection[Any, Any, Any, Any]) -> Scope:
    """The `scope` dependency: the caller's Scope (the guard has made sure there is one)."""
    scope = current_scope(request)
    if scope is None:
        raise NotAuthorizedException(LOGIN_REQUIRED)
    return scope


# The handler parameter type for the caller's Scope: `caller: Caller`.
Caller = NamedDependency[Scope]
