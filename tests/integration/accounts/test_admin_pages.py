"""Admin pages: users list, create (password shown once), disable; tokens list and revoke."""

from __future__ import annotations

import re

import httpx

from schoolit.accounts.auth import session_cookie
from schoolit.accounts.tables import ApiToken, User
from schoolit.settings import Settings
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.accounts.test_refused_form_summaries import summary
from tests.integration.world import World


async def test_admin_creates_user_and_sees_password_once(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    page = await client.get("/admin/users")
    assert page.status_code == 200
    assert "st@dbk.test.example" in page.text and "Neuer Benutzer" in page.text
    token = await csrf_token(client, "/admin/users")
    created = await client.post("/admin/users", data={
        "_csrf_token": token, "email": "medien@kib.example", "display_name": "Medienbeauftragter",
        "role": "school", "school": "41001"})
    assert created.status_code == 200
    password = re.search(r'data-testid="generated-password">([^<]+)<', created.text)
    assert password, created.text[-2000:]
    assert "medien@kib.example" in created.text
    again = await client.get("/admin/users")
    assert password.group(1) not in again.text
    await client.post("/logout", data={"_csrf_token": await csrf_token(client, "/admin/users")})
    assert (await login(client, "medien@kib.example", password.group(1))).status_code == 303


async def test_invalid_form_shows_field_errors_and_writes_nothing(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    token = await csrf_token(client, "/admin/users")
    response = await client.post("/admin/users", data={
        "_csrf_token": token, "email": "kaputt", "display_name": "", "role": "school", "school": "00000"})
    assert response.status_code == 422
    assert "keine gültige E-Mail-Adresse" in response.text and "darf nicht leer sein" in response.text
    assert "unbekannte Schulnummer" in response.text and "unknown" not in response.text
    # On top of the form, its summary: each refused field by its label, linked to its input.
    assert [(field, label) for field, label, _reason in summary(response.text)[1]] == [
        ("email", "E-Mail-Adresse"), ("display_name", "Name"), ("school", "Schule (Schulkontakte)")]
    assert await User.count() == len(world.users)


async def test_admin_disables_user_and_revokes_token_on_pages(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    tokens_page = await client.get("/admin/tokens")
    assert tokens_page.status_code == 200
    assert world.tokens["school_contact"][:12] in tokens_page.text
    assert world.tokens["school_contact"] not in tokens_page.text
    token_id = world.token_ids["school_contact"]
    revoked = await client.post(f"/admin/tokens/{token_id}/revoke",
                                data={"_csrf_token": await csrf_token(client, "/admin/tokens")})
    assert revoked.status_code == 303
    row = await ApiToken.select(ApiToken.revoked_at).where(ApiToken.id == token_id).first()
    assert row is not None and row["revoked_at"] is not None
    user_id = world.users["ludwigsburg_authority"]["id"]
    disabled = await client.post(f"/admin/users/{user_id}/disable",
                                 data={"_csrf_token": await csrf_token(client, "/admin/users")})
    assert disabled.status_code == 303
    assert await User.select(User.active).where(User.id == user_id).first() == {"active": False}


async def test_non_admin_gets_403_on_admin_pages(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    assert (await client.get("/admin/users")).status_code == 403


def test_session_cookie_is_secure_when_configured(settings: Settings) -> None:
    secure = session_cookie("abc", Settings(**{**settings.__dict__, "secure_cookies": True}))
    assert secure.secure and secure.httponly and secure.samesite == "lax"
    assert not session_cookie("abc", settings).secure
