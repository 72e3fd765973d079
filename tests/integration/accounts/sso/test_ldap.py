"""LDAP / Active Directory sign-in against a real OpenLDAP with an AD-like tree, through the real
login pages (HTTP stack in process): StartTLS and LDAPS with a throw-away CA, wrong password,
disabled directory account, no mapped group (refused, never a default role), group removed (role gone
at the next login and at the sync), and the nightly sync for people who left the directory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import ldap3
import pytest

from schoolit.accounts.auth import SESSION_COOKIE
from schoolit.accounts.scope import Scope
from schoolit.accounts.services import UserScopeRef
from schoolit.accounts.sso import ldap, services
from schoolit.accounts.sso.services import ProviderInput
from schoolit.accounts.tables import AuditEvent, User
from tests.integration.world import World
from tests.sso.certs import make_certificates
from tests.sso.slapd import (
    AUTHORITY_GROUP,
    BASE,
    DISABLED_ACCOUNT,
    NORMAL_ACCOUNT,
    PASSWORD,
    PEOPLE,
    ROOT_DN,
    ROOT_PASSWORD,
    SERVICE_DN,
    SERVICE_PASSWORD,
    SUPPORT_GROUP,
    USERS,
    Directory,
)

ADMIN = Scope.system("test")
NAME = "kreis"


def person(login: str) -> Any:
    return next(p for p in PEOPLE if p.login == login)


def provider_input(directory: Directory, *, ldaps: bool = False, **config: Any) -> ProviderInput:
    return ProviderInput(name=NAME, label="Kreisverwaltung", kind="ldap", secret=SERVICE_PASSWORD, config={
        "url": directory.ldaps_url if ldaps else directory.ldap_url, "start_tls": not ldaps,
        "ca_pem": directory.certificates.ca_pem, "bind_dn": SERVICE_DN, "base_dn": USERS,
        "group_base_dn": BASE, **config})


async def add_provider(directory: Directory, world: World, **config: Any) -> dict[str, Any]:
    provider = await services.save_provider(ADMIN, provider_input(directory, **config))
    await services.add_mapping(ADMIN, provider_id=provider["id"], group_name=SUPPORT_GROUP, role="supporter",
                               ref=UserScopeRef(arrangement_slug="verbund-donnersberg-kl-kus"))
    await services.add_mapping(ADMIN, provider_id=provider["id"], group_name="Schulamt", role="authority",
                               ref=UserScopeRef(county_slug="kusel"))
    return provider


@pytest.fixture
async def provider(directory: Directory, world: World) -> dict[str, Any]:
    return await add_provider(directory, world)


@pytest.fixture
def root(directory: Directory) -> Iterator[ldap3.Connection]:
    """The directory's administrator, to change the tree the way an AD admin would; undone afterwards."""
    server = ldap3.Server(directory.ldaps_url, use_ssl=True, get_info=ldap3.NONE,
                          tls=ldap.VerifiedTls(ca_certs_data=directory.certificates.ca_pem))
    connection = ldap3.Connection(server, ROOT_DN, ROOT_PASSWORD, auto_bind=True)
    undo: list[tuple[str, dict[str, Any]]] = []
    connection.undo = undo  # type: ignore[attr-defined]
    yield connection
    for dn, changes in reversed(undo):
        connection.modify(dn, changes)
    connection.unbind()


def change(root: ldap3.Connection, dn: str, changes: dict[str, Any], undo: dict[str, Any]) -> None:
    assert root.modify(dn, changes), root.result
    root.undo.append((dn, undo))  # type: ignore[attr-defined]


async def form_token(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text[:300]
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, login: str, password: str = PASSWORD,
                  name: str = NAME) -> httpx.Response:
    token = await form_token(client, "/login")
    return await client.post(f"/sso/ldap/{name}", data={"login": login, "password": password, "next": "/tickets",
                                                         "_csrf_token": token})


async def user(login: str) -> dict[str, Any] | None:
    return await User.select().where((User.source == f"ldap:{NAME}") & (User.external_id == login)).first()


async def test_login_page_offers_the_directory_and_its_form(client: httpx.AsyncClient,
                                                            provider: dict[str, Any]) -> None:
    page = await client.get("/login?next=/tickets")
    assert "Mit Ihrer Organisation anmelden" in page.text
    assert f'href="/sso/ldap/{NAME}?next=/tickets"' in page.text
    form = await client.get(f"/sso/ldap/{NAME}")
    assert form.status_code == 200
    assert "Benutzername" in form.text and "Kreisverwaltung" in form.text


async def test_directory_login_creates_the_account_with_the_mapped_role(
        client: httpx.AsyncClient, provider: dict[str, Any], world: World) -> None:
    response = await sign_in(client, "SABINE")  # logins compare case-insensitively, as in AD
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == "/tickets"
    assert client.cookies.get(SESSION_COOKIE)
    account = await user("sabine")
    assert account is not None
    assert (account["email"], account["display_name"], account["role"], account["arrangement_id"]) == (
        "sabine.support@kreis.test.example", "Sabine Support", "supporter", world.arrangement_id)
    assert account["password_hash"] is None and account["active"]
    assert (await client.get("/tickets")).status_code == 200
    event = await AuditEvent.select().where((AuditEvent.action == "login.success")
                                            & (AuditEvent.object_id == str(account["id"]))).output(
        load_json=True).first()
    assert event is not None and event["after"]["source"] == f"ldap:{NAME}"
    # Without a local password the e-mail address cannot be used on the password form.
    token = await form_token(client, "/login")
    local = await client.post("/login", data={"email": account["email"], "password": PASSWORD, "_csrf_token": token})
    assert local.status_code == 401


async def test_ldaps_works_as_well_as_starttls(directory: Directory, world: World, client: httpx.AsyncClient) -> None:
    await add_provider(directory, world, ldaps=True)
    response = await sign_in(client, "anna")
    assert response.status_code == 303
    account = await user("anna")
    assert account is not None and (account["role"], account["county_id"]) == ("authority", world.counties["kusel"])


@pytest.mark.parametrize("ldaps", [False, True])
async def test_a_server_certificate_from_another_ca_is_refused(directory: Directory, tmp_path: Path,
                                                               ldaps: bool) -> None:
    other = make_certificates(tmp_path)
    config = services.ldap_config({"secret": SERVICE_PASSWORD, "config": {
        **provider_input(directory, ldaps=ldaps).config, "ca_pem": other.ca_pem}})
    with pytest.raises(ldap.DirectoryError, match="CERTIFICATE_VERIFY_FAILED"):
        await ldap.check_connection(config)
    await ldap.check_connection(services.ldap_config({"secret": SERVICE_PASSWORD,
                                                      "config": provider_input(directory, ldaps=ldaps).config}))


async def test_wrong_password_and_unknown_login_look_the_same(client: httpx.AsyncClient,
                                                              provider: dict[str, Any]) -> None:
    for login, password in (("sabine", "falsch"), ("sabine", ""), ("niemand", PASSWORD)):
        response = await sign_in(client, login, password)
        assert response.status_code == 401
        assert "Benutzername oder Passwort ist falsch." in response.text
    assert await user("sabine") is None
    assert not client.cookies.get(SESSION_COOKIE)


async def test_repeated_wrong_passwords_are_throttled(client: httpx.AsyncClient, provider: dict[str, Any]) -> None:
    for _ in range(5):
        assert (await sign_in(client, "sabine", "falsch")).status_code == 401
    throttled = await sign_in(client, "sabine")  # even the right password waits now
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    assert "Zu viele fehlgeschlagene Versuche" in throttled.text
    assert await user("sabine") is None


async def test_filter_characters_in_the_login_are_escaped(client: httpx.AsyncClient,
                                                          provider: dict[str, Any]) -> None:
    assert (await sign_in(client, "*")).status_code == 401  # a wildcard must not find anyone
    assert (await sign_in(client, "sabine)(sAMAccountName=*")).status_code == 401
    assert (await sign_in(client, "o*tto(")).status_code == 303  # the literal login still works


async def test_disabled_directory_account_is_refused(client: httpx.AsyncClient, provider: dict[str, Any]) -> None:
    response = await sign_in(client, "dieter")
    assert response.status_code == 403
    assert "im Verzeichnis deaktiviert" in response.text
    assert await user("dieter") is None
    assert not client.cookies.get(SESSION_COOKIE)


async def test_person_without_mapped_group_is_refused_not_given_a_default_role(
        client: httpx.AsyncClient, provider: dict[str, Any]) -> None:
    response = await sign_in(client, "norbert")
    assert response.status_code == 403
    assert "keiner Ihrer Gruppen ist in schoolit eine Rolle zugeordnet" in response.text
    assert await user("norbert") is None
    refused = await AuditEvent.select().where(AuditEvent.action == "login.refused").output(load_json=True).first()
    assert refused is not None and refused["after"]["reason"] == "no_role"


async def test_unknown_provider_is_a_german_404(client: httpx.AsyncClient, provider: dict[str, Any]) -> None:
    page = await client.get("/sso/ldap/gibtsnicht")
    assert page.status_code == 404 and "Anmeldedienst" in page.text
    token = await form_token(client, "/login")
    posted = await client.post("/sso/ldap/gibtsnicht", data={"login": "sabine", "password": PASSWORD,
                                                               "_csrf_token": token})
    assert posted.status_code == 404


async def test_removed_group_ends_the_role_at_the_next_login(
        client: httpx.AsyncClient, provider: dict[str, Any], root: ldap3.Connection) -> None:
    gustav = person("gustav")
    assert (await sign_in(client, "gustav")).status_code == 303
    assert (await client.get("/tickets")).status_code == 200
    change(root, SUPPORT_GROUP, {"member": [(ldap3.MODIFY_DELETE, [gustav.dn])]},
           {"member": [(ldap3.MODIFY_ADD, [gustav.dn])]})
    again = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")  # type: ignore[attr-defined]
    response = await sign_in(again, "gustav")
    assert response.status_code == 403
    account = await user("gustav")
    assert account is not None and not account["active"]
    # The session of the earlier login ended with the role.
    assert (await client.get("/tickets", headers={"accept": "text/html"})).status_code == 303


async def test_group_change_moves_the_role(client: httpx.AsyncClient, provider: dict[str, Any],
                                           root: ldap3.Connection, world: World) -> None:
    gustav = person("gustav")
    await sign_in(client, "gustav")
    change(root, SUPPORT_GROUP, {"member": [(ldap3.MODIFY_DELETE, [gustav.dn])]},
           {"member": [(ldap3.MODIFY_ADD, [gustav.dn])]})
    change(root, AUTHORITY_GROUP, {"member": [(ldap3.MODIFY_ADD, [gustav.dn])]},
           {"member": [(ldap3.MODIFY_DELETE, [gustav.dn])]})
    assert (await sign_in(client, "gustav")).status_code == 303
    account = await user("gustav")
    assert account is not None
    assert (account["role"], account["county_id"], account["arrangement_id"]) == (
        "authority", world.counties["kusel"], None)


async def test_sync_disables_who_left_lost_the_group_or_was_disabled(
        client: httpx.AsyncClient, provider: dict[str, Any], root: ldap3.Connection) -> None:
    for login in ("sabine", "gustav", "anna", "o*tto("):
        assert (await sign_in(httpx.AsyncClient(transport=client._transport,  # type: ignore[attr-defined]
                                                base_url="http://testserver"), login)).status_code == 303
    gustav, anna, otto = person("gustav"), person("anna"), person("o*tto(")
    change(root, SUPPORT_GROUP, {"member": [(ldap3.MODIFY_DELETE, [gustav.dn])]},
           {"member": [(ldap3.MODIFY_ADD, [gustav.dn])]})
    change(root, anna.dn, {"userAccountControl": [(ldap3.MODIFY_REPLACE, [str(DISABLED_ACCOUNT)])]},
           {"userAccountControl": [(ldap3.MODIFY_REPLACE, [str(NORMAL_ACCOUNT)])]})
    # Otto leaves: his login name changes, so the directory no longer knows the old one.
    change(root, otto.dn, {"sAMAccountName": [(ldap3.MODIFY_REPLACE, ["otto.neu"])]},
           {"sAMAccountName": [(ldap3.MODIFY_REPLACE, [otto.login])]})
    report = await services.sync_directories()
    assert (report.checked, report.disabled, report.updated, report.errors) == (4, 3, 0, [])
    states = {login: (await user(login) or {}).get("active") for login in ("sabine", "gustav", "anna", "o*tto(")}
    assert states == {"sabine": True, "gustav": False, "anna": False, "o*tto(": False}
    reasons = {e["object_id"]: e["after"]["reason"] for e in await AuditEvent.select().where(
        AuditEvent.action == "user.disable").output(load_json=True)}
    assert sorted(reasons.values()) == ["disabled", "left", "no_role"]


async def test_sync_disables_nobody_while_the_directory_is_down(
        directory: Directory, world: World, client: httpx.AsyncClient) -> None:
    provider = await add_provider(directory, world)
    assert (await sign_in(client, "sabine")).status_code == 303
    await services.save_provider(ADMIN, ProviderInput(**{**provider_input(directory).__dict__, "secret": "falsch"}),
                                 provider["id"])
    report = await services.sync_directories()
    assert report.disabled == 0 and report.errors
    assert (await user("sabine") or {}).get("active") is True
    response = await sign_in(client, "sabine")
    assert response.status_code == 503 and "nicht erreichbar" in response.text
