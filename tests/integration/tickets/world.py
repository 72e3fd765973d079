"""Tickets in the test world: one per school key, with a tracking token and a small attachment, so
the access matrix fills `ticket_id`, `attachment_id` and `token` for own and foreign tenants."""

from __future__ import annotations

from typing import TYPE_CHECKING

from schoolit.accounts.scope import Scope
from schoolit.tickets import services, webhooks
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
        attachments[key] = (await services.add_attachment(system, ticket["id"], "foto.png", PNG))["id"]
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
