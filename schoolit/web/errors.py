"""Errors as HTTP answers, in one place: problem details (RFC 9457) for the API, a page for people.

Services raise `schoolit.errors` exceptions and never see a request; this module decides how each
looks on the wire. Validation errors always list `field` and `message`.
"""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from schoolit.errors import DomainError, ValidationFailed
from schoolit.kernel import labels
from schoolit.kernel.i18n import N_
from schoolit.kernel.i18n import gettext as _
from schoolit.logs import get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger("schoolit.errors")

_TITLES = {
    400: N_("Bad request"),
    401: N_("Not logged in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    413: N_("Request too large"),
    422: N_("Invalid input"),
    429: N_("Too many requests"),
    500: N_("Internal error"),
    503: N_("Service unavailable"),
}


def wants_problem_json(request: Request[Any, Any, Any]) -> bool:
    """API clients get problem details; browsers on pages get an HTML page."""
    path = request.url.path
    if path.startswith("/api/") or path.startswith("/schema") or path == "/health":
        return True
    accept = request.headers.get("accept", "")
    return "text/html" not in accept and "application/json" in accept


def problem(status: int, detail: str, errors: list[dict[str, str]] | None = None,
            headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": "about:blank", "title": _TITLES.get(status, "Error"),
                            "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


# The names people see for the query parameters and shared fields an error page may name (the API keeps
# the codes); the fields of the domains' descriptions come from schoolit.kernel.labels, and a field
# named nowhere is shown by its code.
FIELD_LABELS = {
    "county_id": N_("County"), "school_id": N_("School"), "category_id": N_("Category"), "assignee_id": N_("Assignee"),
    "status": N_("Status"), "state": N_("Status"), "view": N_("Views"), "q": N_("Search"), "sort": N_("Sort by"),
    "since": N_("From"), "until": N_("To"), "offset": N_("Pages"), "limit": N_("Pages"), "page": N_("Pages"),
    "loan_page": N_("Pages"), "section": N_("Sections of the school page"), "email": N_("E-mail address"),
    "name": N_("Name"), "month": N_("Month"), "school_type": N_("School type"), "class_name": N_("Class"),
    "device_id": N_("Device"), "body": N_("Comment"), "file": N_("File"),
}


def field_label(field: str) -> str:
    label = FIELD_LABELS.get(field) or labels.label_of(field)
    return _(label) if label else field


def _message(message: str) -> str:
    """A validation message in the page's language (the parser's English ones in words people use)."""
    if message.startswith("Expected `int"):
        return _("must be a whole number")
    if message.startswith("Expected"):
        return _("not one of the allowed values")
    return _(message)


def _page(request: Request[Any, Any, Any], status: int, detail: str,
          errors: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None) -> Response[Any]:
    shown = [{"field": field_label(e.get("field", "")), "message": _message(e.get("message", ""))}
             for e in errors or []]
    if detail.startswith("Validation failed"):
        detail = _("Some values could not be used:")
    return Template(
        template_name="web/error.html",
        context={"status": status, "title": _(_TITLES.get(status, "Error")), "detail": detail,
                 "errors": shown},
        status_code=status,
        media_type=MediaType.HTML,
        headers=headers,
    )


def _answer(request: Request[Any, Any, Any], status: int, detail: str,
            errors: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None) -> Response[Any]:
    if wants_problem_json(request):
        return problem(status, detail, errors, headers)
    return _page(request, status, detail, errors, headers)


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    errors = None
    if isinstance(exc, ValidationFailed):
        errors = [{"field": e.field, "message": e.message} for e in exc.errors]
    return _answer(request, exc.status_code, exc.detail, errors)


def validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            errors.append({"field": str(item.get("key") or item.get("source") or ""),
                           "message": str(item.get("message", ""))})
    return _answer(request, 422 if errors else 400, str(exc.detail), errors or None)


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 401 and not wants_problem_json(request):
        # A page that needs a login sends the browser to the login form and back afterwards.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(path="/login", query_params={"next": target}, status_code=303)
    return _answer(request, exc.status_code, str(exc.detail), None, headers)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", path=request.url.path)
    return _answer(request, HTTP_500_INTERNAL_SERVER_ERROR, _("Something went wrong on our side."))


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}
