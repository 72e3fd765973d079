"""Text modules: canned answers a supporter inserts into a ticket comment.

A module belongs to an arrangement (the shared support team of several counties), to one county (a
county that runs its own support), or to everyone (made by an admin). Supporters see their own
arrangement's or county's modules and everyone's, and manage their own; admins see and manage all.

A module's body may hold placeholders, filled in for the ticket at hand when it is offered in the
comment form: {schule} the school's name, {ticket} the ticket number, {name} the reporter's name,
{bearbeiter} the supporter's own name. Unknown placeholders stay as typed.
"""

from __future__ import annotations

import re
from typing import Any

from schoolit import rules
from schoolit.accounts import audit, directory
from schoolit.accounts.choices import Role
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import FieldError, Forbidden, NotFound, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import Fragment, fetch, fragment

PLACEHOLDERS = ("schule", "ticket", "name", "bearbeiter")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
MAX_TITLE = 80
MAX_BODY = 5_000
_COLUMNS = "id, arrangement_id, county_id, title, body, created_at, updated_at"


MODULE_NOT_FOUND = N_("text module not found")


def _owner(scope: Scope) -> tuple[int | None, int | None]:
    """Where a module the caller makes belongs: (arrangement_id, county_id); admins' modules to all."""
    if scope.role == Role.ADMIN or scope.everything:
        return None, None
    if scope.arrangement_id is not None:
        return scope.arrangement_id, None
    if scope.county_ids and len(scope.county_ids) == 1:
        return None, next(iter(scope.county_ids))
    raise Forbidden(N_("text modules belong to an arrangement or a county"))


def _visible(scope: Scope) -> Fragment:
    """The modules the caller may use: everyone's, and their arrangement's or counties' (admins: all)."""
    if scope.everything:
        return fragment("TRUE")
    return fragment("((arrangement_id IS NULL AND county_id IS NULL) OR arrangement_id = {} OR county_id = ANY({}))",
                    scope.arrangement_id or -1, sorted(scope.county_ids or ()))


async def list_modules(scope: Scope) -> list[dict[str, Any]]:
    """The modules the caller may use, by title; each says whether the caller may change it."""
    scope.require(Permission.TICKETS_WORK)
    rows = await fetch(f"SELECT {_COLUMNS} FROM text_module WHERE {{}} ORDER BY title, id", _visible(scope))  # noqa: S608
    return [{**row, "editable": _may_change(scope, row)} for row in rows]


def _may_change(scope: Scope, row: dict[str, Any]) -> bool:
    if scope.everything:
        return True
    return (row["arrangement_id"], row["county_id"]) == _owner_or_none(scope)


def _owner_or_none(scope: Scope) -> tuple[int | None, int | None] | None:
    try:
        return _owner(scope)
    except Forbidden:
        return None


# A text module's fields as its form names them (its `body` is the text, not a comment).
FIELD_LABELS = {"title": N_("Title"), "body": N_("Text")}


def _validate(title: str, body: str) -> list[FieldError]:
    errors: list[FieldError] = []
    rules.one_to(errors, "title", title, MAX_TITLE)
    rules.one_to(errors, "body", body, MAX_BODY)
    return errors


async def save_module(scope: Scope, *, title: str, body: str, module_id: int | None = None) -> dict[str, Any]:
    """Create a module for the caller's arrangement or county (admins: for everyone), or change one."""
    scope.require(Permission.TICKETS_WORK)
    title, body = title.strip(), body.strip()
    errors = _validate(title, body)
    if errors:
        raise ValidationFailed(errors, labels=FIELD_LABELS)
    async with atomic():
        if module_id is None:
            arrangement_id, county_id = _owner(scope)
            rows = await fetch(f"INSERT INTO text_module (arrangement_id, county_id, title, body) "  # noqa: S608
                               f"VALUES ({{}}, {{}}, {{}}, {{}}) RETURNING {_COLUMNS}",
                               arrangement_id, county_id, title, body)
            before = None
        else:
            before = await _changeable(scope, module_id)
            rows = await fetch(f"UPDATE text_module SET title = {{}}, body = {{}}, updated_at = now() "  # noqa: S608
                               f"WHERE id = {{}} RETURNING {_COLUMNS}", title, body, module_id)
        row = dict(rows[0])
        await audit.record(scope, "text_module.save", object_type="text_module", object_id=row["id"],
                           county_id=row["county_id"], before=_plain(before), after=_plain(row))
    return row


async def delete_module(scope: Scope, module_id: int) -> None:
    scope.require(Permission.TICKETS_WORK)
    async with atomic():
        before = await _changeable(scope, module_id)
        await fetch("DELETE FROM text_module WHERE id = {}", module_id)
        await audit.record(scope, "text_module.delete", object_type="text_module", object_id=module_id,
                           county_id=before["county_id"], before=_plain(before))


async def _changeable(scope: Scope, module_id: int) -> dict[str, Any]:
    rows = await fetch(f"SELECT {_COLUMNS} FROM text_module WHERE id = {{}} FOR UPDATE", module_id)  # noqa: S608
    if not rows:
        raise NotFound(MODULE_NOT_FOUND)
    row = dict(rows[0])
    if not _may_change(scope, row):
        visible = await fetch("SELECT 1 FROM text_module WHERE id = {} AND {}", module_id, _visible(scope))
        if not visible:
            raise NotFound(MODULE_NOT_FOUND)
        raise Forbidden(N_("this text module belongs to another team"))
    return row


def _plain(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {k: row[k] for k in ("arrangement_id", "county_id", "title", "body")}


async def for_ticket(scope: Scope, ticket: dict[str, Any]) -> list[dict[str, str]]:
    """`title` and `text` of the modules the caller may use, filled in for the ticket; {bearbeiter} is the
    caller's display name, never their e-mail address (a public comment shows it to the reporter)."""
    rows = await list_modules(scope)
    me = await directory.display_names([scope.actor.user_id] if scope.actor.user_id is not None else [])
    name = me[0]["display_name"] if me else ""
    return [{"title": row["title"], "text": fill(row["body"], ticket, name)} for row in rows]


def fill(body: str, ticket: dict[str, Any], supporter_name: str) -> str:
    """The module's text for this ticket: placeholders replaced by the ticket's values."""
    values = {"schule": ticket.get("school_name") or "", "ticket": ticket.get("number") or "",
              "name": ticket.get("reporter_name") or "", "bearbeiter": supporter_name}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], body)
