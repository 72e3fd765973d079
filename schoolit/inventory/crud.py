"""The inventory API's same-shape handlers, written once: list, create, get, update, delete and an action
on one row (retire), each made for a resource from its Structs (derived from its description), its
listing, its service function and the access it needs; `resource_api` puts a resource's handlers and its
special actions under one path (`schoolit.inventory.api` declares each resource in a few lines).

Litestar reads a handler's parameters and answer from its signature and type hints, so each made
handler gets real ones: the path parameter under the resource's own name (`school_id`), the body and
answer typed with the resource's Structs. The operation id stays the one a hand-written handler of the
same name had (`list_schools` -> `ApiV1SchoolsListSchools`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec
from litestar import Router, delete, get, patch, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from schoolit.accounts.auth import Caller
from schoolit.accounts.scope import Scope
from schoolit.describe.resource import Listing
from schoolit.inventory.http import Filters, Text, list_filters, page_of
from schoolit.schemas import Limit, Offset, Page, given

Row = dict[str, Any]
Opt = Mapping[str, Any]
ListRows = Callable[..., Awaitable[tuple[list[Row], int]]]
RowById = Callable[[Scope, int], Awaitable[Row]]
NothingById = Callable[[Scope, int], Awaitable[None]]
Create = Callable[[Scope, Mapping[str, Any]], Awaitable[Row]]
Update = Callable[[Scope, int, Mapping[str, Any]], Awaitable[Row]]


def _typed(handler: Callable[..., Any], name: str, parameters: Mapping[str, Any], answer: Any) -> Callable[..., Any]:
    """`handler` as Litestar and the OpenAPI description see it: named `name`, taking `parameters`
    (keyword-only, in this order, with the defaults of its own signature) and answering `answer`."""
    own = inspect.signature(handler).parameters
    handler.__name__ = handler.__qualname__ = name
    handler.__annotations__ = {**parameters, "return": answer}
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY, annotation=hint,
                           default=own[p].default if p in own else inspect.Parameter.empty)
         for p, hint in parameters.items()], return_annotation=answer)
    return handler


def _json(struct: Any) -> Any:
    """The type hint of a JSON body of `struct` (made at run time: a checker cannot apply the alias)."""
    return JSONBody[struct]  # type: ignore[misc]


def _row_id(key: Mapping[str, int]) -> int:
    (row_id,) = key.values()
    return row_id


def listed(name: str, service: ListRows, listing: Listing, out: Any, *, opt: Opt, summary: str) -> HTTPRouteHandler:
    """GET /: a page of rows; the listing's filters are query parameters, `q` searches, `sort` orders."""

    async def handler(caller: Caller, filters: Filters, q: Text = None, sort: Text = None, limit: Limit = 50,
                      offset: Offset = 0) -> Page[Any]:
        rows, total = await service(caller, q=q, sort=sort, limit=limit, offset=offset, filters=filters)
        return page_of(rows, total, out)

    parameters = {"caller": Caller, "filters": Filters, "q": Text, "sort": Text, "limit": Limit, "offset": Offset}
    return get("/", opt=dict(opt), summary=summary, dependencies={"filters": list_filters(listing)})(
        _typed(handler, name, parameters, Page[out]))


def created(name: str, service: Create, data_in: Any, out: Any, *, opt: Opt, summary: str) -> HTTPRouteHandler:
    """POST /: a new row from the body's fields (201)."""

    async def handler(caller: Caller, data: msgspec.Struct) -> Any:
        return msgspec.convert(await service(caller, given(data)), out)

    return post("/", opt=dict(opt), status_code=HTTP_201_CREATED, summary=summary)(
        _typed(handler, name, {"caller": Caller, "data": _json(data_in)}, out))


def fetched(name: str, key: str, service: RowById, out: Any, *, opt: Opt, summary: str,
            part: str = "") -> HTTPRouteHandler:
    """GET /{key}: one row (or GET /{key}/{part}: what the service says of it, a school's coverage)."""

    async def handler(caller: Caller, **row: int) -> Any:
        return msgspec.convert(await service(caller, _row_id(row)), out)

    return get(f"/{{{key}:int}}" + (f"/{part}" if part else ""), opt=dict(opt), summary=summary)(
        _typed(handler, name, {"caller": Caller, key: FromPath[int]}, out))


def updated(name: str, key: str, service: Update, data_in: Any, out: Any, *, opt: Opt,
            summary: str) -> HTTPRouteHandler:
    """PATCH /{key}: the fields the body gives change, the others stay."""

    async def handler(caller: Caller, data: msgspec.Struct, **row: int) -> Any:
        return msgspec.convert(await service(caller, _row_id(row), given(data)), out)

    return patch(f"/{{{key}:int}}", opt=dict(opt), summary=summary)(
        _typed(handler, name, {"caller": Caller, key: FromPath[int], "data": _json(data_in)}, out))


def deleted(name: str, key: str, service: NothingById, *, opt: Opt, summary: str) -> HTTPRouteHandler:
    """DELETE /{key} (204)."""

    async def handler(caller: Caller, **row: int) -> None:
        await service(caller, _row_id(row))

    return delete(f"/{{{key}:int}}", opt=dict(opt), status_code=HTTP_204_NO_CONTENT, summary=summary)(
        _typed(handler, name, {"caller": Caller, key: FromPath[int]}, None))


def acted(name: str, key: str, action: str, service: RowById, out: Any, *, opt: Opt,
          summary: str) -> HTTPRouteHandler:
    """POST /{key}/{action}: an action on one row without a body (retire), answering the row (200)."""

    async def handler(caller: Caller, **row: int) -> Any:
        return msgspec.convert(await service(caller, _row_id(row)), out)

    return post(f"/{{{key}:int}}/{action}", opt=dict(opt), status_code=HTTP_200_OK, summary=summary)(
        _typed(handler, name, {"caller": Caller, key: FromPath[int]}, out))


def resource_api(path: str, *handlers: HTTPRouteHandler) -> Router:
    """A resource's API under `path` (tagged inventory): its made handlers and its special ones."""
    return Router(path=path, route_handlers=list(handlers), tags=["inventory"])
