"""Ticket categories: installation-wide, ordered by position and name; admins create, rename, reorder
and (de)activate them, every change audited.

A category is described once (`CATEGORY`, with the toolkit of `schoolit.describe`): the API's
`CategoryIn`/`CategoryOut`, the fields of the admins' page and the check of what either sends derive
from it, so a bad value is the same field error (label and reason) on both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schoolit.accounts import audit
from schoolit.accounts.scope import Scope
from schoolit.db import MAX_INT, atomic
from schoolit.describe.kinds import Text, Whole, YesNo
from schoolit.describe.resource import Field, Resource, shown
from schoolit.errors import Conflict, NotFound
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.tickets.tables import TicketCategory

CATEGORY = Resource(
    name="category", plural="categories", table="ticket_category", alias="c", label=N_("category"),
    has_updated_at=False, default_sort="position",
    fields=(
        shown("id", int, "c.id"),
        Field("name", Text(80), N_("Name"), required=True),
        Field("position", Whole(minimum=-MAX_INT - 1), N_("Position")),
        Field("active", YesNo(), N_("Active")),
    ),
)
# A save replaces the whole category (the API's PUT, the page's row form): what it leaves out takes the
# column's default, as on create.
_DEFAULTS = {f.name: TicketCategory._meta.get_column_by_name(f.name).default for f in CATEGORY.writable}


async def list_categories(*, active_only: bool = True) -> list[dict[str, Any]]:
    query = TicketCategory.select().order_by(TicketCategory.position).order_by(TicketCategory.name)
    if active_only:
        query = query.where(TicketCategory.active == True)  # noqa: E712
    return await query


async def save_category(scope: Scope, data: Mapping[str, Any], *, category_id: int | None = None) -> dict[str, Any]:
    """Create a category, or rename / reorder / (de)activate one (admins). `data` is what the API or the
    page sent (typed JSON or form text); every bad field is reported at once and nothing is written."""
    scope.require(Permission.USERS_MANAGE)  # an admin-only permission: categories are installation-wide
    checked = CATEGORY.check(data, None)
    checked.raise_if_invalid()
    values = {**_DEFAULTS, **CATEGORY.storable(checked.values)}
    name = values["name"]
    async with atomic():
        clash = TicketCategory.exists().where(TicketCategory.name == name)
        if category_id is not None:
            clash = clash.where(TicketCategory.id != category_id)
        if await clash:
            raise Conflict(N_("a category with this name exists"))
        if category_id is None:
            row = (await TicketCategory.insert(TicketCategory(**values))
                   .returning(*TicketCategory.all_columns()))[0]
            before = None
        else:
            before = await TicketCategory.select().where(TicketCategory.id == category_id).first()
            if before is None:
                raise NotFound(N_("category not found"))
            row = (await TicketCategory.update(**values).where(TicketCategory.id == category_id)
                   .returning(*TicketCategory.all_columns()))[0]
        await audit.record(scope, "ticket_category.save", object_type="ticket_category", object_id=row["id"],
                           before=before, after=row)
    return row
