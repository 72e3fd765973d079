"""HTTP layer of single sign-on: the directory login form, the OpenID Connect redirect and callback,
and the admin page of providers and mappings (`/admin/sign-in`).

Thin: parse, call a service, shape the answer. A refused sign-in is a German page that says why,
never a session.
"""

from __future__ import annotations

import hmac
import json
import time
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from schoolit import form_flow, rules
from schoolit.accounts import services as accounts
from schoolit.accounts.auth import Caller
from schoolit.accounts.choices import PERSON_ROLES, ROLE_LABELS
from schoolit.accounts.credential_pages import begin_login, too_many_attempts
from schoolit.accounts.scope import Scope
from schoolit.accounts.sso import oidc, services
from schoolit.accounts.sso.choices import KIND_LABELS, ProviderKind
from schoolit.accounts.sso.services import Refusal
from schoolit.encryption import Sealer
from schoolit.errors import ConfigError, NotFound
from schoolit.kernel.access import Permission, public, requires
from schoolit.kernel.i18n import N_
from schoolit.kernel.i18n import gettext as _
from schoolit.kernel.navigation import NavItem, register
from schoolit.kernel.requests import client_ip, request_id
from schoolit.kernel.urls import local_path
from schoolit.settings import get_settings

register(NavItem("/admin/sign-in", N_("Sign-in providers"), Permission.USERS_MANAGE))

REFUSALS: dict[str, tuple[int, str]] = {
    Refusal.DISABLED: (403, N_("Your account is disabled in the directory. Please contact your IT department.")),
    Refusal.NO_ROLE: (403, N_("You signed in successfully, but none of your groups is given a role in schoolit, "
                              "so you cannot use it. If you need access, ask the administrator to add your group "
                              "to the sign-in mappings.")),
    Refusal.NO_EMAIL: (403, N_("The sign-in provider did not give an e-mail address for your account, so "
                               "schoolit cannot sign you in.")),
    Refusal.TAKEN: (409, N_("Another schoolit account already uses your e-mail address. Please ask the "
                            "administrator to sort this out.")),
    Refusal.INACTIVE: (403, N_("Your schoolit account is disabled. Please contact the administrator.")),
    Refusal.UNAVAILABLE: (503, N_("The sign-in provider cannot be reached at the moment. Please try again later.")),
    Refusal.REJECTED: (400, N_("The answer of the sign-in provider failed our security checks, so you were not "
                               "signed in. Please start again from the login page.")),
}
UNKNOWN_PROVIDER = N_("There is no sign-in provider of this name.")

# A sign-in started at an OpenID provider: state, nonce and PKCE verifier wait for the callback in a
# sealed (encrypted and authenticated) cookie of this browser, only sent to /sso/oidc/.
PENDING = Sealer(purpose=b"schoolit openid pending sign-in", what="a pending sign-in")
PENDING_COOKIE = "schoolit_oidc"
PENDING_PATH = "/sso/oidc/"
PENDING_MAX_AGE = 600  # seconds to sign in at the provider


def redirect_uri(provider_name: str) -> str:
    """The callback address registered at the provider (PUBLIC_URL, so proxies cannot change it)."""
    return f"{get_settings().public_url}/sso/oidc/{provider_name}/callback"


def _pending_cookie(value: str, max_age: int) -> Cookie:
    return Cookie(key=PENDING_COOKIE, value=value, httponly=True, samesite="lax", path=PENDING_PATH,
                  secure=get_settings().secure_cookies, max_age=max_age)


def _read_pending(request: Request[Any, Any, Any], provider_name: str) -> tuple[oidc.Pending, str] | None:
    """The pending sign-in of this browser at this provider (and where to go after), if still fresh."""
    sealed = request.cookies.get(PENDING_COOKIE)
    if not sealed:
        return None
    try:
        data = json.loads(PENDING.decrypt(sealed) or "{}")
    except (ConfigError, ValueError):
        return None
    if data.get("p") != provider_name or not 0 <= time.time() - data.get("t", 0) <= PENDING_MAX_AGE:
        return None
    return oidc.Pending(state=data["s"], nonce=data["n"], verifier=data["v"]), str(data.get("x") or "/")




def refused_page(status: int, message: str) -> Template:
    return Template("sso/refused.html", status_code=status, context={"message": _(message)})


async def finish(request: Request[Any, Any, Any], result: services.SignInResult, next_: str) -> Response[Any]:
    """A session and the way on for a signed-in person; the refusal page otherwise."""
    if result.user is None:
        status, message = REFUSALS[result.refusal or Refusal.REJECTED]
        return refused_page(status, message)
    return await begin_login(request, result.user, next_)  # a second factor applies to directory logins too


class DirectoryLoginForm(msgspec.Struct):
    login: str = ""
    password: str = ""
    next: str = "/"


class SignInPages(Controller):
    path = "/sso"
    include_in_schema = False

    async def _ldap_provider(self, name: str) -> dict[str, Any] | None:
        try:
            provider = await services.provider_by_name(name)
        except NotFound:
            return None
        return provider if provider["kind"] == ProviderKind.LDAP else None

    @get("/ldap/{provider_name:str}", name="sso_ldap", opt=public())
    async def ldap_form(self, provider_name: FromPath[str],
                        next_: Annotated[str, QueryParameter(name="next")] = "/") -> Template:
        provider = await self._ldap_provider(provider_name)
        if provider is None:
            return refused_page(404, UNKNOWN_PROVIDER)
        return Template("sso/ldap_login.html", context={"provider": provider, "next": local_path(next_),
                                                        "login": "", "error": None})

    @post("/ldap/{provider_name:str}", opt=public(), status_code=303)
    async def ldap_login(self, request: Request[Any, Any, Any], provider_name: FromPath[str],
                         data: URLEncodedBody[DirectoryLoginForm]) -> Response[Any]:
        provider = await self._ldap_provider(provider_name)
        if provider is None:
            return refused_page(404, UNKNOWN_PROVIDER)
        result = await services.ldap_sign_in(provider_name, data.login, data.password, client_ip=client_ip(request),
                                             request_id=request_id(request))
        context = {"provider": provider, "next": local_path(data.next), "login": data.login}
        if result.refusal == Refusal.WRONG:
            return Template("sso/ldap_login.html", status_code=401, context={
                **context, "error": _("User name or password is wrong.")})
        if result.retry_after is not None:
            return Template("sso/ldap_login.html", status_code=429, headers={"Retry-After": str(result.retry_after)},
                            context={**context, "error": too_many_attempts(result.retry_after)})
        return await finish(request, result, data.next)


    @get("/oidc/{oidc_provider:str}/start", name="sso_oidc_start", opt=public())
    async def oidc_start(self, oidc_provider: FromPath[str],
                         next_: Annotated[str, QueryParameter(name="next")] = "/") -> Response[Any]:
        try:
            provider = await services.oidc_provider(oidc_provider)
        except NotFound:
            return refused_page(404, UNKNOWN_PROVIDER)
        begun = await services.oidc_begin(provider, redirect_uri(provider["name"]))
        if begun is None:
            return refused_page(*REFUSALS[Refusal.UNAVAILABLE])
        url, pending = begun
        sealed = PENDING.encrypt(json.dumps({"p": provider["name"], "s": pending.state, "n": pending.nonce,
                                             "v": pending.verifier, "x": local_path(next_), "t": int(time.time())}))
        response: Response[Any] = Redirect(path=url, status_code=302)
        response.set_cookie(_pending_cookie(sealed or "", PENDING_MAX_AGE))
        return response

    @get("/oidc/{oidc_provider:str}/callback", name="sso_oidc_callback", opt=public())
    async def oidc_callback(self, request: Request[Any, Any, Any], oidc_provider: FromPath[str],
                            code: FromQuery[str | None] = None,
                            state_: Annotated[str | None, QueryParameter(name="state")] = None,  # `state` is Litestar's
                            error: FromQuery[str | None] = None) -> Response[Any]:
        try:
            provider = await services.oidc_provider(oidc_provider)
        except NotFound:
            return refused_page(404, UNKNOWN_PROVIDER)
        found = _read_pending(request, provider["name"])
        problem = ("no pending sign-in in this browser" if found is None else
                   f"the provider answered {error!r}" if error else
                   "state does not match" if not state_ or not hmac.compare_digest(state_, found[0].state) else
                   "no code" if not code else None)
        if found is None or problem is not None or code is None:
            await services.sign_in_refused(provider["name"], Refusal.REJECTED, problem or "",
                                           client_ip=client_ip(request), request_id=request_id(request))
            response: Response[Any] = refused_page(*REFUSALS[Refusal.REJECTED])
        else:
            pending, next_ = found
            result = await services.oidc_sign_in(provider, redirect_uri(provider["name"]), code, pending,
                                                 client_ip=client_ip(request), request_id=request_id(request))
            response = await finish(request, result, next_)
        # The pending sign-in is used up whatever came of it: a second callback finds nothing.
        response.set_cookie(_pending_cookie("", 0))
        return response


# --- admin page ----------------------------------------------------------------------------------


class ProviderForm(msgspec.Struct):
    name: str = ""
    label: str = ""
    kind: str = ""
    enabled: str = ""
    secret: str = ""
    url: str = ""
    start_tls: str = ""
    ca_pem: str = ""
    bind_dn: str = ""
    base_dn: str = ""
    user_filter: str = ""
    group_base_dn: str = ""
    group_filter: str = ""
    mail_attribute: str = ""
    name_attribute: str = ""
    issuer: str = ""
    client_id: str = ""
    scopes: str = ""
    groups_claim: str = ""

    def to_input(self) -> services.ProviderInput:
        fields = services.LDAP_FIELDS if self.kind == ProviderKind.LDAP else services.OIDC_FIELDS
        config: dict[str, Any] = {name: getattr(self, name) for name in fields}
        if "start_tls" in config:
            config["start_tls"] = bool(self.start_tls)
        return services.ProviderInput(name=self.name, label=self.label, kind=self.kind, enabled=bool(self.enabled),
                                      secret=self.secret, config=config)


class MappingForm(msgspec.Struct):
    provider: str = ""
    group_name: str = ""
    role: str = ""
    county: str = ""
    arrangement: str = ""
    school: str = ""
    position: str = "100"


class SignInAdminPages(Controller):
    path = "/admin/sign-in"
    include_in_schema = False

    async def _page(self, caller: Scope, *, status_code: int = 200, **context: Any) -> Template:
        providers = await services.list_providers(caller)
        return Template("sso/admin.html", status_code=status_code, context={
            "providers": providers, "mappings": await services.list_mappings(caller),
            "counties": await accounts.list_counties(caller), "arrangements": await accounts.list_arrangements(caller),
            "roles": PERSON_ROLES, "role_labels": ROLE_LABELS, "kinds": list(ProviderKind), "kind_labels": KIND_LABELS,
            "public_url": get_settings().public_url,
            "provider_form": context.pop("provider_form", ProviderForm(kind=ProviderKind.LDAP, enabled="on",
                                                                       start_tls="on")),
            "mapping_form": context.pop("mapping_form", MappingForm()),
            "provider_errors": context.pop("provider_errors", {}), "mapping_errors": context.pop("mapping_errors", {}),
            "edit_id": context.pop("edit_id", None), **context,
        })

    @get("", name="admin_sign_in", opt=requires(Permission.USERS_MANAGE))
    async def page(self, caller: Caller, edit: Annotated[int | None, QueryParameter()] = None) -> Template:
        if edit is not None:
            for provider in await services.list_providers(caller):
                if provider["id"] == edit:
                    form = ProviderForm(name=provider["name"], label=provider["label"], kind=provider["kind"],
                                        enabled="on" if provider["enabled"] else "",
                                        **{k: ("on" if v is True else "" if v is False else str(v))
                                           for k, v in provider["config"].items()
                                           if k in ProviderForm.__struct_fields__})
                    return await self._page(caller, provider_form=form, edit_id=edit)
            raise NotFound(rules.PROVIDER_NOT_FOUND)
        return await self._page(caller)

    @post("/providers", opt=requires(Permission.USERS_MANAGE), status_code=303)
    async def create_provider(self, request: Request[Any, Any, Any], caller: Caller,
                              data: URLEncodedBody[ProviderForm]) -> Response[Any]:
        outcome = await form_flow.attempt(request, lambda: services.save_provider(caller, data.to_input()))
        if isinstance(outcome, form_flow.Refused):
            return await self._page(caller, status_code=outcome.status, provider_form=data,
                                    provider_errors=outcome.errors)
        return Redirect(path="/admin/sign-in", status_code=303)

    @post("/providers/{provider_id:int}", opt=requires(Permission.USERS_MANAGE), status_code=303)
    async def update_provider(self, request: Request[Any, Any, Any], caller: Caller, provider_id: FromPath[int],
                              data: URLEncodedBody[ProviderForm]) -> Response[Any]:
        outcome = await form_flow.attempt(request, lambda: services.save_provider(caller, data.to_input(), provider_id))
        if isinstance(outcome, form_flow.Refused):
            return await self._page(caller, status_code=outcome.status, provider_form=data,
                                    provider_errors=outcome.errors, edit_id=provider_id)
        return Redirect(path="/admin/sign-in", status_code=303)

    @post("/providers/{provider_id:int}/delete", opt=requires(Permission.USERS_MANAGE), status_code=303)
    async def delete_provider(self, caller: Caller, provider_id: FromPath[int]) -> Redirect:
        await services.delete_provider(caller, provider_id)
        return Redirect(path="/admin/sign-in", status_code=303)

    @post("/mappings", opt=requires(Permission.USERS_MANAGE), status_code=303)
    async def create_mapping(self, request: Request[Any, Any, Any], caller: Caller,
                             data: URLEncodedBody[MappingForm]) -> Response[Any]:
        try:
            position = int(data.position or "100")
        except ValueError:
            position = -1
        try:
            provider_id = int(data.provider)
        except ValueError:
            provider_id = 0
        outcome = await form_flow.attempt(request, lambda: services.add_mapping(
            caller, provider_id=provider_id, group_name=data.group_name, role=data.role, position=position,
            ref=accounts.UserScopeRef(county_slug=data.county or None, arrangement_slug=data.arrangement or None,
                                      school_number=data.school or None)))
        if isinstance(outcome, form_flow.Refused):
            return await self._page(caller, status_code=outcome.status, mapping_form=data,
                                    mapping_errors=outcome.errors)
        return Redirect(path="/admin/sign-in", status_code=303)

    @post("/mappings/{mapping_id:int}/delete", opt=requires(Permission.USERS_MANAGE), status_code=303)
    async def delete_mapping(self, caller: Caller, mapping_id: FromPath[int]) -> Redirect:
        await services.delete_mapping(caller, mapping_id)
        return Redirect(path="/admin/sign-in", status_code=303)
