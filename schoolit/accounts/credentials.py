"""User administration beyond creating users, and passwords: editing a user's role and scope,
disabling and re-enabling, one-time password-reset links, and every user's own password change.

An admin is never the last one lost: disabling or demoting the last active admin is refused
(`services.keep_an_admin`). Every change is audited; password hashes and link tokens never are.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from schoolit import rules
from schoolit.accounts import audit, schools
from schoolit.accounts.choices import Role
from schoolit.accounts.scope import Scope
from schoolit.accounts.security import MIN_PASSWORD_LENGTH, digest, hash_password, verify_password
from schoolit.accounts.services import (
    USER_COLUMNS,
    UserScopeRef,
    keep_an_admin,
    now,
    resolve_user_scope,
    role_of_person,
    scope_for_user,
)
from schoolit.accounts.sessions import forgive_login_attempt, reserve_login_attempt
from schoolit.accounts.tables import Arrangement, County, PasswordReset, User, WebSession
from schoolit.db import atomic
from schoolit.errors import Conflict, FieldError, NotFound, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, gettext
from schoolit.sql import fetch

RESET_LINK_VALID = dt.timedelta(hours=48)
PASSWORD_TOO_SHORT = N_("must be at least %(count)s characters long")
PASSWORDS_DIFFER = N_("the two passwords differ")
WRONG_PASSWORD = N_("the current password is wrong")
TOO_MANY_ATTEMPTS = N_("too many wrong attempts; try again in a few minutes")
RESET_LINK_INVALID = N_("This link is invalid, expired or already used. Ask an administrator for a new one.")


async def _user(user_id: int) -> dict[str, Any]:
    user = await User.select(*USER_COLUMNS).where(User.id == user_id).first()
    if user is None:
        raise NotFound(rules.USER_NOT_FOUND)
    return user


async def get_user(scope: Scope, user_id: int) -> dict[str, Any]:
    scope.require(Permission.USERS_MANAGE)
    return await _user(user_id)


async def update_user(scope: Scope, user_id: int, *, display_name: str, role: str,
                      ref: UserScopeRef) -> dict[str, Any]:
    """Change a user's name, role and scope (by natural keys, as the form picks them by name)."""
    scope.require(Permission.USERS_MANAGE)
    errors: list[FieldError] = []
    display_name = display_name.strip()
    if not display_name or len(display_name) > 200:
        errors.append(FieldError("display_name", N_("must not be empty (at most 200 characters)")))
    person_role = role_of_person(role, errors)
    scope_ids = {} if person_role is None else await resolve_user_scope(person_role, ref, errors)
    if errors:
        raise ValidationFailed(errors)
    async with atomic():
        before = await _user(user_id)
        if before["role"] == Role.ADMIN and role != Role.ADMIN and before["active"]:
            await keep_an_admin(user_id)
        values: dict[Any, Any] = {User.display_name: display_name, User.role: role, User.updated_at: now(),
                                  **{getattr(User, k): v for k, v in scope_ids.items()}}
        await User.update(values).where(User.id == user_id)
        after = await _user(user_id)
        if (before["role"], before["county_id"], before["arrangement_id"], before["school_id"]) != \
                (after["role"], after["county_id"], after["arrangement_id"], after["school_id"]):
            # What the user may see changed: their open sessions end, so none keeps the old scope.
            await WebSession.delete().where(WebSession.user_id == user_id)
        await audit.record(scope, "user.update", object_type="user", object_id=user_id,
                           county_id=after["county_id"], before=before, after=after)
    return after


async def enable_user(scope: Scope, user_id: int) -> dict[str, Any]:
    """Re-enable a disabled user (their old sessions and links stay ended)."""
    scope.require(Permission.USERS_MANAGE)
    async with atomic():
        before = await _user(user_id)
        if before["active"]:
            return before
        await User.update({User.active: True, User.updated_at: now()}).where(User.id == user_id)
        after = {**before, "active": True}
        await audit.record(scope, "user.enable", object_type="user", object_id=user_id,
                           county_id=before["county_id"], before=before, after=after)
    return after


def _check_new_password(password: str, field: str = "new_password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:  # the length named, as every limit names its number
        raise ValidationFailed([FieldError(field, gettext(PASSWORD_TOO_SHORT, count=MIN_PASSWORD_LENGTH))])


async def change_own_password(scope: Scope, *, current: str, new: str, keep_session: str | None) -> None:
    """A user changes their own password; the current one is required (wrong ones count like wrong
    logins). Every other session of the user ends; `keep_session` (the caller's) stays."""
    user_id = scope.actor.user_id
    if user_id is None:
        raise NotFound(rules.USER_NOT_FOUND)
    row = await User.select(User.email, User.password_hash, User.county_id, User.id).where(User.id == user_id).first()
    if row is None:
        raise NotFound(rules.USER_NOT_FOUND)
    attempt = await reserve_login_attempt(row["email"], scope.client_ip)
    if attempt.retry_after is not None:
        raise ValidationFailed([FieldError("current_password", TOO_MANY_ATTEMPTS)])
    if not verify_password(row["password_hash"], current):
        await audit.record(scope, "user.password_change_failure", object_type="user", object_id=user_id,
                           county_id=row["county_id"])
        raise ValidationFailed([FieldError("current_password", WRONG_PASSWORD)])
    await forgive_login_attempt(attempt)
    _check_new_password(new)
    async with atomic():
        await User.update({User.password_hash: hash_password(new), User.updated_at: now()}).where(User.id == user_id)
        others = WebSession.delete().where(WebSession.user_id == user_id)
        if keep_session:
            others = others.where(WebSession.session_hash != digest(keep_session))
        await others
        await audit.record(scope, "user.password_change", object_type="user", object_id=user_id,
                           county_id=row["county_id"])


async def create_password_reset(scope: Scope, user_id: int) -> tuple[str, dt.datetime]:
    """A one-time link token for a user (returned once; only its digest is stored) and its expiry.
    Earlier unused links of the user stop working."""
    scope.require(Permission.USERS_MANAGE)
    token = secrets.token_urlsafe(32)
    moment = now()
    async with atomic():
        user = await _user(user_id)
        await PasswordReset.update({PasswordReset.expires_at: moment}).where(
            (PasswordReset.user_id == user_id) & PasswordReset.used_at.is_null() & (PasswordReset.expires_at > moment))
        await PasswordReset.insert(PasswordReset(user_id=user_id, token_hash=digest(token),
                                                 expires_at=moment + RESET_LINK_VALID))
        await audit.record(scope, "user.password_reset_link", object_type="user", object_id=user_id,
                           county_id=user["county_id"], after={"expires_at": moment + RESET_LINK_VALID})
    return token, moment + RESET_LINK_VALID


async def password_reset_user(token: str) -> dict[str, Any] | None:
    """The (active) user a valid, unused, unexpired link is for, or None."""
    rows = await fetch("SELECT u.id, u.email, u.display_name FROM password_reset r JOIN app_user u ON u.id = r.user_id "
                       "WHERE r.token_hash = {} AND r.used_at IS NULL AND r.expires_at > now() AND u.active",
                       digest(token))
    return rows[0] if rows else None


async def reset_password(token: str, new: str, *, client_ip: str | None, request_id: str = "") -> dict[str, Any]:
    """Set a new password through a one-time link: the link is used up in the same transaction,
    and every session of the user ends."""
    _check_new_password(new, "password")
    async with atomic():
        used = await fetch("UPDATE password_reset r SET used_at = now() FROM app_user u WHERE u.id = r.user_id "
                           "AND r.token_hash = {} AND r.used_at IS NULL AND r.expires_at > now() AND u.active "
                           "RETURNING r.user_id", digest(token))
        if not used:
            raise Conflict(RESET_LINK_INVALID)
        user_id = used[0]["user_id"]
        await User.update({User.password_hash: hash_password(new), User.updated_at: now()}).where(User.id == user_id)
        await WebSession.delete().where(WebSession.user_id == user_id)
        user = await _user(user_id)
        scope = (await scope_for_user(user)).with_request(request_id, client_ip)
        await audit.record(scope, "user.password_reset", object_type="user", object_id=user_id,
                           county_id=user["county_id"])
    return user


async def scope_choices() -> list[schools.SchoolChoice]:
    """The schools a school contact can be given, by county and name (the number kept as the value).
    Only admins see this list (user administration), so it is not filtered by a scope."""
    return await schools.listing()


async def scope_names(users: list[dict[str, Any]]) -> dict[str, dict[int, str]]:
    """Names of the counties, arrangements and schools these users are scoped to, for lists."""
    school_ids = sorted({u["school_id"] for u in users if u["school_id"]})
    found = await schools.listing(school_ids) if school_ids else []
    counties = await County.select(County.id, County.name)
    arrangements = await Arrangement.select(Arrangement.id, Arrangement.name)
    return {"county": {r["id"]: r["name"] for r in counties},
            "arrangement": {r["id"]: r["name"] for r in arrangements},
            "school": {s.id: f"{s.name} ({s.school_number})" for s in found},
            "school_number": {s.id: s.school_number for s in found}}
