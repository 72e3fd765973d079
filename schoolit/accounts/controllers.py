"""HTTP layer of the accounts domain: login/logout pages, admin pages, audit page and the API.

Thin: parse, call a service with the caller's Scope, shape the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_201_CREATED

from schoolit.accounts import audit, credentials, services
from schoolit.accounts.auth import Caller, expired_session_cookie, session_id_of
from schoolit.accounts.choices import PERSON_ROLES, ROLE_LABELS
from schoolit.accounts.credential_controllers import begin_login, field_errors, scope_options
from schoolit.accounts.schemas import (
    ArrangementOut,
    AuditEventOut,
    CountyOut,
    MeOut,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserCreated,
    UserIn,
    UserOut,
)
from schoolit.accounts.scope import Scope
from schoolit.accounts.sso import services as sso
from schoolit.errors import Conflict, FieldError, Forbidden, ValidationFailed
from schoolit.kernel.access import Permission, public, requires
from schoolit.kernel.access import authenticated as any_login
from schoolit.kernel.i18n import gettext as _
from schoolit.kernel.urls import local_path
from schoolit.schemas import Limit, Offset, Page
from schoolit.settings import get_settings


def _client_ip(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


OptionalText = FromQuery[str | None]
OptionalTime = FromQuery[dt.datetime | None]


class LoginForm(msgspec.Struct):
    email: str = ""
    password: str = ""
    next: str = "/"


class AuthPages(Controller):
    include_in_schema = False

    @get("/login", name="login", opt=public())
    async def login_form(self, next_: Annotated[str, QueryParameter(name="next")] = "/") -> Template:
        return Template("accounts/login.html", context={"next": local_path(next_), "email": "", "error": None,
                                                        "sign_in_options": await sso.login_options()})

    @post("/login", opt=public(), status_code=303)
    async def login(
        self, request: Request[Any, Any, Any],
        data: URLEncodedBody[LoginForm],
    ) -> Response[Any]:
        result = await services.authenticate(data.email, data.password, client_ip=_client_ip(request),
                                             request_id=request.scope.get("state", {}).get("request_id", ""))
        context = {"next": local_path(data.next), "email": data.email}
        if result.retry_after is not None:
            minutes = max(1, round(result.retry_after / 60))
            return Template("accounts/login.html", status_code=429, headers={"Retry-After": str(result.retry_after)},
                            context={**context, "error": _("Too many failed attempts. Please try again in "
                                                           "%(minutes)s minutes.", minutes=minutes)})
        if result.password_off:
            return Template("accounts/login.html", status_code=403, context={
                **context, "sign_in_options": await sso.login_options(),
                "error": _("Signing in with a password is switched off for your role: please sign in through "
                           "your organisation.")})
        if result.user is None:
            return Template("accounts/login.html", status_code=401,
                            context={**context, "error": _("E-mail address or password is wrong.")})
        return await begin_login(request, result.user, data.next)

    @post("/logout", name="logout", opt=public(), status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session_id = session_id_of(request)
        if session_id:
            await services.end_session(session_id)
        response: Response[Any] = Redirect(path="/login", status_code=303)
        response.set_cookie(expired_session_cookie(get_settings()))
        return response


class NewUserForm(msgspec.Struct):
    email: str = ""
    display_name: str = ""
    role: str = ""
    county: str = ""
    arrangement: str = ""
    school: str = ""


class AdminPages(Controller):
    path = "/admin"
    include_in_schema = False

    async def _users_page(self, caller: Scope, *, status_code: int = 200, **context: Any) -> Template:
        users = await services.list_users(caller)
        return Template("accounts/users.html", status_code=status_code, context={
            "users": users, "roles": PERSON_ROLES, "role_labels": ROLE_LABELS,
            "names": await credentials.scope_names(users), **await scope_options(caller),
            "form": context.pop("form", NewUserForm()), "errors": context.pop("errors", {}), **context,
        })

    @get("/users", name="admin_users", opt=requires(Permission.USERS_MANAGE))
    async def users(self, caller: Caller) -> Template:
        return await self._users_page(caller)

    @post("/users", opt=requires(Permission.USERS_MANAGE), status_code=200)
    async def create_user(
        self, caller: Caller, data: URLEncodedBody[NewUserForm],
    ) -> Template:
        try:
            user, password = await services.create_user(
                caller, email=data.email, display_name=data.display_name, role=data.role,
                ref=services.UserScopeRef(county_slug=data.county or None, arrangement_slug=data.arrangement or None,
                                          school_number=data.school or None))
        except ValidationFailed as exc:
            return await self._users_page(caller, status_code=422, form=data, errors=field_errors(exc))
        except Conflict as exc:
            return await self._users_page(caller, status_code=409, form=data, problem=_(exc.detail))
        return await self._users_page(caller, created=user, generated_password=password)

    @get("/tokens", name="admin_tokens", opt=requires(Permission.USERS_MANAGE))
    async def tokens(self, caller: Caller) -> Template:
        return Template("accounts/tokens.html", context={"tokens": await services.list_tokens(caller)})

    @post("/tokens/{token_id:int}/revoke", opt=requires(Permission.USERS_MANAGE), status_code=303)
    async def revoke_token(self, caller: Caller, token_id: FromPath[int]) -> Redirect:
        await services.revoke_token(caller, token_id)
        return Redirect(path="/admin/tokens", status_code=303)


def _parse_day(value: str | None, field: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.UTC)
    except ValueError:
        raise ValidationFailed([FieldError(field, "must be a date like 2026-11-22")]) from None


def _audit_rows(rows: list[dict[str, Any]]) -> list[AuditEventOut]:
    for row in rows:
        row["client_ip"] = str(row["client_ip"]) if row["client_ip"] is not None else None
    return msgspec.convert(rows, list[AuditEventOut])


class AuditPage(Controller):
    include_in_schema = False

    @get("/audit", name="audit", opt=requires(Permission.AUDIT_READ))
    async def audit_page(
        self, caller: Caller, actor: OptionalText = None, object_type: OptionalText = None,
        object_id: OptionalText = None, since: OptionalText = None, until: OptionalText = None, offset: Offset = 0,
    ) -> Template:
        until_day = _parse_day(until, "until")
        rows, total = await audit.list_events(
            caller, actor=actor, object_type=object_type, object_id=object_id, since=_parse_day(since, "since"),
            until=until_day + dt.timedelta(days=1) if until_day else None, limit=100, offset=offset)
        return Template("accounts/audit.html", context={
            "events": _audit_rows(rows), "total": total, "offset": offset,
            "filters": {"actor": actor or "", "object_type": object_type or "", "object_id": object_id or "",
                        "since": since or "", "until": until or ""},
        })


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
            ref=services.UserScopeRef(county_slug=data.county, arrangement_slug=data.arrangement,
                                      school_number=data.school))
        return UserCreated(user=msgspec.convert(user, UserOut), generated_password=password)

    @post("/users/{user_id:int}/disable", opt=requires(Permission.USERS_MANAGE), status_code=200)
    async def disable_user(self, caller: Caller, user_id: FromPath[int]) -> UserOut:
        return msgspec.convert(await services.disable_user(caller, user_id), UserOut)

    @get("/tokens", opt=any_login())
    async def tokens(self, caller: Caller) -> Page[TokenOut]:
        rows = await services.list_tokens(caller)
        return Page(items=msgspec.convert(rows, list[TokenOut]), total=len(rows))

    @post("/tokens", opt=any_login(), status_code=HTTP_201_CREATED)
    async def create_token(self, caller: Caller, data: JSONBody[TokenIn]) -> TokenCreated:
        if caller.actor.user_id is None:
            raise Forbidden("only people create tokens")
        token, row = await services.create_token(caller, user_id=caller.actor.user_id, name=data.name,
                                                 expires_days=data.expires_days)
        return TokenCreated(token=token, details=msgspec.convert(row, TokenOut))

    @delete("/tokens/{token_id:int}", opt=any_login(), status_code=200)
    async def revoke_token(self, caller: Caller, token_id: FromPath[int]) -> TokenOut:
        return msgspec.convert(await services.revoke_token(caller, token_id), TokenOut)

    @get("/audit", opt=requires(Permission.AUDIT_READ))
    async def audit_log(
        self, caller: Caller, actor: OptionalText = None, action: OptionalText = None, object_type: OptionalText = None,
        object_id: OptionalText = None, since: OptionalTime = None, until: OptionalTime = None,
        limit: Limit = 50, offset: Offset = 0,
    ) -> Page[AuditEventOut]:
        rows, total = await audit.list_events(caller, actor=actor, action=action, object_type=object_type,
                                              object_id=object_id, since=since, until=until, limit=limit,
                                              offset=offset)
        return Page(items=_audit_rows(rows), total=total)
