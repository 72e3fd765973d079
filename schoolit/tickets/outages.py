"""Outage tickets: the tickets the probes domain opens, promotes and resolves when assets, schools or
probes stop answering and answer again.

Each function takes the probe's (or the system's) Scope first, runs in its own transaction and goes
through the same ticket services as a person's change (numbering, SLA, timeline, audit log,
notifications); the ticket's source is `probe`.
"""

from __future__ import annotations

from typing import Any

from schoolit import rules
from schoolit.accounts import audit
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import FieldError, NotFound, ValidationFailed
from schoolit.inventory import services as inventory
from schoolit.kernel.i18n import N_
from schoolit.sql import fetch, lock
from schoolit.tickets import notifications
from schoolit.tickets.choices import OPEN_STATUSES, AssetKind, EventKind, Happening, Level, Source, Status
from schoolit.tickets.services import (
    NewTicket,
    add_event,
    apply_status,
    audit_view,
    check_asset,
    insert_ticket,
    now,
    priority_changes,
    ticket_row,
    update_ticket,
    with_sla_state,
)
from schoolit.tickets.tables import TicketCategory


async def open_or_get_outage_ticket(scope: Scope, *, school_id: int, asset_kind: str, asset_id: int,
                                    category: str, summary: str) -> dict[str, Any]:
    """The open ticket for an asset's outage, opened now if there is none (idempotent while open).

    Called by the probes domain with the probe's scope; the source is `probe`."""
    if asset_kind not in {k.value for k in AssetKind}:
        raise ValidationFailed([FieldError("asset_kind", N_("must be access_point, device, uplink or room"))])
    column = f"{asset_kind}_id"
    async with atomic():
        school = await inventory.school_summary(school_id=school_id)
        if school is None or not scope.sees(school["county_id"], school_id):
            raise NotFound(rules.SCHOOL_NOT_FOUND)
        # Serialise openers of the same asset so two probe rounds cannot open two tickets.
        await lock(f"outage:{asset_kind}:{asset_id}")
        existing = await fetch(f"SELECT id FROM ticket WHERE school_id = {{}} AND {column} = {{}} "  # noqa: S608 (column from AssetKind)
                               "AND status NOT IN ('resolved', 'closed') ORDER BY id LIMIT 1", school_id, asset_id)
        if existing:
            row = await ticket_row(existing[0]["id"])
            assert row is not None
            return with_sla_state(row)
        category_id = await _probe_category(category)
        errors: list[FieldError] = []
        await check_asset(asset_kind, asset_id, school_id, errors)
        if errors:
            raise ValidationFailed(errors)
        data = NewTicket(school_id=school_id, category_id=category_id, subject=summary[:200],
                         description=summary, urgency=Level.HIGH.value, source=Source.PROBE, asset_kind=asset_kind,
                         asset_id=asset_id)
        ticket, _token = await insert_ticket(scope, data, school)
    return ticket


async def _probe_category(category: str) -> int:
    """The id of a probe ticket's category, "Sonstiges" when it is missing."""
    categories = await TicketCategory.select(TicketCategory.id).where(TicketCategory.name == category).first()
    if categories is None:
        categories = await TicketCategory.select(TicketCategory.id).where(TicketCategory.name == "Sonstiges").first()
    if categories is None:
        raise ValidationFailed([FieldError("category", f"unknown category {category!r}")])
    return int(categories["id"])


async def open_probe_ticket(scope: Scope, *, school_id: int, category: str, summary: str) -> dict[str, Any]:
    """A ticket about something that is no asset, opened by the probes domain (a probe gone silent).

    Source `probe`, high urgency like an outage. The caller remembers the ticket and keeps it from
    opening twice; it resolves through `resolve_outage_ticket`."""
    async with atomic():
        school = await inventory.school_summary(school_id=school_id)
        if school is None or not scope.sees(school["county_id"], school_id):
            raise NotFound(rules.SCHOOL_NOT_FOUND)
        data = NewTicket(school_id=school_id, category_id=await _probe_category(category), subject=summary[:200],
                         description=summary, urgency=Level.HIGH.value, source=Source.PROBE)
        ticket, _token = await insert_ticket(scope, data, school)
    return ticket


async def resolve_outage_ticket(scope: Scope, ticket_id: int, comment: str) -> dict[str, Any]:
    """The asset answers again: a public comment, and the ticket resolves unless a person worked on it."""
    async with atomic():
        row = await ticket_row(ticket_id, lock=True)
        if row is None or not scope.sees(row["county_id"], row["school_id"]):
            raise NotFound(rules.TICKET_NOT_FOUND)
        ticket = with_sla_state(row)
        await add_event(scope, ticket, EventKind.COMMENT, public=True, body=comment.strip())
        await audit.record(scope, "ticket.comment", object_type="ticket", object_id=ticket_id,
                           county_id=ticket["county_id"], after={"public": True})
        if Status(ticket["status"]) in OPEN_STATUSES and not ticket["worked_by_person"]:
            await apply_status(scope, ticket, Status.RESOLVED, reason="ticket.status")
        result = await ticket_row(ticket_id)
    assert result is not None
    return with_sla_state(result)


async def promote_to_school_outage(scope: Scope, ticket_id: int, *, uplink_id: int | None, category: str,
                                   summary: str, merged: list[int]) -> dict[str, Any]:
    """Nothing at a school answers any more: an asset's outage ticket becomes the school's.

    Its subject and category become the school outage's, the uplink (when the school has one) becomes
    its asset, impact and urgency go to high (the priority and due times follow), and a public event
    says the school went offline. The school's other probe tickets in `merged` are resolved with a
    comment naming this one (unless a person worked on them). Idempotent: a ticket already promoted
    only takes in further merged tickets."""
    async with atomic():
        row = await ticket_row(ticket_id, lock=True)
        if row is None or not scope.sees(row["county_id"], row["school_id"]):
            raise NotFound(rules.TICKET_NOT_FOUND)
        ticket = with_sla_state(row)
        promoted = await fetch("SELECT 1 FROM ticket_event WHERE ticket_id = {} AND data->>'outage' = 'school'",
                               ticket_id)
        if not promoted:
            moment = now()
            changes = {"subject": summary[:200], "category_id": await _probe_category(category),
                       **await priority_changes(scope, ticket, Level.HIGH.value, Level.HIGH.value, moment)}
            if uplink_id is not None:
                changes.update(access_point_id=None, device_id=None, room_id=None, uplink_id=uplink_id)
            await update_ticket(ticket_id, changes)
            await add_event(scope, ticket, EventKind.COMMENT, public=True, body=f"Schule offline: {summary}",
                            data={"outage": "school", "previous_subject": ticket["subject"]})
            await audit.record(scope, "ticket.update", object_type="ticket", object_id=ticket_id,
                               county_id=ticket["county_id"], before=audit_view(ticket),
                               after=audit_view({**ticket, **changes}))
            await notifications.emit(Happening.SCHOOL_OFFLINE, ticket, body=summary)
        for other in merged:
            if other != ticket_id:
                await resolve_outage_ticket(scope, other, f"Zusammengeführt in die Schulstörung {ticket['number']}: "
                                                          "keines der überwachten Geräte der Schule antwortet.")
        result = await ticket_row(ticket_id)
    assert result is not None
    return with_sla_state(result)
