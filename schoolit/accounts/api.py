"""The JSON API of the accounts domain under /api/v1: who am I, counties, arrangements, users, tokens,
the audit log; and the admins' tenant administration (counties, arrangements and their members).

Thin: parse, call a service with the caller's Scope, shape the answer; the tenant rules are in
`schoolit.accounts.tenants`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from schoolit.accounts import audit, credentials, services, tenants, tokens, twofactor
from schoolit.accounts.auth import Caller
from schoolit.accounts.choices import ShareRule
from schoolit.accounts.schemas import (
    ArrangementAdminOut,
    ArrangementIn,
    ArrangementOut,
    AuditEventOut,
    CountyAdminOut,
    CountyIn,
    CountyOut,
    MemberIn,
    MeOut,
    PasswordResetOut,
    SharesIn,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserCreated,
    UserDetailOut,
    UserIn,
    UserOut,
    UserUpdateIn,
    audit_events,
)
from schoolit.errors import Forbidden
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.access import authenticated as any_login
from schoolit.kernel.i18n import N_
from schoolit.schemas import Limit, Offset, Page
from schoolit.settings import get_settings

OptionalText = FromQuery[str | None]
OptionalTime = FromQuery[dt.datetime | None]
MANAGE_TENANTS = requires(Permission.TENANTS_MANAGE)
MANAGE_USERS = requires(Permission.USERS_MANAGE)


class AccountsApi(Controller):
    """`/api/v1`: who am I, counties, arrangements, users, tokens, audit log."""

    tags = ["accounts"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/me", opt=any_login())
    async def me(self, caller: Caller) -> MeOut:
        counties = None if caller.county_ids is None else sorted(caller.county_ids)
        return MeOut(role=caller.role.value, actor_kind=caller.actor.kind.value, actor_id=caller.actor.id,
                     label=caller.actor.label, county_ids=counties, school_id=caller.school_id,
                     arrangement_id=caller.arrangement_id)

    @get("/counties", opt=any_login())
    async def counties(self, caller: Caller) -> Page[CountyOut]:
        rows = await services.list_counties(caller)
        return Page(items=msgspec.convert(rows, list[CountyOut]), total=len(rows))

    @get("/counties/{county_id:int}", opt=any_login())
    async def county(self, caller: Caller, county_id: FromPath[int]) -> CountyOut:
        return msgspec.convert(await services.get_county(caller, county_id), CountyOut)

    @get("/arrangements", opt=any_login())
    async def arrangements(self, caller: Caller) -> Page[ArrangementOut]:
        rows = await services.list_arrangements(caller)
        return Page(items=msgspec.convert(rows, list[ArrangementOut]), total=len(rows))

    @get("/users", opt=requires(Permission.USERS_MANAGE))
    async def users(self, caller: Caller, limit: Limit = 50, offset: Offset = 0) -> Page[UserOut]:
        rows = await services.list_users(caller)
        return Page(items=msgspec.convert(rows[offset:offset + limit], list[UserOut]), total=len(rows))

    @post("/users", opt=requires(Permission.USERS_MANAGE), status_code=HTTP_201_CREATED)
    async def create_user(self, caller: Caller, data: JSONBody[UserIn]) -> UserCreated:
        user, password = await services.create_user(
            caller, email=data.email, display_name=data.display_name, role=data.role, password=data.password,
            ref=data.ref())
        return UserCreated(user=msgspec.convert(user, UserOut), generated_password=password)


    @get("/tokens", opt=any_login())
    async def tokens(self, caller: Caller) -> Page[TokenOut]:
        rows = await tokens.list_tokens(caller)
        return Page(items=msgspec.convert(rows, list[TokenOut]), total=len(rows))

    @post("/tokens", opt=any_login(), status_code=HTTP_201_CREATED)
    async def create_token(self, caller: Caller, data: JSONBody[TokenIn]) -> TokenCreated:
        if caller.actor.user_id is None:
            raise Forbidden(N_("only people create tokens"))
        token, row = await tokens.create_token(caller, user_id=caller.actor.user_id, name=data.name,
                                                 expires_days=data.expires_days)
        return TokenCreated(token=token, details=msgspec.convert(row, TokenOut))

    @delete("/tokens/{token_id:int}", opt=any_login(), status_code=200)
    async def revoke_token(self, caller: Caller, token_id: FromPath[int]) -> TokenOut:
        return msgspec.convert(await tokens.revoke_token(caller, token_id), TokenOut)

    @get("/audit", opt=requires(Permission.AUDIT_READ))
    async def audit_log(
        self, caller: Caller, actor: OptionalText = None, action: OptionalText = None, object_type: OptionalText = None,
        object_id: OptionalText = None, since: OptionalTime = None, until: OptionalTime = None,
        limit: Limit = 50, offset: Offset = 0,
    ) -> Page[AuditEventOut]:
        rows, total = await audit.list_events(caller, actor=actor, action=action, object_type=object_type,
                                              object_id=object_id, since=since, until=until, limit=limit,
                                              offset=offset)
        return Page(items=audit_events(rows), total=total)


async def _user_detail(user: dict[str, Any]) -> UserDetailOut:
    state = await twofactor.status(user["id"])
    return UserDetailOut(user=msgspec.convert(user, UserOut), two_factor_enrolled=state["enrolled"],
                         recovery_codes_left=state["recovery_codes_left"])


class UserAdminApi(Controller):
    """`/api/v1/users/{user_id}`: what the user page does (`schoolit.accounts.credential_pages`), through
    the same services and rules: read, change name, role and scope, disable and enable, a one-time
    password-reset link, reset the second factor. Every change is audited by the services."""

    path = "/users/{user_id:int}"
    tags = ["accounts"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/", opt=MANAGE_USERS, summary="A user and the state of their second factor")
    async def user(self, caller: Caller, user_id: FromPath[int]) -> UserDetailOut:
        return await _user_detail(await credentials.get_user(caller, user_id))

    @put("/", opt=MANAGE_USERS, summary="Change a user's name, role and scope (their sessions end on a new scope)")
    async def update_user(self, caller: Caller, user_id: FromPath[int], data: JSONBody[UserUpdateIn]) -> UserDetailOut:
        return await _user_detail(await credentials.update_user(
            caller, user_id, display_name=data.display_name, role=data.role, ref=data.ref()))

    @post("/disable", opt=MANAGE_USERS, status_code=200,
          summary="Disable a user: no login, sessions end, tokens stop (409 for oneself and the last admin)")
    async def disable_user(self, caller: Caller, user_id: FromPath[int]) -> UserOut:
        return msgspec.convert(await services.disable_user(caller, user_id), UserOut)

    @post("/enable", opt=MANAGE_USERS, status_code=200, summary="Enable a disabled user again")
    async def enable_user(self, caller: Caller, user_id: FromPath[int]) -> UserOut:
        return msgspec.convert(await credentials.enable_user(caller, user_id), UserOut)

    @post("/password-reset", opt=MANAGE_USERS, status_code=HTTP_201_CREATED,
          summary="A one-time link to set a new password (returned once; earlier links stop working)")
    async def password_reset(self, caller: Caller, user_id: FromPath[int]) -> PasswordResetOut:
        token, expires_at = await credentials.create_password_reset(caller, user_id)
        return PasswordResetOut(user_id=user_id, link=f"{get_settings().public_url}/password-reset/{token}",
                                expires_at=expires_at)

    @post("/two-factor/reset", opt=MANAGE_USERS, status_code=200,
          summary="Reset a user's second factor: secret and recovery codes go, sessions end, they enrol again")
    async def reset_two_factor(self, caller: Caller, user_id: FromPath[int]) -> UserDetailOut:
        return await _user_detail(await twofactor.reset(caller, user_id))


def _county_out(row: dict[str, Any]) -> CountyAdminOut:
    return CountyAdminOut(id=row["id"], name=row["name"], slug=row["slug"], ags=row["ags"], seat=row["seat"],
                          state=row["state"], retired=row["retired_at"] is not None,
                          arrangement_id=row.get("arrangement_id"))


def _arrangement_out(row: dict[str, Any]) -> ArrangementAdminOut:
    return msgspec.convert({k: row[k] for k in ("id", "name", "slug", "lead_county_id", "share_rule", "members")},
                           ArrangementAdminOut)


def _given(data: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}


class TenantApi(Controller):
    """`/api/v1`: create, change and retire counties; arrangements and their members (admins)."""

    tags = ["accounts"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @post("/counties", opt=MANAGE_TENANTS, status_code=HTTP_201_CREATED, summary="Create a county")
    async def create_county(self, caller: Caller, data: JSONBody[CountyIn]) -> CountyAdminOut:
        return _county_out(await tenants.create_county(caller, _given(data)))

    @patch("/counties/{county_id:int}", opt=MANAGE_TENANTS, summary="Rename or change a county")
    async def update_county(self, caller: Caller, county_id: FromPath[int], data: JSONBody[CountyIn]) -> CountyAdminOut:
        return _county_out(await tenants.update_county(caller, county_id, _given(data)))

    @post("/counties/{county_id:int}/retire", opt=MANAGE_TENANTS, status_code=200,
          summary="Retire a county (409 while it has open tickets or leads an arrangement)")
    async def retire_county(self, caller: Caller, county_id: FromPath[int]) -> CountyAdminOut:
        return _county_out(await tenants.retire_county(caller, county_id))

    @post("/arrangements", opt=MANAGE_TENANTS, status_code=HTTP_201_CREATED, summary="Create an arrangement")
    async def create_arrangement(self, caller: Caller, data: JSONBody[ArrangementIn]) -> ArrangementAdminOut:
        return _arrangement_out(await tenants.create_arrangement(
            caller, name=data.name or "", slug=data.slug or "", lead_county_id=data.lead_county_id,
            share_rule=data.share_rule or ShareRule.HOURS.value, shares=data.shares))

    @patch("/arrangements/{arrangement_id:int}", opt=MANAGE_TENANTS, summary="Rename, set lead county, share rule")
    async def update_arrangement(self, caller: Caller, arrangement_id: FromPath[int],
                                 data: JSONBody[ArrangementIn]) -> ArrangementAdminOut:
        return _arrangement_out(await tenants.update_arrangement(
            caller, arrangement_id, name=data.name, slug=data.slug, lead_county_id=data.lead_county_id,
            share_rule=data.share_rule, shares=data.shares))

    @post("/arrangements/{arrangement_id:int}/members", opt=MANAGE_TENANTS, status_code=200,
          summary="Add a county to an arrangement")
    async def add_member(self, caller: Caller, arrangement_id: FromPath[int],
                         data: JSONBody[MemberIn]) -> ArrangementAdminOut:
        return _arrangement_out(await tenants.add_member(caller, arrangement_id, data.county_id, data.shares))

    @post("/arrangements/{arrangement_id:int}/members/{county_id:int}/remove", opt=MANAGE_TENANTS, status_code=200,
          summary="Remove a county from an arrangement")
    async def remove_member(self, caller: Caller, arrangement_id: FromPath[int], county_id: FromPath[int],
                            data: JSONBody[SharesIn | None] = None) -> ArrangementAdminOut:
        return _arrangement_out(await tenants.remove_member(caller, arrangement_id, county_id,
                                                            data.shares if data else None))

    @post("/arrangements/{arrangement_id:int}/dissolve", opt=MANAGE_TENANTS, status_code=200,
          summary="Dissolve an arrangement (409 while users are scoped to it)")
    async def dissolve_arrangement(self, caller: Caller, arrangement_id: FromPath[int]) -> ArrangementAdminOut:
        return _arrangement_out(await tenants.dissolve_arrangement(caller, arrangement_id))
