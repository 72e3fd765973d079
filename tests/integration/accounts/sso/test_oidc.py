"""OpenID Connect sign-in against a real OpenID provider (the npm package oidc-provider on Node.js),
through the real login pages (HTTP stack in process; the provider's own pages by HTTP): the code flow
with PKCE, several providers at once, claims mapped to role and scope, and the refusals — a tampered
ID token, a wrong nonce, a replayed or foreign callback, an unknown provider, no mapped group, a group
removed at the provider, an e-mail address the provider has not verified. Also: logout ends the local
session, and the password login can be switched off per role.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from schoolit.accounts.auth import SESSION_COOKIE
from schoolit.accounts.scope import Scope
from schoolit.accounts.services import UserScopeRef
from schoolit.accounts.sso import services
from schoolit.accounts.sso.services import ProviderInput
from schoolit.accounts.tables import AuditEvent, User
from schoolit.settings import Settings, get_settings
from tests.integration.accounts.sso.conftest import OIDC_ACCOUNTS, OIDC_CLIENTS, OIDC_PASSWORD
from tests.integration.world import PASSWORD, World
from tests.sso.oidc import CLIENT_SECRET, set_claims

ADMIN = Scope.system("test")


async def add_providers(issuer: str) -> dict[str, dict[str, Any]]:
    """One schoolit provider per client of the identity provider, each with the same mappings."""
    providers = {}
    for name, client_id in OIDC_CLIENTS.items():
        provider = await services.save_provider(ADMIN, ProviderInput(
            name=name, label=f"Portal {name}", kind="oidc", secret=CLIENT_SECRET,
            config={"issuer": issuer, "client_id": client_id, "scopes": "openid email profile groups"}))
        await services.add_mapping(ADMIN, provider_id=provider["id"], group_name="Schul-IT-Support",
                                   role="supporter", ref=UserScopeRef(arrangement_slug="verbund-donnersberg-kl-kus"))
        await services.add_mapping(ADMIN, provider_id=provider["id"], group_name="schule-41001-it", role="school",
                                   ref=UserScopeRef(school_number="41001"))
        providers[name] = provider
    return providers


@pytest.fixture
async def providers(identity_provider: str, world: World) -> dict[str, dict[str, Any]]:
    return await add_providers(identity_provider)


async def at_provider(location: str, issuer: str, login: str, password: str = OIDC_PASSWORD) -> str | None:
    """Sign in at the provider's own pages as a browser would; the address it sends the browser back
    to (None when it refuses the password)."""
    async with httpx.AsyncClient(timeout=10) as browser:
        url = location
        for _ in range(12):
            response = await browser.get(url)
            if response.status_code == 200 and 'name="login"' in response.text:
                action = re.search(r'action="([^"]+)"', response.text)
                assert action
                response = await browser.post(urljoin(url, action.group(1)),
                                              data={"login": login, "password": password})
                if response.status_code == 401:
                    return None
            assert response.status_code in (302, 303), response.text[:300]
            url = urljoin(url, response.headers["location"])
            if not url.startswith(issuer):
                return url
    raise AssertionError("the provider never sent the browser back")


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def sign_in(client: httpx.AsyncClient, issuer: str, login: str, name: str = "county",
                  next_: str = "/tickets") -> httpx.Response:
    start = await client.get(f"/sso/oidc/{name}/start", params={"next": next_})
    assert start.status_code == 302, start.text[:300]
    back = await at_provider(start.headers["location"], issuer, login)
    assert back is not None
    return await client.get(local(back))


async def user(sub: str, name: str = "county") -> dict[str, Any] | None:
    return await User.select().where((User.source == f"oidc:{name}") & (User.external_id == sub)).first()


async def refusals() -> list[dict[str, Any]]:
    return await AuditEvent.select().where(AuditEvent.action == "login.refused").output(load_json=True)


async def test_authorization_request_uses_pkce_state_and_nonce(client: httpx.AsyncClient, identity_provider: str,
                                                                providers: dict[str, Any], settings: Settings) -> None:
    start = await client.get("/sso/oidc/county/start")
    location = start.headers["location"]
    assert location.startswith(f"{identity_provider}/auth?")
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["redirect_uri"] == [f"{settings.public_url}/sso/oidc/county/callback"]
    cookie = next(c for c in start.headers.get_list("set-cookie") if c.startswith("schoolit_oidc="))
    assert "HttpOnly" in cookie and "Path=/sso/oidc/" in cookie and "SameSite=lax" in cookie
    assert query["state"][0] not in cookie and query["nonce"][0] not in cookie  # sealed, not readable


async def test_sign_in_creates_the_account_with_the_mapped_role_and_scope(
        client: httpx.AsyncClient, identity_provider: str, providers: dict[str, Any], world: World) -> None:
    page = await client.get("/login")
    assert 'href="/sso/oidc/county/start?next=/"' in page.text and "Portal county" in page.text
    response = await sign_in(client, identity_provider, "lehrerin")
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == "/tickets"
    account = await user("lehrerin")
    assert account is not None
    assert (account["email"], account["display_name"], account["role"], account["school_id"], account["county_id"],
            account["password_hash"]) == ("lehrerin@schule.test.example", "Lea Lehrerin", "school",
                                          world.schools["kib"]["id"], world.counties["donnersbergkreis"], None)
    assert (await client.get("/tickets")).status_code == 200
    event = await AuditEvent.select().where((AuditEvent.action == "login.success")
                                            & (AuditEvent.object_id == str(account["id"]))).output(
        load_json=True).first()
    assert event is not None and event["after"] == {"source": "oidc:county", "group": "schule-41001-it"}


async def test_logout_ends_the_local_session(client: httpx.AsyncClient, identity_provider: str,
                                             providers: dict[str, Any]) -> None:
    assert (await sign_in(client, identity_provider, "support")).status_code == 303
    assert (await client.get("/tickets")).status_code == 200
    page = await client.get("/tickets")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    assert (await client.post("/logout", data={"_csrf_token": token.group(1)})).status_code == 303
    assert (await client.get("/tickets", headers={"accept": "text/html"})).status_code == 303


async def test_several_providers_at_once_keep_their_accounts_apart(
        client: httpx.AsyncClient, identity_provider: str, providers: dict[str, Any]) -> None:
    assert (await sign_in(client, identity_provider, "support")).status_code == 303
    browser = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")  # type: ignore[attr-defined]
    assert (await sign_in(browser, identity_provider, "lehrerin", name="landesportal")).status_code == 303
    assert await user("support") is not None and await user("lehrerin", "landesportal") is not None
    # The same person through the other provider is another identity, and their address is taken:
    # refused, not merged into (or taking over) the first account.
    again = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")  # type: ignore[attr-defined]
    response = await sign_in(again, identity_provider, "support", name="landesportal")
    assert response.status_code == 409 and "verwendet bereits Ihre E-Mail-Adresse" in response.text
    assert await user("support", "landesportal") is None


async def test_tampered_id_token_is_refused(client: httpx.AsyncClient, identity_provider: str,
                                            providers: dict[str, Any]) -> None:
    response = await sign_in(client, identity_provider, "lehrerin", name="tampered")
    assert response.status_code == 400
    assert "Sicherheitsprüfungen nicht bestanden" in response.text
    assert not client.cookies.get(SESSION_COOKIE)
    assert await user("lehrerin", "tampered") is None
    [refused] = await refusals()
    assert refused["after"]["reason"] == "rejected" and "signature" in refused["after"]["error"]


async def test_id_token_with_a_wrong_nonce_is_refused(client: httpx.AsyncClient, identity_provider: str,
                                                      providers: dict[str, Any]) -> None:
    response = await sign_in(client, identity_provider, "lehrerin", name="nonce")
    assert response.status_code == 400
    assert not client.cookies.get(SESSION_COOKIE)
    [refused] = await refusals()
    assert "nonce" in refused["after"]["error"]


async def test_a_callback_is_used_once_and_only_by_the_browser_that_started(
        client: httpx.AsyncClient, identity_provider: str, providers: dict[str, Any]) -> None:
    start = await client.get("/sso/oidc/county/start")
    back = await at_provider(start.headers["location"], identity_provider, "lehrerin")
    assert back is not None
    stranger = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")  # type: ignore[attr-defined]
    assert (await stranger.get(local(back))).status_code == 400  # no pending sign-in in that browser
    forged = re.sub(r"state=[^&]+", "state=forged", local(back))
    assert (await client.get(forged)).status_code == 400
    # The forged attempt used up the pending sign-in: the real answer no longer works either.
    assert (await client.get(local(back))).status_code == 400
    assert not client.cookies.get(SESSION_COOKIE)
    assert await user("lehrerin") is None


async def test_unknown_provider_is_a_german_404(client: httpx.AsyncClient, providers: dict[str, Any]) -> None:
    for path in ("/sso/oidc/unbekannt/start", "/sso/oidc/unbekannt/callback?code=x&state=y",
                 "/sso/ldap/county"):  # an OpenID provider is no directory
        page = await client.get(path)
        assert page.status_code == 404, path
        assert "Einen Anmeldedienst dieses Namens gibt es nicht." in page.text


async def test_wrong_password_at_the_provider_never_comes_back(client: httpx.AsyncClient, identity_provider: str,
                                                               providers: dict[str, Any]) -> None:
    start = await client.get("/sso/oidc/county/start")
    assert await at_provider(start.headers["location"], identity_provider, "lehrerin", "falsch") is None
    assert await user("lehrerin") is None


async def test_no_mapped_group_is_refused_not_given_a_default_role(
        client: httpx.AsyncClient, identity_provider: str, providers: dict[str, Any]) -> None:
    response = await sign_in(client, identity_provider, "ohnegruppe")
    assert response.status_code == 403
    assert "keiner Ihrer Gruppen ist in schoolit eine Rolle zugeordnet" in response.text
    assert await user("ohnegruppe") is None


async def test_group_removed_at_the_provider_ends_the_role_at_the_next_sign_in(
        client: httpx.AsyncClient, identity_provider: str, providers: dict[str, Any]) -> None:
    claims = OIDC_ACCOUNTS["wechsel"]
    assert (await sign_in(client, identity_provider, "wechsel")).status_code == 303
    set_claims(identity_provider, "wechsel", {"email": claims["email"], "email_verified": True,
                                              "name": claims["name"], "groups": ["staff"]})
    try:
        again = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")  # type: ignore[attr-defined]
        assert (await sign_in(again, identity_provider, "wechsel")).status_code == 403
        account = await user("wechsel")
        assert account is not None and not account["active"]
        assert (await client.get("/tickets", headers={"accept": "text/html"})).status_code == 303
    finally:
        set_claims(identity_provider, "wechsel", {"email": claims["email"], "email_verified": True,
                                                  "name": claims["name"], "groups": claims["groups"]})


async def test_unverified_email_cannot_take_an_address(client: httpx.AsyncClient, identity_provider: str,
                                                       providers: dict[str, Any], world: World) -> None:
    response = await sign_in(client, identity_provider, "unbestaetigt")
    assert response.status_code == 403
    assert "keine E-Mail-Adresse" in response.text
    assert await user("unbestaetigt") is None


async def test_password_login_can_be_switched_off_per_role(
        client: httpx.AsyncClient, world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest) -> None:
    monkeypatch.setenv("PASSWORD_LOGIN_OFF_ROLES", "supporter,authority")
    get_settings.cache_clear()  # read anew with the setting, and once more after the test without it
    request.addfinalizer(get_settings.cache_clear)
    page = await client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    refused = await client.post("/login", data={"email": "st@dbk.test.example", "password": PASSWORD,
                                                "_csrf_token": token.group(1)})
    assert refused.status_code == 403
    assert "Anmeldung mit Passwort ist für Ihre Rolle abgeschaltet" in refused.text
    assert not client.cookies.get(SESSION_COOKIE)
    admin = await client.post("/login", data={"email": "admin@test.example", "password": PASSWORD,
                                              "_csrf_token": token.group(1)})
    assert admin.status_code == 303
