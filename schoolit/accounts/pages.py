"""The pages of the accounts domain: login and logout, the users and tokens admin pages, the audit page
(the JSON API is in `schoolit.accounts.api`).

Thin: parse, call a service with the caller's Scope, shape the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from schoolit import form_flow, lists, rules
from schoolit.accounts import audit, audit_labels, credentials, services, sessions, tokens
from schoolit.accounts.auth import Caller, expired_session_cookie, session_id_of
from schoolit.accounts.choices import PERSON_ROLES, ROLE_LABELS
from schoolit.accounts.credential_pages import begin_login, scope_options, too_many_attempts
from schoolit.accounts.schemas import audit_events
from schoolit.accounts.scope import Scope
from schoolit.accounts.sso import services as sso
from schoolit.errors import FieldError, ValidationFailed
from schoolit.kernel import labels
from schoolit.kernel.access import Permission, public, requires
from schoolit.kernel.form_limits import at_fields
from schoolit.kernel.i18n import N_
from schoolit.kernel.i18n import gettext as _
from schoolit.kernel.requests import client_ip, request_id
from schoolit.kernel.times import berlin_time
from schoolit.kernel.urls import local_path
from schoolit.settings import get_settings

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
        result = await sessions.authenticate(data.email, data.password, client_ip=client_ip(request),
                                             request_id=request_id(request))
        context = {"next": local_path(data.next), "email": data.email}
        if result.retry_after is not None:
            return Template("accounts/login.html", status_code=429, headers={"Retry-After": str(result.retry_after)},
                            context={**context, "error": too_many_attempts(result.retry_after)})
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
            await sessions.end_session(session_id)
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

    @post("/users", opt=at_fields(requires(Permission.USERS_MANAGE)), status_code=200)
    async def create_user(
        self, request: Request[Any, Any, Any], caller: Caller, data: URLEncodedBody[NewUserForm],
    ) -> Template:
        outcome = await form_flow.attempt(request, lambda: services.create_user(
            caller, email=data.email, display_name=data.display_name, role=data.role,
            ref=services.UserScopeRef(county_slug=data.county or None, arrangement_slug=data.arrangement or None,
                                      school_number=data.school or None)), conflict=True)
        if isinstance(outcome, form_flow.Refused):
            return await self._users_page(caller, status_code=outcome.status, form=data, errors=outcome.errors,
                                          problem=outcome.problem or None)
        user, password = outcome.value
        return await self._users_page(caller, created=user, generated_password=password)

    @get("/tokens", name="admin_tokens", opt=requires(Permission.USERS_MANAGE))
    async def tokens(self, caller: Caller) -> Template:
        return Template("accounts/tokens.html", context={"tokens": await tokens.list_tokens(caller)})

    @post("/tokens/{token_id:int}/revoke", opt=requires(Permission.USERS_MANAGE), status_code=303)
    async def revoke_token(self, caller: Caller, token_id: FromPath[int]) -> Redirect:
        await tokens.revoke_token(caller, token_id)
        return Redirect(path="/admin/tokens", status_code=303)


def _day(errors: list[FieldError], value: str | None, field: str) -> dt.datetime | None:
    """The start of the day a date filter names (UTC midnight), None when empty; a malformed one goes to
    `errors` (its German message is shown at the field)."""
    day = rules.day(errors, field, value.strip() if value else None)
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) if day is not None else None


# The audit log's filters as an error page names them.
labels.register({"actor": N_("Actor"), "action": N_("Action"), "object_type": N_("Object type"),
                 "object_id": N_("Object id")})
# The audit log's table and CSV columns; the sort keys are audit.SORTS.
AUDIT_COLUMNS = (
    lists.Column(N_("Time"), "at", lambda e: berlin_time(e["at"], seconds=True)),
    lists.Column(N_("Actor"), "actor", lambda e: e["actor_label"] or e["actor_kind"]),
    lists.Column(N_("Action"), "action", lambda e: audit_labels.action_label(e["action"])),
    lists.Column(N_("Object"), "object", lambda e: e["object"]),
    lists.Column(N_("Address"), None, lambda e: e["client_ip"] or ""),
)


class AuditPage(Controller):
    include_in_schema = False

    @get("/audit", name="audit", opt=requires(Permission.AUDIT_READ))
    async def audit_page(
        self, request: Request[Any, Any, Any], caller: Caller, actor: OptionalText = None,
        action: OptionalText = None, object_type: OptionalText = None, object_id: OptionalText = None,
        since: OptionalText = None, until: OptionalText = None,
    ) -> Response[Any]:
        """The audit log: filters by actor, kind of action, object and days (Europe/Berlin), sortable
        columns, pager with the total, and the CSV of what is shown."""
        wanted = lists.params(request.query_params, default_sort=audit.DEFAULT_SORT, sorts=audit.SORTS)
        if action and not audit_labels.is_action_kind(action):
            raise ValidationFailed([FieldError("action", rules.NOT_ALLOWED)])
        problems = audit.searched_too_long(actor=actor, object_id=object_id)
        since_day, until_day = _day(problems, since, "since"), _day(problems, until, "until")
        rows: list[dict[str, Any]] = []
        total = 0
        if not problems:  # a malformed filter lists nothing: the page says so at the field (422)
            rows, total = await audit.list_events(
                caller, actor=actor, action=audit_labels.action_prefix(action) if action else None,
                object_type=object_type, object_id=object_id, since=since_day,
                until=until_day + dt.timedelta(days=1) if until_day else None, limit=wanted.fetch_limit,
                offset=wanted.fetch_offset, sort=wanted.sort)
        events = audit_events(rows)
        named = await audit_labels.name_objects(caller, ((e.object_type, e.object_id) for e in events))
        objects = [_shown_object(e, named.get((e.object_type or "", e.object_id or ""))) for e in events]
        view = lists.view("/audit", request.query_params, AUDIT_COLUMNS, wanted, total=total, shown=len(events),
                          default_sort=audit.DEFAULT_SORT)
        if wanted.csv and not problems:
            return lists.csv_response(view, [{**msgspec.structs.asdict(e), "object": o["text"]}
                                             for e, o in zip(events, objects, strict=True)], "audit-log.csv")
        return Template("accounts/audit.html", status_code=422 if problems else 200, context={
            "entries": list(zip(events, objects, strict=True)), "view": view,
            "object_types": audit_labels.object_types(), "action_kinds": audit_labels.action_kinds(),
            "audit_action": audit_labels.action_label,
            "errors": {e.field: _(e.message) for e in problems},
            "filters": {"actor": actor or "", "action": action or "", "object_type": object_type or "",
                        "object_id": object_id or "", "since": since or "", "until": until or ""},
        })


def _shown_object(event: Any, named: audit_labels.Named | None) -> dict[str, Any]:
    """An entry's object as the page and its CSV show it: in words, with its page where it has one."""
    return {"text": audit_labels.object_text(event.object_type, event.object_id, named),
            "href": named.href if named is not None else None}
