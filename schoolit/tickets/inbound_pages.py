"""Pages of the inbound mail channel: the admins' mailboxes (`/admin/mailboxes`: add, change, test the
connection, delete; the password is never shown again) and the supporters' triage (`/mail-triage`:
mails of unknown senders, each given a school or dismissed)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from schoolit import form_flow
from schoolit.accounts.auth import Caller
from schoolit.accounts.scope import Scope
from schoolit.kernel.access import Permission, requires
from schoolit.tickets import inbound, mailboxes


class MailboxForm(msgspec.Struct):
    name: str = ""
    owner: str = ""
    host: str = ""
    port: str = "993"
    tls: str = "tls"
    username: str = ""
    password: str = ""
    folder: str = "INBOX"
    done_folder: str = ""
    active: str = "yes"

    def value(self) -> mailboxes.MailboxInput:
        port = int(self.port) if self.port.strip().isdigit() else 0
        return mailboxes.MailboxInput(
            name=self.name, owner=self.owner, host=self.host, port=port, tls=self.tls, username=self.username,
            password=self.password, folder=self.folder or "INBOX", done_folder=self.done_folder,
            active=self.active == "yes")


def _form_of(row: dict[str, Any]) -> MailboxForm:
    return MailboxForm(name=row["name"], owner=mailboxes.owner_key(row), host=row["host"], port=str(row["port"]),
                       tls=row["tls"], username=row["username"], folder=row["folder"],
                       done_folder=row["done_folder"], active="yes" if row["active"] else "no")


class MailboxPages(Controller):
    path = "/admin/mailboxes"
    include_in_schema = False

    async def _page(self, caller: Scope, *, status_code: int = 200, errors: dict[str, str] | None = None,
                    form: MailboxForm | None = None, editing: int | None = None,
                    tested: dict[str, Any] | None = None) -> Template:
        return Template("tickets/mailboxes.html", status_code=status_code, context={
            "mailboxes": await mailboxes.list_mailboxes(caller), "owners": await mailboxes.owner_choices(),
            "tls_modes": list(mailboxes.TLS_MODES.items()), "errors": errors or {}, "form": form or MailboxForm(),
            "editing": editing, "tested": tested})

    @get("/", name="mailboxes", opt=requires(Permission.USERS_MANAGE))
    async def show(self, caller: Caller) -> Template:
        return await self._page(caller)

    @get("/{mailbox_id:int}", opt=requires(Permission.USERS_MANAGE))
    async def edit(self, caller: Caller, mailbox_id: FromPath[int]) -> Template:
        return await self._page(caller, form=_form_of(await mailboxes.get_mailbox(caller, mailbox_id)),
                                editing=mailbox_id)

    @post("/", opt=requires(Permission.USERS_MANAGE), status_code=303)
    async def create(self, request: Request[Any, Any, Any], caller: Caller,
                     data: URLEncodedBody[MailboxForm]) -> Response[Any]:
        outcome = await form_flow.attempt(request, lambda: mailboxes.create_mailbox(caller, data.value()))
        if isinstance(outcome, form_flow.Refused):  # the password is not sent back
            return await self._page(caller, status_code=outcome.status, errors=outcome.errors,
                                    form=msgspec.structs.replace(data, password=""))
        return Redirect(path="/admin/mailboxes", status_code=303)

    @post("/{mailbox_id:int}", opt=requires(Permission.USERS_MANAGE), status_code=303)
    async def update(self, request: Request[Any, Any, Any], caller: Caller, mailbox_id: FromPath[int],
                     data: URLEncodedBody[MailboxForm]) -> Response[Any]:
        outcome = await form_flow.attempt(request, lambda: mailboxes.update_mailbox(caller, mailbox_id, data.value()))
        if isinstance(outcome, form_flow.Refused):
            return await self._page(caller, status_code=outcome.status, errors=outcome.errors,
                                    form=msgspec.structs.replace(data, password=""), editing=mailbox_id)
        return Redirect(path="/admin/mailboxes", status_code=303)

    @post("/{mailbox_id:int}/test", opt=requires(Permission.USERS_MANAGE), status_code=200)
    async def test(self, caller: Caller, mailbox_id: FromPath[int]) -> Template:
        try:
            unread = await mailboxes.test_connection(caller, mailbox_id)
        except mailboxes.MailboxError as exc:
            return await self._page(caller, tested={"id": mailbox_id, "ok": False, "text": str(exc)})
        return await self._page(caller, tested={"id": mailbox_id, "ok": True, "unread": unread})

    @post("/{mailbox_id:int}/delete", opt=requires(Permission.USERS_MANAGE), status_code=303)
    async def delete(self, caller: Caller, mailbox_id: FromPath[int]) -> Response[Any]:
        await mailboxes.delete_mailbox(caller, mailbox_id)
        return Redirect(path="/admin/mailboxes", status_code=303)


class TriageForm(msgspec.Struct):
    school_id: str = ""
    remember: str = ""


class TriagePages(Controller):
    path = "/mail-triage"
    include_in_schema = False

    async def _page(self, caller: Scope, *, status_code: int = 200, errors: dict[int, str] | None = None,
                    done: str = "") -> Template:
        return Template("tickets/triage.html", status_code=status_code, context={
            "waiting": await inbound.triage(caller), "errors": errors or {}, "done": done})

    @get("/", name="mail_triage", opt=requires(Permission.TICKETS_WORK))
    async def show(self, caller: Caller, done: FromQuery[str] = "") -> Template:
        return await self._page(caller, done=done if done.isdigit() else "")

    @post("/{inbound_id:int}/assign", opt=requires(Permission.TICKETS_WORK), status_code=303)
    async def assign(self, request: Request[Any, Any, Any], caller: Caller, inbound_id: FromPath[int],
                     data: URLEncodedBody[TriageForm]) -> Response[Any]:
        school_id = int(data.school_id) if data.school_id.strip().isdigit() else 0
        outcome = await form_flow.attempt(request, lambda: inbound.assign_school(
            caller, inbound_id, school_id, remember=data.remember))
        if isinstance(outcome, form_flow.Refused):  # the mail's row names its first reason
            return await self._page(caller, status_code=outcome.status, errors={inbound_id: outcome.found[0].message})
        return Redirect(path=f"/mail-triage?done={outcome.value['id']}", status_code=303)

    @post("/{inbound_id:int}/dismiss", opt=requires(Permission.TICKETS_WORK), status_code=303)
    async def dismiss(self, caller: Caller, inbound_id: FromPath[int]) -> Response[Any]:
        await inbound.dismiss(caller, inbound_id)
        return Redirect(path="/mail-triage", status_code=303)
