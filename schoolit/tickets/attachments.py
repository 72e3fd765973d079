"""Attachments of tickets: attaching one (an event on the ticket's timeline and an audit row) and reading
them back within the caller's scope. The upload rules (type by the first bytes, at most 10 MiB, stored
once per content) are `schoolit.uploads`'s, shared with the inventory's disposal certificates."""

from __future__ import annotations

from typing import Any

from schoolit.accounts import audit
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import NotFound
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.settings import get_settings
from schoolit.tickets.choices import EventKind
from schoolit.tickets.services import add_event, get_ticket, label_of
from schoolit.tickets.tables import TicketAttachment
from schoolit.uploads import check, clean_filename, path_of, store


async def add_attachment(scope: Scope, ticket_id: int, filename: str, content: bytes) -> dict[str, Any]:
    """Attach an image or PDF (checked by its bytes, at most 10 MiB)."""
    scope.require(Permission.TICKETS_REPORT)
    content_type = check(filename, content)
    async with atomic():
        ticket = await get_ticket(scope, ticket_id, lock=True)
        sha = store(get_settings().data_dir, content)
        name = clean_filename(filename)
        rows = await TicketAttachment.insert(TicketAttachment(
            ticket_id=ticket_id, county_id=ticket["county_id"], filename=name, content_type=content_type,
            size=len(content), sha256=sha, uploaded_by=label_of(scope),
        )).returning(*TicketAttachment.all_columns())
        await add_event(scope, ticket, EventKind.ATTACHMENT, public=True, body=name,
                        data={"attachment_id": rows[0]["id"], "size": len(content)})
        await audit.record(scope, "ticket.attachment", object_type="ticket", object_id=ticket_id,
                           county_id=ticket["county_id"], after={"filename": name, "size": len(content),
                                                                 "content_type": content_type})
    return rows[0]


async def list_attachments(scope: Scope, ticket_id: int) -> list[dict[str, Any]]:
    return await attachments_of(await get_ticket(scope, ticket_id))


async def attachments_of(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    """`list_attachments` of a ticket `get_ticket` has read for the caller (the ticket page reads it once)."""
    return await TicketAttachment.select(*TicketAttachment.all_columns()).where(
        TicketAttachment.ticket_id == ticket["id"]).order_by(TicketAttachment.id)


async def get_attachment(scope: Scope, attachment_id: int) -> tuple[dict[str, Any], bytes]:
    """An attachment's row and bytes, if its ticket is in scope."""
    row = await TicketAttachment.select(*TicketAttachment.all_columns()).where(
        TicketAttachment.id == attachment_id).first()
    if row is None:
        raise NotFound(N_("attachment not found"))
    await get_ticket(scope, row["ticket_id"])
    path = path_of(get_settings().data_dir, row["sha256"])
    if not path.exists():
        raise NotFound(N_("attachment file is missing"))
    return row, path.read_bytes()
