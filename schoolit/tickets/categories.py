"""Ticket categories: installation-wide, ordered by position and name; admins create, rename, reorder
and (de)activate them, every change audited."""

from __future__ import annotations

from typing import Any

from schoolit.accounts import audit
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import Conflict, FieldError, NotFound, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.tickets.tables import TicketCategory


async def list_categories(*, active_only: bool = True) -> list[dict[str, Any]]:
    query = TicketCategory.select().order_by(TicketCategory.position).order_by(TicketCategory.name)
    if active_only:
        query = query.where(TicketCategory.active == True)  # noqa: E712
    return await query


async def save_category(scope: Scope, *, name: str, position: int = 0, active: bool = True,
                        category_id: int | None = None) -> dict[str, Any]:
    """Create a category, or rename / reorder / (de)activate one (admins)."""
    scope.require(Permission.USERS_MANAGE)  # an admin-only permission: categories are installation-wide
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationFailed([FieldError("name", N_("must be 1 to 80 characters"))])
    async with atomic():
        clash = TicketCategory.exists().where(TicketCategory.name == name)
        if category_id is not None:
            clash = clash.where(TicketCategory.id != category_id)
        if await clash:
            raise Conflict("a category with this name exists")
        if category_id is None:
            row = (await TicketCategory.insert(TicketCategory(name=name, position=position, active=active))
                   .returning(*TicketCategory.all_columns()))[0]
            before = None
        else:
            before = await TicketCategory.select().where(TicketCategory.id == category_id).first()
            if before is None:
                raise NotFound("category not found")
            row = (await TicketCategory.update({TicketCategory.name: name, TicketCategory.position: position,
                                                TicketCategory.active: active})
                   .where(TicketCategory.id == category_id).returning(*TicketCategory.all_columns()))[0]
        await audit.record(scope, "ticket_category.save", object_type="ticket_category", object_id=row["id"],
                           before=before, after=row)
    return row
