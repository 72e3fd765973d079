"""E-mail goes out through a real SMTP server (aiosmtpd on a loopback port): the reporter gets the
number, a supporter the new ticket and the assignment; failures are retried later; nothing without SMTP."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from schoolit.settings import Settings
from schoolit.sql import fetch
from schoolit.tickets import mail, notifications, services
from tests.integration.tickets.test_tickets_api import _scope
from tests.integration.tickets.world import category_id
from tests.integration.world import World
from tests.support import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def smtp_settings(settings: Settings, port: int) -> Settings:
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_tls="off",
                               smtp_from="support@schoolit.example")


async def test_reporter_and_assignee_receive_mail(settings: Settings, smtp_server: tuple[Inbox, int],
                                                  world: World) -> None:
    inbox, port = smtp_server
    contact = await _scope(world, "school_contact")
    ticket, _token = await services.create_ticket(contact, services.NewTicket(
        school_id=world.schools["kib"]["id"], category_id=await category_id(), subject="Tablet lädt nicht",
        reporter_email="it@kib.test.example"))
    admin = await _scope(world, "admin")
    await services.assign(admin, ticket["id"], world.users["verbund_supporter"]["id"])
    assert await mail.send_due(settings) == 0  # no SMTP configured: nothing is sent
    await notifications.dispatch()  # the assignment is an event first, a mail per the assignee's setting
    configured = smtp_settings(settings, port)
    # The world's own tickets queued their mails too; everything due goes out in one round.
    sent = await mail.send_due(configured)
    assert sent >= 3
    mine = [m for m in inbox.messages if ticket["number"] in m["Subject"]]
    reporter = [m for m in mine if m["To"] == "it@kib.test.example"]
    assert [m["Subject"] for m in reporter] == [f"Ihre Störungsmeldung {ticket['number']}",
                                                f"Ticket {ticket['number']}: Zugewiesen"]
    assert reporter[0]["From"] == "support@schoolit.example"
    assert "/track/trk_" in reporter[0].get_content()
    assignee = [m["Subject"] for m in mine if m["To"] == "support@verbund.test.example"]
    assert assignee == [f"Neues Ticket {ticket['number']}: Tablet lädt nicht",
                        f"Ticket {ticket['number']} wurde Ihnen zugewiesen"]
    assert await mail.send_due(configured) == 0  # sent once only
    rows = await fetch("SELECT sent_at, attempts FROM outbox_mail WHERE ticket_id = {}", ticket["id"])
    assert all(r["sent_at"] is not None and r["attempts"] == 1 for r in rows)


async def test_failed_delivery_is_retried_with_backoff(settings: Settings, world: World) -> None:
    await mail.enqueue("someone@schule.example", "Test", "Hallo")
    dead = smtp_settings(settings, free_port())  # nothing listens there
    moment = dt.datetime.now(dt.UTC)
    assert await mail.send_due(dead, moment) == 0
    row = (await fetch("SELECT attempts, next_attempt_at, last_error, sent_at FROM outbox_mail "
                       "WHERE recipient = 'someone@schule.example'"))[0]
    assert row["attempts"] == 1 and row["sent_at"] is None and row["last_error"]
    assert row["next_attempt_at"] == moment + dt.timedelta(seconds=30)
    assert mail.backoff(3) == dt.timedelta(minutes=2) and mail.backoff(20) == dt.timedelta(hours=1)
