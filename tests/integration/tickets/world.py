"""Tickets in the test world: one per school key, with a tracking token and a small attachment, so
the access matrix fills `ticket_id`, `attachment_id` and `token` for own and foreign tenants."""

from __future__ import annotations

from typing import TYPE_CHECKING

from schoolit.accounts.scope import Scope
from schoolit.sql import fetch
from schoolit.tickets import mailboxes, services, webhooks
from schoolit.tickets.attachments import add_attachment
from schoolit.tickets.tables import TicketCategory

if TYPE_CHECKING:  # world.py imports this module for its EXTENSIONS
    from tests.integration.world import World

# A 1×1 PNG: the smallest file the attachment check accepts as an image.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000185d7a3d30000000049454e44ae426082")


async def category_id(name: str = "WLAN/Netzwerk") -> int:
    row = await TicketCategory.select(TicketCategory.id).where(TicketCategory.name == name).first()
    assert row is not None, f"category {name!r} is seeded by the migration"
    return int(row["id"])


async def add_tickets(world: World) -> None:
    system = Scope.system("test")
    wlan = await category_id()
    tickets: dict[str, int] = {}
    attachments: dict[str, int] = {}
    tokens: dict[str, str] = {}
    for key in world.schools:
        ticket, token = await services.create_ticket(system, services.NewTicket(
            school_id=world.schools[key]["id"], category_id=wlan, subject=f"WLAN Raum 1.{len(tickets) + 1} fällt aus",
            description="Seit heute früh kein Netz.", urgency="high", reporter_email=f"lehrkraft-{key}@schule.example"))
        tickets[key] = ticket["id"]
        tokens[key] = token
        attachments[key] = (await add_attachment(system, ticket["id"], "foto.png", PNG))["id"]
    world.by_school["ticket"] = tickets
    world.by_school["attachment"] = attachments
    # Read by the access matrix's `token` and `category_id` fillers.
    world.tracking_tokens = tokens  # type: ignore[attr-defined]
    world.ticket_category_id = wlan  # type: ignore[attr-defined]
    # Webhooks are installation-wide (admins): one, for the matrix's `webhook_id`. Nothing listens at
    # its address; deliveries are posted only when a test asks for it.
    hook, _secret = await webhooks.create_webhook(system, name="Matrix-Brücke", url="http://127.0.0.1:9/hook",
                                                  events=["school_offline"])
    world.webhook_id = hook["id"]  # type: ignore[attr-defined]
    # Mailboxes are kept by admins (the matrix's `mailbox_id`); the triage is the team's: one waiting mail
    # in the arrangement's mailbox and one in Ludwigsburg's, for `inbound_id` own and foreign. Switched off:
    # no test fetches from them.
    world.mailbox_ids = {}  # type: ignore[attr-defined]
    world.inbound_ids = {}  # type: ignore[attr-defined]
    for key, owner in (("verbund", f"arrangement:{world.arrangement_id}"),
                       ("ludwigsburg", f"county:{world.counties['ludwigsburg']}")):
        box = await mailboxes.create_mailbox(system, mailboxes.MailboxInput(
            name=f"Postfach {key}", owner=owner, host="127.0.0.1", port=9, tls="off", username=f"{key}@mail.example",
            password="geheim", active=False))
        raw = f"From: unbekannt-{key}@elsewhere.example\r\nSubject: Hilfe\r\n\r\nDrucker kaputt\r\n".encode()
        rows = await fetch("INSERT INTO inbound_mail (mailbox_id, message_id, sender, subject, outcome, reason, "
                           "raw_message) VALUES ({}, {}, {}, 'Hilfe', 'triage', 'unknown sender', {}) RETURNING id",
                           box["id"], f"<world-{key}@elsewhere.example>", f"unbekannt-{key}@elsewhere.example", raw)
        world.mailbox_ids[key] = box["id"]  # type: ignore[attr-defined]
        world.inbound_ids[key] = rows[0]["id"]  # type: ignore[attr-defined]
    # Text modules are the team's too: one of the arrangement's team and one of Ludwigsburg's, for the
    # matrix's `module_id` own and foreign.
    world.text_module_ids = {}  # type: ignore[attr-defined]
    for key, arrangement_id, county_id in (("verbund", world.arrangement_id, None),
                                           ("ludwigsburg", None, world.counties["ludwigsburg"])):
        rows = await fetch("INSERT INTO text_module (arrangement_id, county_id, title, body) "
                           "VALUES ({}, {}, 'Gruß', 'Viele Grüße, {{bearbeiter}}') RETURNING id",
                           arrangement_id, county_id)
        world.text_module_ids[key] = rows[0]["id"]  # type: ignore[attr-defined]
