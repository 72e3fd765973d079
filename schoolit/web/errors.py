"""Errors as HTTP answers, in one place: problem details (RFC 9457) for the API, a page for people.

Services raise `schoolit.errors` exceptions and never see a request; this module decides how each
looks on the wire. Validation errors list each bad field with its code (`field`), its label (`label`)
and the reason (`message`), label and reason in the request's language: German unless the page's
language cookie or, for the API, Accept-Language asks for English. The parser's English messages
("Expected `int`, got `str`") become reasons in words people use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from schoolit import limits, rules
from schoolit.errors import DomainError, ValidationFailed, listed
from schoolit.kernel import labels
from schoolit.kernel.i18n import N_, current_locale
from schoolit.kernel.i18n import gettext as _
from schoolit.logs import get_logger
from schoolit.web.middleware import request_locale

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


# What people read instead of Litestar's own English details: a status's bare phrase ("Not Found") by its
# status, and the texts it writes for a request.
_DETAILS = {
    400: N_("The request could not be read."),
    401: N_("Please log in first."),
    403: N_("You may not do this."),
    404: N_("There is nothing at this address."),
    405: N_("This address does not take %(method)s requests."),
    409: N_("The request conflicts with the current state."),
    413: N_("The request is larger than this address accepts."),
    415: N_("This address does not take that kind of content."),
    422: N_("Some values could not be used."),
    429: N_("Too many requests: please try again in a moment."),
    500: N_("Something went wrong on our side."),
    503: N_("The service is unavailable right now: please try again later."),
}
_PHRASES = {status.phrase: status.value for status in HTTPStatus}
_LITESTAR_DETAILS = {
    "Request Entity Too Large": _DETAILS[413],  # also a multipart body's, with status 400
    "Invalid multipart/form-data": N_("The form data could not be read."),
    "Unexpected eof in multipart/form-data": N_("The form data could not be read."),
    "Invalid host header": N_("The request names no valid host."),
    "Validation failed": _DETAILS[422],  # `ValidationFailed`'s own
}
_VALIDATION_FAILED = re.compile(r"Validation failed for (\S+) (\S+)$")


def detail_shown(request: Request[Any, Any, Any], status: int, detail: str) -> str:
    """The top-level `detail` in the request's language: Litestar's own English texts (a status's phrase,
    "Validation failed for POST /…", a missing parameter) become sentences from the catalog, our own
    details are message ids (or were translated where they were raised)."""
    if match := _VALIDATION_FAILED.match(detail):
        return _("Invalid input for %(method)s %(path)s", method=match.group(1), path=match.group(2))
    if match := _MISSING_PARAMETER.match(detail):
        return _("The parameter %(name)s is missing (%(path)s).", name=match.group(1), path=request.url.path)
    if detail in _LITESTAR_DETAILS:
        return _(_LITESTAR_DETAILS[detail])
    if detail in _PHRASES:
        known = _DETAILS.get(_PHRASES[detail]) or _DETAILS.get(status)
        if known is None:
            return _(_TITLES.get(status, "Error"))
        return _(known, method=request.method) if "%(method)s" in known else _(known)
    return _(detail)


def wants_problem_json(request: Request[Any, Any, Any]) -> bool:
    """API clients get problem details; browsers on pages get an HTML page."""
    path = request.url.path
    if path.startswith("/api/") or path.startswith("/schema") or path == "/health":
        return True
    accept = request.headers.get("accept", "")
    return "text/html" not in accept and "application/json" in accept


def problem(status: int, detail: str, errors: list[dict[str, Any]] | None = None,
            headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": "about:blank", "title": _TITLES.get(status, "Error"),
                            "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


field_label = labels.shown  # a field code as people read it


# The parser's (msgspec's, Litestar's) English messages and the reasons people read instead; the
# first group of a pattern with one is a number the reason names, or the field a message names itself.
_NUMBER = N_("must be a number")
_DATE_AND_TIME = N_("must be a date and time")
_UUID = N_("must be a UUID")
_EXPECTED_TYPES = (
    ("`int", rules.WHOLE_NUMBER), ("`float", _NUMBER), ("`decimal", _NUMBER), ("`bool", rules.YES_OR_NO),
    ("`str", rules.TEXT), ("`array", N_("must be a list")), ("`object", N_("must be an object")),
    ("`date`", N_("must be a date")), ("`datetime", _DATE_AND_TIME), ("`uuid", _UUID),
)
_LENGTH = re.compile(r"Expected `(?:str|array|object)[^`]*` of length (<=|>=) (\d+)")
_BOUND = re.compile(r"Expected `(?:int|float|decimal)[^`]*` (<=|>=|<|>) (-?[\d.e+]+)")
_MISSING = re.compile(r"Object missing required field `([^`]+)`")
_UNKNOWN = re.compile(r"Object contains unknown field `([^`]+)`")
_MISSING_PARAMETER = re.compile(r"Missing required (?:query|path|header|cookie) parameter '([^']+)'")


def reason(message: str) -> tuple[str, str | None]:
    """A validation message in the request's language, and the field it names itself (msgspec says
    which field of a body is missing or unknown) or None. Our own messages are message ids."""
    if match := _MISSING.match(message):
        return _(rules.REQUIRED), match.group(1)
    if match := _UNKNOWN.match(message):
        return _("unknown field"), match.group(1)
    if match := _LENGTH.match(message):
        if match.group(1) == "<=":
            return _(limits.TOO_LONG, max=match.group(2)), None
        return _("at least %(min)s characters", min=match.group(2)), None
    if match := _BOUND.match(message):
        bound = {"<=": N_("at most %(value)s"), ">=": N_("at least %(value)s"), "<": N_("less than %(value)s"),
                 ">": N_("more than %(value)s")}[match.group(1)]
        return _(bound, value=match.group(2)), None
    if message.startswith("Invalid enum value"):
        return _(rules.NOT_ALLOWED), None
    if message.startswith("Expected"):
        for prefix, text in _EXPECTED_TYPES:
            if message.startswith(f"Expected {prefix}"):
                return _(text), None
        return _(rules.NOT_ALLOWED), None
    if message.startswith("Invalid UUID"):
        return _(_UUID), None
    if message.startswith("Invalid RFC3339"):
        return _(_DATE_AND_TIME), None
    if message.startswith("Invalid "):  # Invalid base64 string, ...
        return _("not a valid value"), None
    return _(message), None


def shown_errors(errors: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Each bad field with its code (`field`, what programs match on), its `label` and the reason
    (`message`) in the request's language; other keys (a CSV error's `row` and `column`) stay."""
    if errors is None:
        return None
    shown = []
    for error in errors:
        message, named = reason(str(error.get("message", "")))
        code = named or str(error.get("field", ""))
        described = error.get("label")
        label = _(described) if described else field_label(code)
        shown.append({**error, "field": code, "label": label, "message": message})
    return shown


def _page(request: Request[Any, Any, Any], status: int, detail: str,
          errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None, *,
          repeated: bool = False) -> Response[Any]:
    listed = shown_errors(errors) or []
    shown = [{"field": e["label"], "message": e["message"]} for e in listed]
    if detail.startswith("Validation failed") or repeated or (
            listed and detail == "; ".join(e["message"] for e in listed)):
        # the parser's, `ValidationFailed`'s own, or one that says again what the list says
        detail = _("Some values could not be used:")
    else:
        detail = detail_shown(request, status, detail)
    return Template(
        template_name="web/error.html",
        context={"status": status, "title": _(_TITLES.get(status, "Error")), "detail": detail,
                 "errors": shown},
        status_code=status,
        media_type=MediaType.HTML,
        headers=headers,
    )


def _answer(request: Request[Any, Any, Any], status: int, detail: str,
            errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None, *,
            repeated: bool = False) -> Response[Any]:
    """Problem JSON for programs, the error page for people; `repeated`: the detail only says again
    what the errors say (the page leads with a sentence of its own instead).

    A read (GET, HEAD) refused for its query's values gets one detail whichever check refused them (the
    parser's bounds of `limit` and `offset`, a list's filters, its sort, a service's own check): each label
    with its reason, as a list's filters always said it."""
    if wants_problem_json(request):
        shown = shown_errors(errors)
        if status == 422 and shown and request.method in ("GET", "HEAD"):
            text = listed((e["label"], e["message"]) for e in shown)
        else:
            text = detail_shown(request, status, detail)
        return problem(status, text, shown, headers)
    return _page(request, status, detail, errors, headers, repeated=repeated)


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    errors = None
    if isinstance(exc, ValidationFailed):
        errors = [{"field": e.field, "message": e.message, "label": e.label} for e in exc.errors]
    # Without values the detail is the message id itself, which `detail_shown` translates (and recognises).
    return _answer(request, exc.status_code, exc.shown() if exc.params else exc.detail, errors,
                   repeated=isinstance(exc, ValidationFailed) and exc.detail_lists_errors)


def body_labels(request: Request[Any, Any, Any]) -> Mapping[str, str]:
    """The field labels the route's body type describes (`field_labels`: a resource's input Struct
    carries its fields' labels), so a field the parser refuses is named as its resource names it."""
    handler = request.scope.get("route_handler")
    signature = getattr(handler, "parsed_fn_signature", None)
    data = signature.parameters.get("data") if signature is not None else None
    return getattr(data.annotation, "field_labels", None) or {} if data is not None else {}


def validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors: list[dict[str, Any]] = []
    described = body_labels(request)
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            code = str(item.get("key") or item.get("source") or "")
            message = str(item.get("message", ""))
            named = reason(message)[1] or code
            errors.append({"field": code, "message": message, "label": described.get(named)})
    status = 422 if errors else 400
    if match := _MISSING_PARAMETER.match(str(exc.detail)):  # Litestar names a missing parameter in its detail
        errors.append({"field": match.group(1), "message": "required"})
    return _answer(request, status, str(exc.detail), errors or None)


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 401 and not wants_problem_json(request):
        # A page that needs a login sends the browser to the login form and back afterwards.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(path="/login", query_params={"next": target}, status_code=303)
    # No route matched (404, 405): the middleware that sets the request's language did not run.
    token = current_locale.set(request_locale(request.scope, request.app.state.get("default_locale", "de")))
    try:
        return _answer(request, exc.status_code, str(exc.detail), None, headers)
    finally:
        current_locale.reset(token)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", path=request.url.path)
    return _answer(request, HTTP_500_INTERNAL_SERVER_ERROR, _DETAILS[500])


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}
