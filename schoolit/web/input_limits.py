"""Every request's input checked against the columns it is stored in, before any handler runs.

A `before_request` hook of the app (so every route, API or page, is covered without code of its
own): the JSON body or the posted form, and the query parameters, are matched field by field to
their columns (`schoolit.limits`), and any value a column cannot hold — control characters, text
longer than its column, a number beyond its column's range — is refused with 422 naming the field
(problem details for the API, a German page for people; named by the labels of the body type's
`field_labels` where it has them), before a service could send it to the database.

Which columns a body's fields belong to comes from the handler's `data` type: a Struct named after
its table (`SchoolIn` -> School), nested Structs likewise (`BulkLendIn.rows` -> BulkRowIn); a form
read by the handler itself, and query parameters, match columns of that name in the handler's domain.
A route whose body has a decoder of its own (the probes' sample batches) says so with
`opt={"input_limits": "decoder"}` and is not decoded twice. A page whose posted form is shown again
with each error at its field (`schoolit.kernel.form_limits.at_fields(opt)`) is not refused: the hook
leaves the problems of its form for the handler (`form_limits.form_problems`, read by its form flow,
`schoolit.form_flow.attempt`), which shows them instead of saving, and the typed values stay.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

import msgspec
from litestar import Request

from schoolit import limits
from schoolit.errors import FieldError, ValidationFailed
from schoolit.kernel import form_limits
from schoolit.kernel.i18n import gettext

_WHOLE_NUMBER = re.compile(r"^[+-]?\d+$")
_QUERY_TEXT = limits.Limit(multiline=False)  # a query parameter is one line of any length


def _struct_of(annotation: Any) -> type[msgspec.Struct] | None:
    """The Struct inside `T`, `T | None`, `list[T]`, `Annotated[T, ...]`."""
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _struct_of(typing.get_args(annotation)[0])
    if origin in (list, tuple, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if (found := _struct_of(arg)) is not None:
                return found
    return None


def _body_problems(value: Any, struct: type[msgspec.Struct] | None, module: str,
                   prefix: str = "") -> list[tuple[str, str, dict[str, int]]]:
    if not isinstance(value, dict):
        return []
    table = limits.table_named(struct.__name__) if struct is not None else None
    nested: dict[str, type[msgspec.Struct]] = {}
    if struct is not None:
        for info in msgspec.structs.fields(struct):
            if (inner := _struct_of(info.type)) is not None:
                nested[info.encode_name] = inner
    found: list[tuple[str, str, dict[str, int]]] = []
    flat = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if key in nested and isinstance(item, list):
            for index, element in enumerate(item):
                found += _body_problems(element, nested[key], module, f"{name}[{index}].")
        elif key in nested:
            found += _body_problems(item, nested[key], module, f"{name}.")
        else:
            flat[str(key)] = item
    found += [(f"{prefix}{field}", message, params) for field, message, params in
              limits.problems(flat, lambda field: limits.limit_for(field, table, module))]
    return found


def _accepts_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    return any(_accepts_int(arg) for arg in typing.get_args(annotation))


def _query_problems(request: Request[Any, Any, Any], module: str) -> list[tuple[str, str, dict[str, int]]]:
    parameters = request.route_handler.parsed_fn_signature.parameters
    found = []
    for name, value in request.query_params.multi_items():
        parameter = parameters.get(name)
        limit = _QUERY_TEXT
        if _WHOLE_NUMBER.match(value) and parameter is not None and _accepts_int(parameter.raw):
            limit = limits.Limit(bound=limits.limit_for(name, None, module).bound or limits.UNKNOWN.bound)
            problem = limit.problem(int(value))
        else:
            problem = limit.problem(value)
        if problem is not None:
            found.append((name, *problem))
    return found


async def _body(request: Request[Any, Any, Any]) -> tuple[Any, type[msgspec.Struct] | None] | None:
    """The posted fields (a JSON object or a form) and the Struct they are read into, if any."""
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    struct = _struct_of(data.raw) if data is not None else None
    if content_type == "application/json" or content_type.endswith("+json"):
        if data is None:
            return None
        try:
            return await request.json(), struct
        except Exception:  # not JSON at all: the handler's own parsing answers 400
            return None
    if content_type == "application/x-www-form-urlencoded":
        # Uploads (multipart) are left to their handlers: parsing them here would spool files that
        # nobody closes when the request is refused.
        form = await request.form()
        fields = {key: form.getall(key) for key in form}
        return {key: items[0] if len(items) == 1 else items for key, items in fields.items()}, struct
    return None


async def refuse_unfit_input(request: Request[Any, Any, Any]) -> None:
    """The app's `before_request` hook: 422 when a value does not fit its column (see module doc)."""
    handler = request.route_handler
    if form_limits.own_decoder(handler.opt):
        return
    module = getattr(handler.fn, "__module__", "") or ""
    found = _query_problems(request, module)
    body = await _body(request)
    labels: dict[str, str] = {}
    if body is not None:
        labels = getattr(body[1], "field_labels", None) or {}
        in_body = _body_problems(*body, module)
        if in_body and not found and form_limits.shows_at_fields(handler.opt):
            form_limits.keep_form_problems(
                request, {field: gettext(message, **params) for field, message, params in in_body})
            return
        found += in_body
    if found:  # in the request's language, for the API as for pages
        raise ValidationFailed([FieldError(field, gettext(message, **params)) for field, message, params in found],
                               labels=labels)

