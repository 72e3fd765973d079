"""Services of the accounts domain: counties and arrangements, users and their scopes. API tokens are
in `tokens.py`, probe records in `probes.py`, logins and sessions in `sessions.py`.

Services own queries, transactions and rules; they never see a Request. Each call that reads tenant
data takes the caller's Scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from schoolit import rules
from schoolit.accounts import audit, schools, tenants
from schoolit.accounts.choices import PERSON_ROLES, ActorKind, Role
from schoolit.accounts.scope import Actor, Scope
from schoolit.accounts.security import (
    MIN_PASSWORD_LENGTH,
    generate_password,
    hash_password,
)
from schoolit.accounts.tables import (
    Arrangement,
    ArrangementMember,
    County,
    User,
    WebSession,
)
from schoolit.db import atomic
from schoolit.errors import Conflict, FieldError, NotFound, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import fetch, lock

TOUCH_EVERY = dt.timedelta(seconds=60)  # write last-seen times (sessions, tokens, probes) at most this often
CHOOSE_A_ROLE = N_("choose a role")
LAST_ADMIN = N_("This is the last active administrator: make another user an administrator first.")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- tenants -------------------------------------------------------------------------------------


async def county_id_by_slug(slug: str) -> int:
    row = await County.select(County.id).where(County.slug == slug).first()
    if row is None:
        raise NotFound(f"unknown county {slug!r}")
    return int(row["id"])


async def list_counties(scope: Scope) -> list[dict[str, Any]]:
    """Counties the caller may see, with the arrangement each belongs to."""
    query = County.select(
        County.id, County.name, County.slug, County.state, County.ags, County.seat,
    ).order_by(County.name)
    rows = await scope.apply(query, County.id, school_column=None)
    memberships = {m["county_id"]: m["arrangement_id"] for m in await ArrangementMember.select(
        ArrangementMember.county_id, ArrangementMember.arrangement_id)}
    for row in rows:
        row["arrangement_id"] = memberships.get(row["id"])
    return rows


async def get_county(scope: Scope, county_id: int) -> dict[str, Any]:
    scope.check(county_id, missing=rules.COUNTY_NOT_FOUND)
    for row in await list_counties(scope):
        if row["id"] == county_id:
            return row
    raise NotFound(rules.COUNTY_NOT_FOUND)


async def list_arrangements(scope: Scope) -> list[dict[str, Any]]:
    """Arrangements with at least one member county in scope, with the members the caller may see."""
    arrangements = await Arrangement.select(
        Arrangement.id, Arrangement.name, Arrangement.slug, Arrangement.lead_county_id
    ).order_by(Arrangement.name)
    members = await ArrangementMember.select(ArrangementMember.arrangement_id, ArrangementMember.county_id)
    result = []
    for arrangement in arrangements:
        county_ids = sorted(m["county_id"] for m in members
                            if m["arrangement_id"] == arrangement["id"] and scope.sees_county(m["county_id"]))
        if county_ids:
            result.append({**arrangement, "county_ids": county_ids})
    return result


# --- scopes --------------------------------------------------------------------------------------


async def arrangement_county_ids(arrangement_id: int) -> frozenset[int]:
    rows = await ArrangementMember.select(ArrangementMember.county_id).where(
        ArrangementMember.arrangement_id == arrangement_id)
    return frozenset(r["county_id"] for r in rows)


async def scope_for_user(user: dict[str, Any], token_id: int | None = None) -> Scope:
    """The Scope of a user row: its role and the counties, arrangement or school set on it."""
    arranged = user["arrangement_id"] is not None and Role(user["role"]) == Role.SUPPORTER
    return user_scope(user, await arrangement_county_ids(user["arrangement_id"]) if arranged else frozenset(),
                      token_id)


def user_scope(user: dict[str, Any], arrangement_counties: frozenset[int], token_id: int | None = None) -> Scope:
    """`scope_for_user` with the counties of the user's arrangement already read (the session's look-up
    reads them in the same statement as the user)."""
    role = Role(user["role"])
    actor = Actor(ActorKind.TOKEN if token_id else ActorKind.USER, user["id"], user["email"], token_id)
    if role == Role.ADMIN:
        return Scope(role=role, actor=actor, county_ids=None)
    if role == Role.SUPPORTER and user["arrangement_id"] is not None:
        return Scope(role=role, actor=actor, county_ids=arrangement_counties, arrangement_id=user["arrangement_id"])
    return Scope(role=role, actor=actor, county_ids=frozenset({user["county_id"]}),
                 school_id=user["school_id"] if role == Role.SCHOOL else None)


# --- users ---------------------------------------------------------------------------------------

USER_COLUMNS = (User.id, User.email, User.display_name, User.role, User.county_id, User.arrangement_id,
                User.school_id, User.active, User.last_login_at, User.created_at)


def role_of_person(role: str, errors: list[FieldError]) -> Role | None:
    """The role a person is given (a user, a sign-in mapping), or None with "choose a role" among the
    errors. There is no default: the forms preselect no role, so an admin is never made by a forgotten
    field."""
    if role in {r.value for r in PERSON_ROLES}:
        return Role(role)
    errors.append(FieldError("role", CHOOSE_A_ROLE))
    return None


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class UserScopeRef:
    """Where a new user's scope points, by natural keys (as the CLI and forms give them)."""

    county_slug: str | None = None
    arrangement_slug: str | None = None
    school_number: str | None = None


# What each role is bound to, and the one sentence that says it when a form gives something else.
_ROLE_SCOPES = {Role.ADMIN: set(), Role.SUPPORTER: {"county", "arrangement"}, Role.AUTHORITY: {"county"},
                Role.SCHOOL: {"school"}}
_ROLE_SCOPE_RULES = {
    Role.ADMIN: N_("an administrator is bound to no county, arrangement or school"),
    Role.SUPPORTER: N_("a supporter works for one county or one arrangement"),
    Role.AUTHORITY: N_("a school authority belongs to one county"),
    Role.SCHOOL: N_("a school contact belongs to one school"),
}


async def resolve_user_scope(role: Role, ref: UserScopeRef, errors: list[FieldError]) -> dict[str, int | None]:
    given = [name for name, value in (("county", ref.county_slug), ("arrangement", ref.arrangement_slug),
                                      ("school", ref.school_number)) if value]
    allowed = _ROLE_SCOPES[role]
    if len(given) > 1 or (given and given[0] not in allowed) or (allowed and not given):
        errors.append(FieldError("scope", _ROLE_SCOPE_RULES[role]))
        return {}
    result: dict[str, int | None] = {"county_id": None, "arrangement_id": None, "school_id": None}
    lookups = (
        ("county", ref.county_slug, "SELECT id AS county_id FROM county WHERE slug = {}", tenants.UNKNOWN_COUNTY),
        ("arrangement", ref.arrangement_slug, "SELECT id AS arrangement_id FROM arrangement WHERE slug = {}",
         N_("unknown arrangement")),
    )
    for field, value, sql, unknown in lookups:
        if not value:
            continue
        rows = await fetch(sql, value)
        if rows:
            result.update(rows[0])
        else:
            errors.append(FieldError(field, unknown))
    if ref.school_number:
        # Schools are inventory's: found through the lookup it registers (accounts <- inventory).
        school = await schools.by_number(ref.school_number)
        if school is None:
            errors.append(FieldError("school", rules.UNKNOWN_SCHOOL_NUMBER))
        else:
            result.update(school_id=school.id, county_id=school.county_id)
    # A retired county takes no new users, neither directly nor through one of its schools.
    await tenants.refuse_retired_county(result["county_id"], "school" if ref.school_number else "county", errors)
    return result


async def create_user(scope: Scope, *, email: str, display_name: str, role: str, ref: UserScopeRef,
                      password: str | None = None) -> tuple[dict[str, Any], str | None]:
    """Create a user; returns the user and the generated password (None when one was given)."""
    scope.require(Permission.USERS_MANAGE)
    errors: list[FieldError] = []
    email = normalise_email(email)
    if not rules.is_email(email):
        errors.append(FieldError("email", rules.NOT_AN_EMAIL))
    display_name = rules.not_empty(errors, "display_name", display_name)
    person_role = role_of_person(role, errors)
    scope_ids = {} if person_role is None else await resolve_user_scope(person_role, ref, errors)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters"))
    if errors:
        raise ValidationFailed(errors)
    if scope_ids.get("county_id") is not None and not scope.sees_county(scope_ids["county_id"]):
        raise NotFound(rules.COUNTY_NOT_FOUND)
    generated = None if password is not None else generate_password()
    async with atomic():
        if await User.exists().where(User.email == email):
            raise Conflict(N_("A user with this e-mail address exists."))
        new_user = User(email=email, display_name=display_name, role=role,
                        password_hash=hash_password(password or generated or ""))
        for column, value in scope_ids.items():
            setattr(new_user, column, value)
        rows = await User.insert(new_user).returning(*USER_COLUMNS)
        user = rows[0]
        await audit.record(scope, "user.create", object_type="user", object_id=user["id"],
                           county_id=user["county_id"], after=user)
    return user, generated


async def ensure_user(scope: Scope, *, email: str, display_name: str, role: str, ref: UserScopeRef,
                      password: str) -> dict[str, Any]:
    """Create the user, or reset an existing one's name, scope and password (demo seeding)."""
    existing = await User.select(User.id).where(User.email == normalise_email(email)).first()
    if existing is None:
        user, _ = await create_user(scope, email=email, display_name=display_name, role=role, ref=ref,
                                    password=password)
        return user
    errors: list[FieldError] = []
    scope_ids = await resolve_user_scope(Role(role), ref, errors)
    if errors:
        raise ValidationFailed(errors)
    async with atomic():
        await User.update({User.display_name: display_name, User.role: role, User.active: True,
                           User.password_hash: hash_password(password), User.updated_at: now(),
                           **{getattr(User, k): v for k, v in scope_ids.items()}}).where(User.id == existing["id"])
        updated = await User.select(*USER_COLUMNS).where(User.id == existing["id"]).first()
        assert updated is not None
        user = updated
        await audit.record(scope, "user.update", object_type="user", object_id=user["id"],
                           county_id=user["county_id"], after=user)
    return user


async def list_users(scope: Scope) -> list[dict[str, Any]]:
    scope.require(Permission.USERS_MANAGE)
    return await User.select(*USER_COLUMNS).order_by(User.email)


async def get_user_by_email(scope: Scope, email: str) -> dict[str, Any]:
    scope.require(Permission.USERS_MANAGE)
    user = await User.select(*USER_COLUMNS).where(User.email == normalise_email(email)).first()
    if user is None:
        raise NotFound(rules.USER_NOT_FOUND)
    return user


async def an_admin_exists() -> bool:
    """Whether the installation has an administrator (active or not): `schoolit setup` runs only before."""
    return bool(await User.exists().where(User.role == Role.ADMIN.value))


async def keep_an_admin(user_id: int) -> None:
    """Refuse when this user is the last active admin (called before disabling, demoting or
    deleting an admin, inside the transaction that does it). A transaction-level advisory lock makes
    two admins disabling each other at the same moment take turns, so one of them stays."""
    await lock("schoolit.last-admin")
    others = await User.count().where((User.role == Role.ADMIN.value) & (User.active == True)  # noqa: E712
                                      & (User.id != user_id))
    if not others:
        raise Conflict(LAST_ADMIN)


async def disable_user(scope: Scope, user_id: int) -> dict[str, Any]:
    """Disable a user: they cannot log in, their sessions end and their tokens stop working."""
    scope.require(Permission.USERS_MANAGE)
    async with atomic():
        before = await User.select(*USER_COLUMNS).where(User.id == user_id).first()
        if before is None:
            raise NotFound(rules.USER_NOT_FOUND)
        if scope.actor.user_id == user_id:
            raise Conflict(N_("You cannot disable yourself."))
        if before["role"] == Role.ADMIN and before["active"]:
            await keep_an_admin(user_id)
        await User.update({User.active: False, User.updated_at: now()}).where(User.id == user_id)
        await WebSession.delete().where(WebSession.user_id == user_id)
        after = {**before, "active": False}
        await audit.record(scope, "user.disable", object_type="user", object_id=user_id,
                           county_id=before["county_id"], before=before, after=after)
    return after
