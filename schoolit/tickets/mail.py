"""E-mail through an outbox: services queue messages in their own transaction; a background sender
delivers them over SMTP with retries and exponential backoff.

Nothing is sent unless SMTP is configured (`SMTP_HOST`): the sender only runs then. Rows are taken
with `FOR UPDATE SKIP LOCKED`, so several workers never send the same message twice. Messages that
could not be delivered for two days are given up (`last_error` says so).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import aiosmtplib

from schoolit.db import atomic
from schoolit.logs import get_logger
from schoolit.settings import Settings, get_settings
from schoolit.sql import fetch
from schoolit.tickets.tables import OutboxMail

log = get_logger("schoolit.mail")

MAX_ATTEMPTS = 8
GIVE_UP_AFTER = dt.timedelta(days=2)
POLL_SECONDS = 5.0
BATCH = 20


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, … capped at one hour."""
    return dt.timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def new_message_id(ticket_id: int | None = None) -> str:
    """A Message-ID under the sender's domain; a ticket's mails say which ticket in it."""
    domain = get_settings().smtp_from.rpartition("@")[2] or "schoolit.invalid"
    return make_msgid(idstring=f"ticket{ticket_id}" if ticket_id is not None else "schoolit", domain=domain)


async def enqueue(recipient: str, subject: str, body: str, *, ticket_id: int | None = None) -> None:
    """Queue one message (in the caller's transaction: it goes out only if the change commits).

    A ticket's mail carries the ticket number in its subject (added in brackets where the text has
    none) and a Message-ID kept with the row, so a reply finds its ticket (`schoolit.tickets.inbound`)."""
    if not recipient:
        return
    if ticket_id is not None:
        rows = await fetch("SELECT number FROM ticket WHERE id = {}", ticket_id)
        if rows and rows[0]["number"] not in subject:
            tag = f" [{rows[0]['number']}]"
            subject = subject[:250 - len(tag)] + tag
    await OutboxMail.insert(OutboxMail(recipient=recipient, subject=subject[:250], body=body, ticket_id=ticket_id,
                                       message_id=new_message_id(ticket_id)))


def _message(settings: Settings, row: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = row["recipient"]
    message["Subject"] = row["subject"]
    message["Message-ID"] = row.get("message_id") or make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    # Machine-sent (RFC 3834): out-of-office and other auto-responders do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(row["body"])
    return message


async def _deliver(settings: Settings, message: EmailMessage) -> None:
    await aiosmtplib.send(
        message, hostname=settings.smtp_host, port=settings.smtp_port, username=settings.smtp_user,
        password=settings.smtp_password, use_tls=settings.smtp_tls == "tls",
        start_tls=settings.smtp_tls == "starttls", timeout=30,
    )


async def send_due(settings: Settings, now: dt.datetime | None = None) -> int:
    """Send the messages that are due; returns how many went out. Failures are rescheduled."""
    if not settings.smtp_configured:
        return 0
    moment = now or dt.datetime.now(dt.UTC)
    sent = 0
    async with atomic():
        await fetch("UPDATE outbox_mail SET last_error = 'given up: undeliverable for two days', "
                    "next_attempt_at = 'infinity' WHERE sent_at IS NULL AND next_attempt_at <> 'infinity' "
                    "AND created_at < {}", moment - GIVE_UP_AFTER)
        rows = await fetch(
            "SELECT id, recipient, subject, body, message_id, attempts FROM outbox_mail WHERE sent_at IS NULL "
            "AND next_attempt_at <= {} ORDER BY next_attempt_at, id LIMIT {} FOR UPDATE SKIP LOCKED", moment, BATCH)
        for row in rows:
            attempts = row["attempts"] + 1
            try:
                await _deliver(settings, _message(settings, row))
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                final = attempts >= MAX_ATTEMPTS
                log.warning("mail not delivered", mail_id=row["id"], attempts=attempts, error=str(exc)[:200])
                await fetch("UPDATE outbox_mail SET attempts = {}, last_error = {}, next_attempt_at = "
                            "CASE WHEN {} THEN 'infinity'::timestamptz ELSE {} END WHERE id = {}",
                            attempts, str(exc)[:500], final, moment + backoff(attempts), row["id"])
                continue
            await fetch("UPDATE outbox_mail SET attempts = {}, sent_at = {}, last_error = '' WHERE id = {}",
                        attempts, moment, row["id"])
            sent += 1
    return sent


async def run_sender(settings: Settings, stop: asyncio.Event) -> None:
    """Send due messages every few seconds until `stop` is set."""
    while not stop.is_set():
        try:
            await send_due(settings)
        except Exception:  # the loop must survive a database hiccup; the next round retries
            log.exception("mail sender round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)


def sender_lifespan(settings: Settings) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """An app lifespan that runs the sender while the app runs (only added when SMTP is configured)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_sender(settings, stop), name="schoolit-mail-sender")
        log.info("mail sender started", smtp_host=settings.smtp_host, smtp_port=settings.smtp_port)
        try:
            yield
        finally:
            stop.set()
            await task

    return lifespan
