"""Services of single sign-on: providers and mappings (admin, audited), signing people in through a
provider, and the nightly directory sync.

A provider signs in accounts of its own (`source` = `ldap:<name>` or `oidc:<name>`, no local
password). Each sign-in maps the person's groups to a role and a scope again; a person whose
groups map to nothing is refused and their account disabled — there is no default role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from schoolit import rules
from schoolit.accounts import audit, sessions
from schoolit.accounts import services as accounts
from schoolit.accounts.choices import ActorKind, Role
from schoolit.accounts.scope import Actor, Scope
from schoolit.accounts.sso import ldap, oidc
from schoolit.accounts.sso.choices import ProviderKind, source_of
from schoolit.accounts.sso.mapping import Grant, grant_for
from schoolit.accounts.sso.tables import SignInMapping, SignInProvider
from schoolit.accounts.tables import User, WebSession
from schoolit.db import atomic
from schoolit.encryption import Sealer
from schoolit.errors import FieldError, NotFound, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_

SECRETS = Sealer(purpose=b"schoolit sign-in secrets", what="a sign-in provider's secret")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
PROVIDER_COLUMNS = (SignInProvider.id, SignInProvider.name, SignInProvider.label, SignInProvider.kind,
                    SignInProvider.enabled, SignInProvider.config, SignInProvider.updated_at)
LDAP_FIELDS = ("url", "start_tls", "ca_pem", "bind_dn", "base_dn", "user_filter", "group_base_dn", "group_filter",
               "mail_attribute", "name_attribute")
OIDC_FIELDS = ("issuer", "client_id", "scopes", "groups_claim")


# --- providers -----------------------------------------------------------------------------------


UNKNOWN_PROVIDER = N_("unknown sign-in provider")


@dataclass
class ProviderInput:
    """A provider as the admin enters it; `secret` empty keeps the stored one."""

    name: str
    label: str
    kind: str
    enabled: bool = True
    secret: str = ""
    config: dict[str, Any] = field(default_factory=dict)


def _loopback(host: str | None) -> bool:
    return host in {"127.0.0.1", "localhost", "::1"}


def _check_ldap(config: dict[str, Any], errors: list[FieldError]) -> dict[str, Any]:
    clean: dict[str, Any] = {
        "url": str(config.get("url", "")).strip(),
        "start_tls": bool(config.get("start_tls")),
        "ca_pem": str(config.get("ca_pem", "")).strip(),
        "bind_dn": str(config.get("bind_dn", "")).strip(),
        "base_dn": str(config.get("base_dn", "")).strip(),
        "user_filter": str(config.get("user_filter", "")).strip() or ldap.DEFAULT_USER_FILTER,
        "group_base_dn": str(config.get("group_base_dn", "")).strip(),
        "group_filter": str(config.get("group_filter", "")).strip() or ldap.DEFAULT_GROUP_FILTER,
        "mail_attribute": str(config.get("mail_attribute", "")).strip() or "mail",
        "name_attribute": str(config.get("name_attribute", "")).strip() or "displayName",
    }
    scheme = urlsplit(clean["url"]).scheme.lower()
    if scheme not in {"ldap", "ldaps"} or not urlsplit(clean["url"]).hostname:
        errors.append(FieldError("url", N_("must be an ldaps:// or ldap:// address")))
    elif scheme == "ldap" and not clean["start_tls"]:
        errors.append(FieldError("start_tls", N_("ldap:// needs StartTLS: passwords never travel unencrypted")))
    if clean["ca_pem"] and "-----BEGIN CERTIFICATE-----" not in clean["ca_pem"]:
        errors.append(FieldError("ca_pem", N_("must be a PEM certificate")))
    for name in ("bind_dn", "base_dn"):
        if not clean[name]:
            errors.append(FieldError(name, rules.NOT_EMPTY))
    if "{login}" not in clean["user_filter"] or not clean["user_filter"].startswith("("):
        errors.append(FieldError("user_filter", N_("must be an LDAP filter containing {login}")))
    if "{dn}" not in clean["group_filter"] or not clean["group_filter"].startswith("("):
        errors.append(FieldError("group_filter", N_("must be an LDAP filter containing {dn}")))
    return clean


def _check_oidc(config: dict[str, Any], errors: list[FieldError]) -> dict[str, Any]:
    clean: dict[str, Any] = {
        "issuer": str(config.get("issuer", "")).strip().rstrip("/"),
        "client_id": str(config.get("client_id", "")).strip(),
        "scopes": " ".join(str(config.get("scopes", "")).split()) or "openid email profile",
        "groups_claim": str(config.get("groups_claim", "")).strip() or "groups",
    }
    issuer = urlsplit(clean["issuer"])
    # Plain http only for a provider on this machine (tests, a local proxy); anywhere else it would
    # expose the codes and tokens.
    secure = issuer.scheme == "https" or (issuer.scheme == "http" and _loopback(issuer.hostname))
    if not issuer.hostname or not secure:
        errors.append(FieldError("issuer", N_("must be an https:// address")))
    rules.not_empty(errors, "client_id", clean["client_id"])
    if "openid" not in clean["scopes"].split():
        errors.append(FieldError("scopes", N_("must contain openid")))
    return clean


def _validate(data: ProviderInput, *, has_secret: bool) -> tuple[dict[str, Any], list[FieldError]]:
    errors: list[FieldError] = []
    if not _NAME.match(data.name):
        errors.append(FieldError("name", N_("must be 1-40 lower-case letters, digits or dashes")))
    if not data.label.strip() or len(data.label.strip()) > 120:
        errors.append(FieldError("label", N_("must be 1-120 characters")))
    config: dict[str, Any] = {}
    if data.kind == ProviderKind.LDAP:
        config = _check_ldap(data.config, errors)
    elif data.kind == ProviderKind.OIDC:
        config = _check_oidc(data.config, errors)
    else:
        errors.append(FieldError("kind", N_("must be ldap or oidc")))
    known = LDAP_FIELDS if data.kind == ProviderKind.LDAP else OIDC_FIELDS
    # A setting of the other kind, or a misspelt one, would be dropped without a word.
    errors += [FieldError(name, N_("not a setting of this kind of provider")) for name in sorted(data.config)
               if name not in known and data.kind in (ProviderKind.LDAP, ProviderKind.OIDC)]
    if not data.secret and not has_secret:
        errors.append(FieldError("secret", rules.NOT_EMPTY))
    return config, errors


async def list_providers(scope: Scope) -> list[dict[str, Any]]:
    """All providers with their settings (never their secret) and whether a secret is stored."""
    scope.require(Permission.USERS_MANAGE)
    rows = await SignInProvider.select(*PROVIDER_COLUMNS, SignInProvider.secret_encrypted).order_by(
        SignInProvider.name).output(load_json=True)
    for row in rows:
        row["has_secret"] = row.pop("secret_encrypted") is not None
    return rows


async def provider_id_by_name(scope: Scope, name: str) -> int:
    """The id of a provider (enabled or not) by its name; NotFound otherwise."""
    scope.require(Permission.USERS_MANAGE)
    row = await SignInProvider.select(SignInProvider.id).where(SignInProvider.name == name.strip().lower()).first()
    if row is None:
        raise NotFound(UNKNOWN_PROVIDER)
    return int(row["id"])


async def login_options() -> list[dict[str, Any]]:
    """The enabled providers, for the login page (public: names and labels only)."""
    return await SignInProvider.select(SignInProvider.name, SignInProvider.label, SignInProvider.kind).where(
        SignInProvider.enabled == True).order_by(SignInProvider.label)  # noqa: E712


async def save_provider(scope: Scope, data: ProviderInput, provider_id: int | None = None) -> dict[str, Any]:
    """Create a provider, or update one (a blank secret keeps the stored secret)."""
    scope.require(Permission.USERS_MANAGE)
    data.name = data.name.strip().lower()
    async with atomic():
        before = None
        if provider_id is not None:
            before = await SignInProvider.select(*PROVIDER_COLUMNS, SignInProvider.secret_encrypted).where(
                SignInProvider.id == provider_id).output(load_json=True).first()
            if before is None:
                raise NotFound(rules.PROVIDER_NOT_FOUND)
        config, errors = _validate(data, has_secret=bool(before and before["secret_encrypted"]))
        if errors:
            raise ValidationFailed(errors)
        clash = SignInProvider.exists().where(SignInProvider.name == data.name)
        if provider_id is not None:
            clash = clash.where(SignInProvider.id != provider_id)
        if await clash:
            raise ValidationFailed([FieldError("name", N_("another provider has this name"))])
        values: dict[Any, Any] = {SignInProvider.name: data.name, SignInProvider.label: data.label.strip(),
                                  SignInProvider.kind: data.kind, SignInProvider.enabled: data.enabled,
                                  SignInProvider.config: config, SignInProvider.updated_at: accounts.now()}
        if data.secret:
            values[SignInProvider.secret_encrypted] = SECRETS.encrypt(data.secret)
        if before is None:
            row = SignInProvider(**{column._meta.name: value for column, value in values.items()})
            provider_id = (await SignInProvider.insert(row).returning(SignInProvider.id))[0]["id"]
        else:
            if before["kind"] != data.kind:
                raise ValidationFailed([FieldError("kind", N_("cannot be changed; add a new provider instead"))])
            await SignInProvider.update(values).where(SignInProvider.id == provider_id)
        after = await SignInProvider.select(*PROVIDER_COLUMNS).where(SignInProvider.id == provider_id).output(
            load_json=True).first()
        assert after is not None
        if before is not None:
            before.pop("secret_encrypted")
        await audit.record(scope, "sign_in_provider.update" if before else "sign_in_provider.create",
                           object_type="sign_in_provider", object_id=provider_id, before=before,
                           after={**after, "secret_changed": bool(data.secret)})
    return after


async def delete_provider(scope: Scope, provider_id: int) -> None:
    """Remove a provider and its mappings; its accounts stay, but can no longer sign in."""
    scope.require(Permission.USERS_MANAGE)
    async with atomic():
        before = await SignInProvider.select(*PROVIDER_COLUMNS).where(SignInProvider.id == provider_id).output(
            load_json=True).first()
        if before is None:
            raise NotFound(rules.PROVIDER_NOT_FOUND)
        await SignInProvider.delete().where(SignInProvider.id == provider_id)
        await audit.record(scope, "sign_in_provider.delete", object_type="sign_in_provider", object_id=provider_id,
                           before=before)


async def provider_by_name(name: str) -> dict[str, Any]:
    """An enabled provider with its decrypted secret (for signing in); NotFound otherwise."""
    row = await SignInProvider.select(*PROVIDER_COLUMNS, SignInProvider.secret_encrypted).where(
        (SignInProvider.name == name.lower()) & (SignInProvider.enabled == True)  # noqa: E712
    ).output(load_json=True).first()
    if row is None:
        raise NotFound(UNKNOWN_PROVIDER)
    row["secret"] = SECRETS.decrypt(row.pop("secret_encrypted")) or ""
    return row


def ldap_config(provider: dict[str, Any]) -> ldap.LdapConfig:
    config = provider["config"]
    return ldap.LdapConfig(bind_password=provider["secret"], **{k: config[k] for k in LDAP_FIELDS if k in config})


def oidc_config(provider: dict[str, Any]) -> oidc.OidcConfig:
    config = provider["config"]
    return oidc.OidcConfig(client_secret=provider["secret"], **{k: config[k] for k in OIDC_FIELDS if k in config})


# --- mappings ------------------------------------------------------------------------------------

SCOPES_OF = {Role.ADMIN: set(), Role.SUPPORTER: {"county", "arrangement"}, Role.AUTHORITY: {"county"},
             Role.SCHOOL: {"school"}}
SCOPE_MISMATCH = N_("Choose exactly one scope that fits the role: a county or an arrangement for supporters, a "
                    "county for authorities, a school for school contacts, none for administrators.")
UNKNOWN_SCOPE = rules.NOT_FOUND
MAPPING_COLUMNS = (SignInMapping.id, SignInMapping.provider_id, SignInMapping.position, SignInMapping.group_name,
                   SignInMapping.role, SignInMapping.county_id, SignInMapping.arrangement_id, SignInMapping.school_id)


async def list_mappings(scope: Scope) -> list[dict[str, Any]]:
    """Every mapping with the names of its provider and scope, in the order they are tried."""
    scope.require(Permission.USERS_MANAGE)
    return await SignInMapping.select(
        *MAPPING_COLUMNS, SignInMapping.provider_id.name.as_alias("provider_name"),
        SignInMapping.county_id.name.as_alias("county_name"),
        SignInMapping.arrangement_id.name.as_alias("arrangement_name"),
    ).order_by(SignInMapping.provider_id).order_by(SignInMapping.position).order_by(SignInMapping.id)


async def add_mapping(scope: Scope, *, provider_id: int, group_name: str, role: str, ref: accounts.UserScopeRef,
                      position: int = 100) -> dict[str, Any]:
    """Map a provider's group to a role and a scope (named by slug or school number)."""
    scope.require(Permission.USERS_MANAGE)
    errors: list[FieldError] = []
    group_name = rules.one_to(errors, "group_name", group_name, 500)
    if not 0 <= position <= 10000:
        errors.append(FieldError("position", N_("must be between 0 and 10000")))
    scope_ids: dict[str, int | None] = {}
    given = {name for name, value in (("county", ref.county_slug), ("arrangement", ref.arrangement_slug),
                                      ("school", ref.school_number)) if value}
    person_role = accounts.role_of_person(role, errors)
    fits = person_role is not None and len(given) == (0 if person_role == Role.ADMIN else 1) \
        and given <= SCOPES_OF[person_role]
    if person_role is not None and not fits:
        errors.append(FieldError("scope", SCOPE_MISMATCH))
    elif person_role is not None:
        # The accounts service resolves slugs and school numbers as it does for users; its messages
        # name the value, ours stay translatable.
        found: list[FieldError] = []
        scope_ids = await accounts.resolve_user_scope(person_role, ref, found)
        errors += [FieldError(e.field, UNKNOWN_SCOPE) for e in found]
    if not await SignInProvider.exists().where(SignInProvider.id == provider_id):
        errors.append(FieldError("provider", UNKNOWN_PROVIDER))
    if errors:
        raise ValidationFailed(errors)
    async with atomic():
        row = SignInMapping(provider_id=provider_id, group_name=group_name, role=role, position=position)
        for column, value in scope_ids.items():
            setattr(row, column, value)
        if role == Role.SCHOOL:
            row.county_id = scope_ids.get("county_id")
        created = (await SignInMapping.insert(row).returning(*MAPPING_COLUMNS))[0]
        await audit.record(scope, "sign_in_mapping.create", object_type="sign_in_mapping", object_id=created["id"],
                           county_id=created["county_id"], after=created)
    return created


async def delete_mapping(scope: Scope, mapping_id: int) -> None:
    scope.require(Permission.USERS_MANAGE)
    async with atomic():
        before = await SignInMapping.select(*MAPPING_COLUMNS).where(SignInMapping.id == mapping_id).first()
        if before is None:
            raise NotFound(N_("mapping not found"))
        await SignInMapping.delete().where(SignInMapping.id == mapping_id)
        await audit.record(scope, "sign_in_mapping.delete", object_type="sign_in_mapping", object_id=mapping_id,
                           county_id=before["county_id"], before=before)


async def _grant(provider_id: int, groups: tuple[str, ...]) -> Grant | None:
    mappings = await SignInMapping.select(*MAPPING_COLUMNS).where(SignInMapping.provider_id == provider_id)
    return grant_for(groups, mappings)


# --- signing in ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """Who the provider says the person is."""

    external_id: str  # LDAP login name, OpenID subject
    email: str
    name: str
    groups: tuple[str, ...]
    disabled: bool = False


class Refusal:
    """Why a sign-in was refused (shown to the person as a German page)."""

    WRONG = "wrong"  # unknown login or wrong password (the two look the same)
    DISABLED = "disabled"  # disabled in the directory
    NO_ROLE = "no_role"  # signed in, but no mapping gives a role
    NO_EMAIL = "no_email"  # the provider gives no e-mail address
    TAKEN = "taken"  # the e-mail address belongs to another account (local or another provider's)
    INACTIVE = "inactive"  # the account is disabled here
    UNAVAILABLE = "unavailable"  # the provider cannot be reached or is misconfigured
    REJECTED = "rejected"  # the provider's answer failed a check (state, signature, nonce, issuer, ...)
    THROTTLED = "throttled"  # too many failed attempts for this login from this address


@dataclass(frozen=True)
class SignInResult:
    user: dict[str, Any] | None = None
    refusal: str | None = None
    retry_after: int | None = None  # seconds, when throttled


def _provider_scope(provider: dict[str, Any], label: str, *, client_ip: str | None, request_id: str) -> Scope:
    """The system acting for a provider (audited as `sso:<name>` about the person it signs in)."""
    return Scope(role=Role.ADMIN, actor=Actor(ActorKind.SYSTEM, label=f"{label} via {provider['name']}"),
                 county_ids=None, request_id=request_id, client_ip=client_ip)


def _scope_values(grant: Grant) -> dict[str, Any]:
    return {"role": grant.role.value, "county_id": grant.county_id, "arrangement_id": grant.arrangement_id,
            "school_id": grant.school_id}


async def _disable(scope: Scope, user: dict[str, Any], reason: str) -> None:
    await User.update({User.active: False, User.updated_at: accounts.now()}).where(User.id == user["id"])
    await WebSession.delete().where(WebSession.user_id == user["id"])
    await audit.record(scope, "user.disable", object_type="user", object_id=user["id"], county_id=user["county_id"],
                       before=user, after={**user, "active": False, "reason": reason})


async def sign_in(provider: dict[str, Any], identity: Identity, *, client_ip: str | None,
                  request_id: str = "") -> SignInResult:
    """Sign a person in through a provider: find or create their account, map their groups to role
    and scope, or refuse (audited either way; refusals disable an existing account's role)."""
    source = source_of(provider["kind"], provider["name"])
    email = accounts.normalise_email(identity.email)
    scope = _provider_scope(provider, email or identity.external_id, client_ip=client_ip, request_id=request_id)
    async with atomic():
        user = await User.select(*accounts.USER_COLUMNS).where(
            (User.source == source) & (User.external_id == identity.external_id)).first()
        refusal = None
        grant = None
        if identity.disabled:
            refusal = Refusal.DISABLED
        elif user is not None and not user["active"]:
            refusal = Refusal.INACTIVE
        else:
            grant = await _grant(provider["id"], identity.groups)
            if grant is None:
                refusal = Refusal.NO_ROLE
            elif not rules.EMAIL.match(email):
                refusal = Refusal.NO_EMAIL
            elif await User.exists().where((User.email == email) & (
                    (User.source != source) | (User.external_id != identity.external_id))):
                refusal = Refusal.TAKEN
        if refusal is not None:
            if user is not None and user["active"] and refusal in (Refusal.DISABLED, Refusal.NO_ROLE):
                await _disable(scope, user, refusal)
            await audit.record(scope, "login.refused", object_type="user", object_id=user["id"] if user else "",
                               county_id=user["county_id"] if user else None,
                               after={"source": source, "reason": refusal, "groups": list(identity.groups)})
            return SignInResult(refusal=refusal)
        assert grant is not None
        values = {"email": email, "display_name": identity.name[:200] or email, **_scope_values(grant)}
        if user is None:
            created = await User.insert(User(source=source, external_id=identity.external_id, password_hash=None,
                                             **values)).returning(*accounts.USER_COLUMNS)
            user = created[0]
            await audit.record(scope, "user.create", object_type="user", object_id=user["id"],
                               county_id=user["county_id"], after={**user, "source": source})
        elif any(user[k] != v for k, v in values.items()):
            await User.update({getattr(User, k): v for k, v in values.items()} | {User.updated_at: accounts.now()}
                              ).where(User.id == user["id"])
            before, user = user, {**user, **values}
            await audit.record(scope, "user.update", object_type="user", object_id=user["id"],
                               county_id=user["county_id"], before=before, after={**user, "source": source})
        await User.update({User.last_login_at: accounts.now()}).where(User.id == user["id"])
        person = (await accounts.scope_for_user(user)).with_request(request_id, client_ip)
        await audit.record(person, "login.success", object_type="user", object_id=user["id"],
                           county_id=user["county_id"], after={"source": source, "group": grant.group_name})
    return SignInResult(user=user)


async def ldap_sign_in(name: str, login: str, password: str, *, client_ip: str | None,
                       request_id: str = "") -> SignInResult:
    """Sign in with a directory login and password (the directory checks the password)."""
    provider = await provider_by_name(name)
    if provider["kind"] != ProviderKind.LDAP:
        raise NotFound(UNKNOWN_PROVIDER)
    scope = _provider_scope(provider, login[:100], client_ip=client_ip, request_id=request_id)
    # Failures count like those of local logins (per login and address, before the password is
    # tried), so schoolit is no faster way to guess directory passwords than the directory itself.
    key = f"{source_of(ProviderKind.LDAP, name)}:{login.strip().lower()}"[:254]
    attempt = await sessions.reserve_login_attempt(key, client_ip)
    if attempt.retry_after is not None:
        await audit.record(scope, "login.throttled", object_type="user")
        return SignInResult(refusal=Refusal.THROTTLED, retry_after=attempt.retry_after)
    try:
        person = await ldap.authenticate(ldap_config(provider), login, password)
    except ldap.DirectoryError as exc:
        await audit.record(scope, "login.refused", object_type="user",
                           after={"source": source_of(ProviderKind.LDAP, name), "reason": Refusal.UNAVAILABLE,
                                  "error": str(exc)[:300]})
        return SignInResult(refusal=Refusal.UNAVAILABLE)
    if person is None:
        await audit.record(scope, "login.failure", object_type="user",
                           after={"source": source_of(ProviderKind.LDAP, name)})
        return SignInResult(refusal=Refusal.WRONG)
    if not person.disabled:  # the directory accepted the password
        await sessions.forgive_login_attempt(attempt)
    identity = Identity(external_id=person.login, email=person.email, name=person.name, groups=person.groups,
                        disabled=person.disabled)
    return await sign_in(provider, identity, client_ip=client_ip, request_id=request_id)


async def oidc_provider(name: str) -> dict[str, Any]:
    """An enabled OpenID Connect provider by name; NotFound otherwise (also for a directory's name)."""
    provider = await provider_by_name(name)
    if provider["kind"] != ProviderKind.OIDC:
        raise NotFound(UNKNOWN_PROVIDER)
    return provider


async def oidc_begin(provider: dict[str, Any], redirect_uri: str) -> tuple[str, oidc.Pending] | None:
    """Where to send the browser to sign in at the provider; None when it cannot be reached."""
    config = oidc_config(provider)
    try:
        return oidc.begin(config, await oidc.discover(config), redirect_uri)
    except oidc.ProviderUnavailable:
        return None


async def oidc_sign_in(provider: dict[str, Any], redirect_uri: str, code: str, pending: oidc.Pending, *,
                       client_ip: str | None, request_id: str = "") -> SignInResult:
    """Finish a sign-in at the provider's callback: redeem the code, check the ID token, sign in."""
    config = oidc_config(provider)
    source = source_of(ProviderKind.OIDC, provider["name"])
    scope = _provider_scope(provider, "openid callback", client_ip=client_ip, request_id=request_id)
    try:
        claims = await oidc.complete(config, await oidc.discover(config), redirect_uri, code, pending)
    except oidc.ProviderUnavailable as exc:
        await audit.record(scope, "login.refused", object_type="user",
                           after={"source": source, "reason": Refusal.UNAVAILABLE, "error": str(exc)[:300]})
        return SignInResult(refusal=Refusal.UNAVAILABLE)
    except oidc.Rejected as exc:
        await audit.record(scope, "login.refused", object_type="user",
                           after={"source": source, "reason": Refusal.REJECTED, "error": str(exc)[:300]})
        return SignInResult(refusal=Refusal.REJECTED)
    # An address the provider has not verified could name anyone's account.
    email = str(claims.get("email") or "") if claims.get("email_verified") is not False else ""
    identity = Identity(external_id=str(claims["sub"])[:500], email=email,
                        name=str(claims.get("name") or claims.get("preferred_username") or ""),
                        groups=oidc.groups_of(claims, config.groups_claim))
    return await sign_in(provider, identity, client_ip=client_ip, request_id=request_id)


async def sign_in_refused(provider_name: str, reason: str, detail: str, *, client_ip: str | None,
                          request_id: str = "") -> None:
    """Audit a callback refused before the provider was asked (wrong state, no pending sign-in, error)."""
    scope = Scope(role=Role.SCHOOL, actor=Actor(ActorKind.ANONYMOUS, label="openid callback"),
                  county_ids=frozenset(), request_id=request_id, client_ip=client_ip)
    await audit.record(scope, "login.refused", object_type="user",
                       after={"source": source_of(ProviderKind.OIDC, provider_name[:40]), "reason": reason,
                              "error": detail[:300]})


# --- directory sync ------------------------------------------------------------------------------


@dataclass
class SyncReport:
    checked: int = 0
    disabled: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


async def sync_directories(scope: Scope | None = None) -> SyncReport:
    """For every enabled directory: disable accounts whose person left it, is disabled there or lost
    every mapped group; move the others to the role and scope their groups map to now."""
    scope = scope or Scope.system("sso sync")
    report = SyncReport()
    providers = await SignInProvider.select(SignInProvider.name).where(
        (SignInProvider.kind == ProviderKind.LDAP) & (SignInProvider.enabled == True))  # noqa: E712
    for row in providers:
        provider = await provider_by_name(row["name"])
        config = ldap_config(provider)
        source = source_of(ProviderKind.LDAP, provider["name"])
        users = await User.select(*accounts.USER_COLUMNS, User.external_id).where(
            (User.source == source) & (User.active == True))  # noqa: E712
        for user in users:
            report.checked += 1
            try:
                person = await ldap.find_person(config, user.pop("external_id"))
            except ldap.DirectoryError as exc:
                report.errors.append(f"{provider['name']}: {exc}")
                break  # the directory is down: disable nobody on its account
            grant = None if person is None or person.disabled else await _grant(provider["id"], person.groups)
            async with atomic():
                if grant is None:
                    reason = "left" if person is None else "disabled" if person.disabled else Refusal.NO_ROLE
                    await _disable(scope, user, reason)
                    report.disabled += 1
                elif any(user[k] != v for k, v in _scope_values(grant).items()):
                    await User.update({getattr(User, k): v for k, v in _scope_values(grant).items()}
                                      | {User.updated_at: accounts.now()}).where(User.id == user["id"])
                    await WebSession.delete().where(WebSession.user_id == user["id"])
                    await audit.record(scope, "user.update", object_type="user", object_id=user["id"],
                                       county_id=user["county_id"], before=user,
                                       after={**user, **_scope_values(grant)})
                    report.updated += 1
    return report

