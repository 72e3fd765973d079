"""Attachments of tickets: files type checked by their first bytes (not by name or declared type), at
most 10 MiB, stored once per content under DATA_DIR/attachments/<2 hex>/<sha256>; attaching one (an
event on the ticket's timeline and an audit row) and reading them back within the caller's scope."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from schoolit.accounts import audit
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import FieldError, NotFound, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.settings import get_settings
from schoolit.tickets.choices import EventKind
from schoolit.tickets.services import add_event, get_ticket, label_of
from schoolit.tickets.tables import TicketAttachment

MAX_BYTES = 10 * 1024 * 1024
# (content type, leading bytes); WebP also needs "WEBP" at offset 8, checked below.
_SIGNATURES: tuple[tuple[str, bytes], ...] = (
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/gif", b"GIF87a"),
    ("image/gif", b"GIF89a"),
    ("image/webp", b"RIFF"),
    ("application/pdf", b"%PDF-"),
)
_UNSAFE = re.compile(r"[^\w.\- ()äöüÄÖÜß]+")


def sniff(content: bytes) -> str | None:
    """The content type the bytes really are (images and PDF), or None."""
    for content_type, magic in _SIGNATURES:
        if content.startswith(magic):
            if content_type == "image/webp" and content[8:12] != b"WEBP":
                continue
            return content_type
    return None


def clean_filename(name: str) -> str:
    """A display name without paths or odd characters."""
    base = os.path.basename(name.replace("\\", "/")).strip()
    return (_UNSAFE.sub("_", base) or "datei")[:200]


def check(filename: str, content: bytes) -> str:
    """The content type of an acceptable upload, or ValidationFailed."""
    if not content:
        raise ValidationFailed([FieldError("file", N_("the file is empty"))])
    if len(content) > MAX_BYTES:
        raise ValidationFailed([FieldError("file", N_("the file is larger than 10 MiB"))])
    content_type = sniff(content)
    if content_type is None:
        raise ValidationFailed([FieldError("file", N_("only images (PNG, JPEG, GIF, WebP) and PDF are accepted"))])
    return content_type


def store(data_dir: Path, content: bytes) -> str:
    """Write the content (once per digest) and return its SHA-256."""
    digest = hashlib.sha256(content).hexdigest()
    path = path_of(data_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(content)
        temporary.replace(path)  # atomic: a reader never sees half a file
    return digest


def path_of(data_dir: Path, digest: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValueError("not a SHA-256 digest")
    return data_dir / "attachments" / digest[:2] / digest


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
    ticket = await get_ticket(scope, ticket_id)
    return await TicketAttachment.select(*TicketAttachment.all_columns()).where(
        TicketAttachment.ticket_id == ticket["id"]).order_by(TicketAttachment.id)


async def get_attachment(scope: Scope, attachment_id: int) -> tuple[dict[str, Any], bytes]:
    """An attachment's row and bytes, if its ticket is in scope."""
    row = await TicketAttachment.select(*TicketAttachment.all_columns()).where(
        TicketAttachment.id == attachment_id).first()
    if row is None:
        raise NotFound("attachment not found")
    await get_ticket(scope, row["ticket_id"])
    path = path_of(get_settings().data_dir, row["sha256"])
    if not path.exists():
        raise NotFound("attachment file is missing")
    return row, path.read_bytes()
