"""The admins' webhook page (`/admin/webhooks`): register a URL and the events it wants (the signing
secret is shown once), switch a webhook off and on, and see its latest deliveries and failures."""

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
from schoolit.tickets import webhooks
from schoolit.tickets.choices import Happening


class WebhookForm(msgspec.Struct):
    name: str = ""
    url: str = ""
    events: list[str] | str = msgspec.field(default_factory=list)  # one checkbox sends a string

    def event_list(self) -> list[str]:
        return [self.events] if isinstance(self.events, str) else list(self.events)


class ActiveForm(msgspec.Struct):
    active: str = ""


class WebhookPages(Controller):
    path = "/admin/webhooks"
    include_in_schema = False

    async def _page(self, caller: Scope, *, status_code: int = 200, errors: dict[str, str] | None = None,
                    form: WebhookForm | None = None, created: dict[str, Any] | None = None,
                    secret: str | None = None) -> Template:
        return Template("tickets/webhooks.html", status_code=status_code, context={
            "webhooks": await webhooks.list_webhooks(caller), "errors": errors or {},
            "form": form or WebhookForm(events=[]), "created": created, "secret": secret,
            "happenings": [(h.value, webhooks.HAPPENING_LABELS[h]) for h in Happening],
            "labels": {h.value: webhooks.HAPPENING_LABELS[h] for h in Happening}})

    @get("/", name="webhooks", opt=requires(Permission.USERS_MANAGE))
    async def show(self, caller: Caller) -> Template:
        return await self._page(caller)

    @post("/", opt=requires(Permission.USERS_MANAGE), status_code=201)
    async def create(self, request: Request[Any, Any, Any], caller: Caller,
                     data: URLEncodedBody[WebhookForm]) -> Template:
        outcome = await form_flow.attempt(request, lambda: webhooks.create_webhook(
            caller, name=data.name, url=data.url, events=data.event_list()))
        if isinstance(outcome, form_flow.Refused):
            return await self._page(caller, status_code=outcome.status, errors=outcome.errors, form=data)
        created, secret = outcome.value
        return await self._page(caller, status_code=201, created=created, secret=secret)

    @post("/{webhook_id:int}/active", opt=requires(Permission.USERS_MANAGE), status_code=303)
    async def switch(self, caller: Caller, webhook_id: FromPath[int],
                     data: URLEncodedBody[ActiveForm]) -> Response[Any]:
        await webhooks.set_active(caller, webhook_id, data.active == "yes")
        return Redirect(path="/admin/webhooks", status_code=303)
