"""`/text-modules`: supporters and admins manage the canned answers of their team (tickets.text_modules).

Thin: parse the form, call the service with the caller's Scope, show the list again with any errors.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from schoolit import form_flow
from schoolit.accounts.auth import Caller
from schoolit.accounts.scope import Scope
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import N_
from schoolit.kernel.navigation import NavItem, register
from schoolit.tickets import text_modules

register(NavItem("/text-modules", N_("Text modules"), Permission.TICKETS_WORK))
ACCESS = requires(Permission.TICKETS_WORK)
FIELD_LABELS = text_modules.FIELD_LABELS


class TextModuleForm(msgspec.Struct):
    id: str = ""
    title: str = ""
    body: str = ""


class TextModulePages(Controller):
    path = "/text-modules"
    include_in_schema = False

    async def _page(self, caller: Scope, *, status_code: int = 200, form: TextModuleForm | None = None,
                    errors: dict[str, str] | None = None) -> Template:
        return Template("tickets/text_modules.html", status_code=status_code, context={
            "modules": await text_modules.list_modules(caller), "form": form or TextModuleForm(),
            "errors": errors or {}, "field_labels": FIELD_LABELS, "placeholders": text_modules.PLACEHOLDERS})

    @get("/", name="text_modules", opt=ACCESS)
    async def modules(self, caller: Caller) -> Template:
        return await self._page(caller)

    @post("/", opt=ACCESS, status_code=303)
    async def save(self, request: Request[Any, Any, Any], caller: Caller,
                   data: URLEncodedBody[TextModuleForm]) -> Response[Any]:
        module_id = int(data.id) if data.id.strip().isdigit() else None
        outcome = await form_flow.attempt(request, lambda: text_modules.save_module(
            caller, title=data.title, body=data.body, module_id=module_id))
        if isinstance(outcome, form_flow.Refused):
            return await self._page(caller, status_code=outcome.status, form=data, errors=outcome.errors)
        return Redirect(path="/text-modules", status_code=303)

    @post("/{module_id:int}/delete", opt=ACCESS, status_code=303)
    async def delete(self, caller: Caller, module_id: FromPath[int]) -> Redirect:
        await text_modules.delete_module(caller, module_id)
        return Redirect(path="/text-modules", status_code=303)
