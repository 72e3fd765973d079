"""ASGI middleware: request ids, access logs and request metrics, and the locale of each request."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from http.cookies import SimpleCookie

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from schoolit.logs import get_logger
from schoolit.metrics import observe_request
from schoolit.web.i18n import current_locale, negotiate

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


def locale_middleware_factory(default_locale: str) -> Callable[[ASGIApp], ASGIApp]:
    """Middleware that sets the request's locale from the `lang` cookie (default: German)."""

    def locale_middleware(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            raw = dict(scope["headers"]).get(b"cookie", b"").decode("latin-1")
            cookie = SimpleCookie()
            try:
                cookie.load(raw)
            except Exception:  # a malformed cookie header must not break the page
                cookie = SimpleCookie()
            morsel = cookie.get("lang")
            token = current_locale.set(negotiate(morsel.value if morsel else None, default_locale))
            try:
                await app(scope, receive, send)
            finally:
                current_locale.reset(token)

        return middleware

    return locale_middleware
