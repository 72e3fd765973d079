"""ASGI middleware: request ids, access logs and request metrics, security headers, and the locale of
each request."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from http.cookies import SimpleCookie

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from schoolit.kernel.i18n import current_locale, from_accept_language, negotiate
from schoolit.logs import get_logger
from schoolit.metrics import observe_request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = get_logger("schoolit.http")


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Take a sane X-Request-ID from the proxy or make one; bind it to every log line and echo it.
    Also counts the request in /metrics (by route template and status)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)["x-request-id"] = request_id
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        except Exception as exc:
            # Raised in a middleware (a CSRF rejection: 403), it is answered by the app's exception
            # handler around ours, after this line is logged: count it with the status it gets.
            status = getattr(exc, "status_code", 500)
            raise
        finally:
            elapsed = time.perf_counter() - started
            observe_request(scope, status, elapsed)
            log.info(
                "request",
                method=scope.get("method", ""),
                path=scope["path"],
                status=status,
                duration_ms=round(elapsed * 1000, 1),
            )
            structlog.contextvars.unbind_contextvars("request_id")

    return middleware


# No inline script anywhere (pages load /static/js/app.js); style attributes stay allowed (meters,
# chart SVG). Nobody frames our pages.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
                           "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    # Tracking links carry their token in the path: never hand it to another site.
    "referrer-policy": "no-referrer",
}


def _credentials(scope: Scope) -> bool:
    """A logged-in caller, or a request that carries a session cookie or a bearer token."""
    if scope.get("state", {}).get("scope") is not None:
        return True
    headers = dict(scope.get("headers", []))
    return b"authorization" in headers or b"schoolit_session=" in headers.get(b"cookie", b"")


# The same for every caller, and nothing personal: a browser may keep them whoever is logged in (every page
# would load the style sheet and scripts anew otherwise).
SHARED_PATHS = ("/static/", "/favicon.ico")


async def security_headers(message: Message, scope: Scope) -> None:
    """The app's `before_send` hook: every answer (errors answered by the app itself included) gets
    the security headers; one to a caller with credentials is never stored by a cache."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:  # an attachment download sets a stricter policy of its own
            headers[name] = value
    if _credentials(scope) and not scope["path"].startswith(SHARED_PATHS):
        headers["cache-control"] = "no-store"


def request_locale(scope: Scope, default_locale: str) -> str:
    """A request's language: the `lang` cookie's, for the API without one Accept-Language's (German
    unless it asks for English), else `default_locale`."""
    raw = dict(scope["headers"]).get(b"cookie", b"").decode("latin-1")
    cookie = SimpleCookie()
    try:
        cookie.load(raw)
    except Exception:  # a malformed cookie header must not break the page
        cookie = SimpleCookie()
    morsel = cookie.get("lang")
    locale = default_locale
    if morsel is None and scope["path"].startswith("/api/"):
        # API clients choose by Accept-Language; people by the cookie the language switch sets.
        header = dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")
        locale = from_accept_language(header) or default_locale
    return negotiate(morsel.value if morsel else None, locale)


def locale_middleware_factory(default_locale: str) -> Callable[[ASGIApp], ASGIApp]:
    """Middleware that sets the request's locale (`request_locale`, default: German)."""

    def locale_middleware(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            token = current_locale.set(request_locale(scope, default_locale))
            try:
                await app(scope, receive, send)
            finally:
                current_locale.reset(token)

        return middleware

    return locale_middleware
