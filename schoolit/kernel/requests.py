"""What pages pass on from a request to the services (which never see a `Request`): the client's
address, for throttles and the audit log, and the request id the log lines carry."""

from __future__ import annotations

from typing import Any

from litestar import Request


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


def request_id(request: Request[Any, Any, Any]) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))
