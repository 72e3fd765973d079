"""API tokens: creating, listing and revoking them, and the Scope a bearer token stands for.

A token is shown once when it is made and stored only as its digest; a person's token acts as that
person, a probe's token (made with the probe in `probes.py`) as the probe.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from schoolit import rules
from schoolit.accounts import audit
from schoolit.accounts.probes import scope_for_probe
from schoolit.accounts.scope import Scope
from schoolit.accounts.security import digest, new_token
from schoolit.accounts.services import TOUCH_EVERY, USER_COLUMNS, now, scope_for_user
from schoolit.accounts.tables import ApiToken, User
from schoolit.db import atomic
from schoolit.errors import FieldError, Forbidden, NotFound, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import fetch

TOKEN_COLUMNS = (ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.user_id, ApiToken.probe_id,
                 ApiToken.created_at, ApiToken.expires_at, ApiToken.revoked_at, ApiToken.last_used_at)


async def create_token(scope: Scope, *, user_id: int, name: str,
                       expires_days: int | None = None) -> tuple[str, dict[str, Any]]:
    """A new API token for a user; the token itself is returned once and never stored."""
    errors: list[FieldError] = []
    rules.not_empty(errors, "name", name)
    if expires_days is not None and not 1 <= expires_days <= 3650:
        errors.append(FieldError("expires_days", "must be between 1 and 3650"))
    if errors:
        raise ValidationFailed(errors)
    if not (scope.can(Permission.USERS_MANAGE) or scope.actor.user_id == user_id):
        raise Forbidden(N_("you may only create tokens for yourself"))
    user = await User.select(User.id, User.county_id, User.active).where(User.id == user_id).first()
    if user is None or not user["active"]:
        raise NotFound(rules.USER_NOT_FOUND)
    token, prefix, token_hash = new_token()
    expires_at = now() + dt.timedelta(days=expires_days) if expires_days else None
    async with atomic():
        rows = await ApiToken.insert(ApiToken(
            name=name.strip(), prefix=prefix, token_hash=token_hash, user_id=user_id, expires_at=expires_at,
        )).returning(*TOKEN_COLUMNS)
        await audit.record(scope, "token.create", object_type="token", object_id=rows[0]["id"],
                           county_id=user["county_id"], after=rows[0])
    return token, rows[0]



# The token and, for a probe's token, its probe (when active) in one query: probes present one on every batch.
_BEARER_LOOKUP = (
    "SELECT t.id, t.user_id, t.expires_at, t.revoked_at, t.last_used_at, p.id AS probe_row_id, "
    "p.name AS probe_name, p.county_id AS probe_county_id, p.school_id AS probe_school_id "
    "FROM api_token t LEFT JOIN probe p ON p.id = t.probe_id AND p.active WHERE t.token_hash = {}")


async def scope_for_token(token: str) -> Scope | None:
    """The Scope of a valid bearer token, or None (unknown, revoked, expired, or owner disabled)."""
    rows = await fetch(_BEARER_LOOKUP, digest(token))
    row = rows[0] if rows else None
    moment = now()
    if row is None or row["revoked_at"] is not None or (row["expires_at"] and row["expires_at"] <= moment):
        return None
    scope: Scope | None = None
    if row["user_id"] is not None:
        user = await User.select(*USER_COLUMNS).where((User.id == row["user_id"]) & (User.active == True)).first()  # noqa: E712
        scope = await scope_for_user(user, token_id=row["id"]) if user else None
    elif row["probe_row_id"] is not None:
        probe = {"id": row["probe_row_id"], "name": row["probe_name"], "county_id": row["probe_county_id"],
                 "school_id": row["probe_school_id"]}
        scope = scope_for_probe(probe, row["id"])
    if scope is not None and (row["last_used_at"] is None or moment - row["last_used_at"] > TOUCH_EVERY):
        await ApiToken.update({ApiToken.last_used_at: moment}).where(ApiToken.id == row["id"])
    return scope


async def list_tokens(scope: Scope) -> list[dict[str, Any]]:
    """All tokens for admins; a person's own tokens otherwise."""
    query = ApiToken.select(*TOKEN_COLUMNS, ApiToken.user_id.email, ApiToken.probe_id.name).order_by(
        ApiToken.id, ascending=False)
    if not scope.can(Permission.USERS_MANAGE):
        query = query.where(ApiToken.user_id == (scope.actor.user_id or -1))
    return await query



async def revoke_token(scope: Scope, token_id: int) -> dict[str, Any]:
    async with atomic():
        row = await ApiToken.select(*TOKEN_COLUMNS).where(ApiToken.id == token_id).first()
        owns = row is not None and row["user_id"] is not None and row["user_id"] == scope.actor.user_id
        if row is None or not (owns or scope.can(Permission.USERS_MANAGE)):
            raise NotFound(N_("token not found"))
        if row["revoked_at"] is not None:
            return row
        moment = now()
        await ApiToken.update({ApiToken.revoked_at: moment}).where(ApiToken.id == token_id)
        after = {**row, "revoked_at": moment}
        await audit.record(scope, "token.revoke", object_type="token", object_id=token_id, before=row, after=after)
    return after
