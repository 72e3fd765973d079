"""Pages for credentials: the second login step (TOTP or recovery code), the enrolment of a second
factor, the own account (password change), one-time password-reset links, and the admin's user page
(edit role and scope, disable/enable, reset link, reset the second factor).

Thin: parse, call `schoolit.accounts.credentials` / `twofactor`, shape the answer. A half-finished
login (session stage `code` or `enrol`) reaches only its own step's pages: those routes are public
and look the pending session up themselves; everything else sees no login at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
import segno
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from schoolit import form_flow
from schoolit.accounts import credentials, services, sessions, twofactor
from schoolit.accounts.auth import Caller, session_cookie, session_id_of
from schoolit.accounts.choices import PERSON_ROLES, ROLE_LABELS
from schoolit.accounts.scope import Scope
from schoolit.accounts.security import MIN_PASSWORD_LENGTH
from schoolit.errors import Conflict, FieldError
from schoolit.kernel.access import Permission, authenticated, public, requires
from schoolit.kernel.form_limits import at_fields
from schoolit.kernel.i18n import gettext as _
from schoolit.kernel.i18n import ngettext
from schoolit.kernel.requests import client_ip, request_id
from schoolit.kernel.urls import local_path
from schoolit.settings import get_settings

AnyRequest = Request[Any, Any, Any]
NextParam = Annotated[str, QueryParameter(name="next")]




def _repeated(password: str, repeated: str) -> list[FieldError]:
    """The password forms' own check: the new password typed twice alike."""
    return [] if password == repeated else [FieldError("repeat_password", credentials.PASSWORDS_DIFFER)]


def too_many_attempts(retry_after: int) -> str:
    """The error of a throttled login step: when to try again, in whole minutes (one at least)."""
    minutes = max(1, round(retry_after / 60))
    return ngettext("Too many failed attempts. Please try again in %(num)s minute.",
                    "Too many failed attempts. Please try again in %(num)s minutes.", minutes)


async def _pending(request: AnyRequest, stage: str) -> dict[str, Any] | None:
    """The user of this request's half-finished login in `stage`, or None."""
    session_id = session_id_of(request)
    if not session_id:
        return None
    idle = dt.timedelta(minutes=get_settings().session_idle_minutes)
    return await sessions.user_for_session(session_id, idle, stage=stage)


async def _scope_of(request: AnyRequest, user: dict[str, Any]) -> Scope:
    return (await services.scope_for_user(user)).with_request(request_id(request), client_ip(request))


async def _logged_in(request: AnyRequest, user: dict[str, Any], next_: str) -> Response[Any]:
    """Finish a login: a new session id in the `full` stage replaces the half-finished one."""
    session_id = await sessions.start_session(
        user["id"], client_ip=client_ip(request), user_agent=request.headers.get("user-agent", ""),
        replaces=session_id_of(request), stage=sessions.FULL)
    response: Response[Any] = Redirect(path=local_path(next_), status_code=303)
    response.set_cookie(session_cookie(session_id, get_settings()))
    return response


async def begin_login(request: AnyRequest, user: dict[str, Any], next_: str) -> Response[Any]:
    """A session for someone whose password (or directory sign-in) was right, and the way on. With a
    second factor, or one their role must enrol first, the session is only half logged in: it grants
    no access, only the code or enrolment page it is sent to."""
    stage = await twofactor.login_stage(user)
    session_id = await sessions.start_session(
        user["id"], client_ip=client_ip(request), user_agent=request.headers.get("user-agent", ""),
        replaces=session_id_of(request), stage=stage)
    target = {sessions.FULL: local_path(next_), sessions.CODE: "/login/code",
              sessions.ENROL: "/account/two-factor"}[stage]
    if stage != sessions.FULL:
        target += "?" + urlencode({"next": local_path(next_)})
    response: Response[Any] = Redirect(path=target, status_code=303)
    response.set_cookie(session_cookie(session_id, get_settings()))
    return response


class CodeForm(msgspec.Struct):
    code: str = ""
    next: str = "/"


class SecondFactorPages(Controller):
    include_in_schema = False

    @get("/login/code", name="login_code", opt=public())
    async def code_form(self, request: AnyRequest, next_: NextParam = "/") -> Response[Any]:
        if await _pending(request, sessions.CODE) is None:
            return Redirect(path="/login", status_code=303)
        return Template("accounts/login_code.html", context={"next": local_path(next_), "error": None})

    @post("/login/code", opt=public(), status_code=303)
    async def code(self, request: AnyRequest, data: URLEncodedBody[CodeForm]) -> Response[Any]:
        user = await _pending(request, sessions.CODE)
        if user is None:
            return Redirect(path="/login", status_code=303)
        result = await twofactor.check_login_code(await _scope_of(request, user), user, data.code)
        context = {"next": local_path(data.next)}
        if result.retry_after is not None:
            return Template("accounts/login_code.html", status_code=429,
                            headers={"Retry-After": str(result.retry_after)},
                            context={**context, "error": too_many_attempts(result.retry_after)})
        if not result.ok:
            return Template("accounts/login_code.html", status_code=401,
                            context={**context, "error": _("The code is wrong or was already used.")})
        next_ = "/account?recovery_used=1" if result.recovery_codes_left is not None else data.next
        return await _logged_in(request, user, next_)

    async def _enrolling(self, request: AnyRequest) -> tuple[dict[str, Any] | None, bool]:
        """The enrolling user (logged in, or half logged in and required to enrol) and whether the
        login is still pending."""
        user = request.scope.get("state", {}).get("user")
        if user is not None:
            return user, False
        return await _pending(request, sessions.ENROL), True

    @get("/account/two-factor", name="two_factor", opt=public())
    async def enrolment(self, request: AnyRequest, next_: NextParam = "/") -> Response[Any]:
        user, pending = await self._enrolling(request)
        if user is None:
            return Redirect(path="/login?next=/account/two-factor", status_code=303)
        return await self._enrolment_page(user, pending, local_path(next_), {}, 200)

    async def _enrolment_page(self, user: dict[str, Any], pending: bool, next_: str, errors: dict[str, str],
                              status_code: int) -> Template:
        state = await twofactor.status(user["id"])
        context: dict[str, Any] = {"pending": pending, "next": next_, "errors": errors, **state}
        if not state["enrolled"]:
            enrolment = await twofactor.start_enrolment(user)
            context.update(secret=enrolment.secret, qr_svg=segno.make(enrolment.uri, error="m").svg_inline(
                scale=5, dark="#111", title=_("QR code for the authenticator app")))
        return Template("accounts/two_factor.html", status_code=status_code, context=context)

    @post("/account/two-factor", opt=public(), status_code=200)
    async def confirm(self, request: AnyRequest, data: URLEncodedBody[CodeForm]) -> Response[Any]:
        user, pending = await self._enrolling(request)
        if user is None:
            return Redirect(path="/login", status_code=303)
        next_ = local_path(data.next)
        scope = await _scope_of(request, user)
        try:
            outcome = await form_flow.attempt(request, lambda: twofactor.confirm_enrolment(scope, user, data.code))
        except Conflict:  # enrolled meanwhile (another tab): the page says so
            return Redirect(path="/account/two-factor", status_code=303)
        if isinstance(outcome, form_flow.Refused):
            return await self._enrolment_page(user, pending, next_, outcome.errors, outcome.status)
        response: Response[Any] = Template("accounts/recovery_codes.html", context={
            "codes": outcome.value, "next": next_})
        if pending:  # enrolled as required: the login is complete now
            session_id = await sessions.start_session(
                user["id"], client_ip=client_ip(request), user_agent=request.headers.get("user-agent", ""),
                replaces=session_id_of(request), stage=sessions.FULL)
            response.set_cookie(session_cookie(session_id, get_settings()))
        return response


class PasswordForm(msgspec.Struct):
    current_password: str = ""
    new_password: str = ""
    repeat_password: str = ""


class ResetForm(msgspec.Struct):
    password: str = ""
    repeat_password: str = ""


class AccountPages(Controller):
    include_in_schema = False

    async def _account_page(self, caller: Scope, *, status_code: int = 200, **context: Any) -> Template:
        assert caller.actor.user_id is not None
        return Template("accounts/account.html", status_code=status_code, context={
            "errors": {}, "changed": False, "recovery_used": False, "min_length": MIN_PASSWORD_LENGTH,
            **await twofactor.status(caller.actor.user_id),
            "required": caller.role.value in get_settings().require_totp_roles, **context})

    @get("/account", name="account", opt=authenticated())
    async def account(self, caller: Caller, recovery_used: FromQuery[str] = "") -> Response[Any]:
        if caller.actor.user_id is None:
            return Redirect(path="/", status_code=303)
        return await self._account_page(caller, recovery_used=bool(recovery_used))

    @post("/account/password", opt=authenticated(), status_code=200)
    async def change_password(self, request: AnyRequest, caller: Caller,
                              data: URLEncodedBody[PasswordForm]) -> Response[Any]:
        if caller.actor.user_id is None:
            return Redirect(path="/", status_code=303)
        outcome = await form_flow.attempt(request, lambda: credentials.change_own_password(
            caller, current=data.current_password, new=data.new_password, keep_session=session_id_of(request)),
            found=_repeated(data.new_password, data.repeat_password))
        if isinstance(outcome, form_flow.Refused):
            return await self._account_page(caller, status_code=outcome.status, errors=outcome.errors)
        return await self._account_page(caller, changed=True)

    @get("/password-reset/{reset_token:str}", name="password_reset", opt=public())
    async def reset_form(self, reset_token: FromPath[str]) -> Template:
        user = await credentials.password_reset_user(reset_token)
        return Template("accounts/password_reset.html", status_code=200 if user else 410, context={
            "person": user, "errors": {}, "done": False, "min_length": MIN_PASSWORD_LENGTH})

    @post("/password-reset/{reset_token:str}", opt=public(), status_code=200)
    async def reset(self, request: AnyRequest, reset_token: FromPath[str],
                    data: URLEncodedBody[ResetForm]) -> Template:
        user = await credentials.password_reset_user(reset_token)
        context = {"person": user, "errors": {}, "done": False, "min_length": MIN_PASSWORD_LENGTH}
        if user is None:
            return Template("accounts/password_reset.html", status_code=410, context=context)
        try:
            outcome = await form_flow.attempt(
                request, lambda: credentials.reset_password(reset_token, data.password, client_ip=client_ip(request),
                                                            request_id=request_id(request)),
                found=_repeated(data.password, data.repeat_password))
        except Conflict:  # the link was used or expired meanwhile
            return Template("accounts/password_reset.html", status_code=410, context={**context, "person": None})
        if isinstance(outcome, form_flow.Refused):
            return Template("accounts/password_reset.html", status_code=outcome.status,
                            context={**context, "errors": outcome.errors})
        return Template("accounts/password_reset.html", context={**context, "done": True})


class EditUserForm(msgspec.Struct):
    display_name: str = ""
    role: str = ""
    county: str = ""
    arrangement: str = ""
    school: str = ""


MANAGE = requires(Permission.USERS_MANAGE)


class UserAdminPages(Controller):
    path = "/admin/users/{user_id:int}"
    include_in_schema = False

    async def _page(self, caller: Scope, user_id: int, *, status_code: int = 200, **context: Any) -> Template:
        user = await credentials.get_user(caller, user_id)
        names = await credentials.scope_names([user])
        form = context.pop("form", None) or EditUserForm(
            display_name=user["display_name"], role=user["role"],
            county=next((c["slug"] for c in await services.list_counties(caller) if c["id"] == user["county_id"]
                         and user["role"] != "school"), ""),
            arrangement=next((a["slug"] for a in await services.list_arrangements(caller)
                              if a["id"] == user["arrangement_id"]), ""),
            school=names["school_number"].get(user["school_id"], ""))
        return Template("accounts/user.html", status_code=status_code, context={
            "person": user, "form": form, "errors": context.pop("errors", {}), "roles": PERSON_ROLES,
            "role_labels": ROLE_LABELS, **await scope_options(caller), **await twofactor.status(user_id),
            "is_self": caller.actor.user_id == user_id, **context})

    @get("/", name="admin_user", opt=MANAGE)
    async def user(self, caller: Caller, user_id: FromPath[int]) -> Template:
        return await self._page(caller, user_id)

    @post("/", opt=at_fields(MANAGE), status_code=200)
    async def update(self, request: AnyRequest, caller: Caller, user_id: FromPath[int],
                     data: URLEncodedBody[EditUserForm]) -> Template:
        outcome = await form_flow.attempt(request, lambda: credentials.update_user(
            caller, user_id, display_name=data.display_name, role=data.role,
            ref=services.UserScopeRef(county_slug=data.county or None, arrangement_slug=data.arrangement or None,
                                      school_number=data.school or None)), conflict=True)
        if isinstance(outcome, form_flow.Refused):
            return await self._page(caller, user_id, status_code=outcome.status, form=data, errors=outcome.errors,
                                    problem=outcome.problem or None)
        return await self._page(caller, user_id, notice=_("Changes saved."))

    @post("/enable", opt=MANAGE, status_code=303)
    async def enable(self, caller: Caller, user_id: FromPath[int]) -> Response[Any]:
        await credentials.enable_user(caller, user_id)
        return Redirect(path=f"/admin/users/{user_id}", status_code=303)

    @post("/disable", opt=MANAGE, status_code=303)
    async def disable(self, caller: Caller, user_id: FromPath[int]) -> Response[Any]:
        """Disable: no login, sessions end, tokens stop working (the last admin is refused)."""
        try:
            await services.disable_user(caller, user_id)
        except Conflict as exc:
            return await self._page(caller, user_id, status_code=409, problem=exc.shown())
        return Redirect(path=f"/admin/users/{user_id}", status_code=303)

    @post("/password-reset", opt=MANAGE, status_code=200)
    async def reset_link(self, caller: Caller, user_id: FromPath[int]) -> Template:
        token, expires_at = await credentials.create_password_reset(caller, user_id)
        return await self._page(caller, user_id, reset_link=f"{get_settings().public_url}/password-reset/{token}",
                                reset_expires=expires_at)

    @post("/two-factor/reset", opt=MANAGE, status_code=200)
    async def reset_two_factor(self, caller: Caller, user_id: FromPath[int]) -> Template:
        await twofactor.reset(caller, user_id)
        return await self._page(caller, user_id, notice=_("The second factor is reset; the user sets it up again."))


async def scope_options(caller: Scope) -> dict[str, Any]:
    """The counties, arrangements and schools a user's scope is picked from, by name."""
    return {"counties": await services.list_counties(caller), "arrangements": await services.list_arrangements(caller),
            "schools": await credentials.scope_choices()}


CREDENTIAL_PAGES = (SecondFactorPages, AccountPages, UserAdminPages)
