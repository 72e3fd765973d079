"""User administration through the real HTTP stack: no default role, scope by name, the last admin
kept, one-time password-reset links, the own password change ending the other sessions."""

from __future__ import annotations

import re

import httpx

from schoolit.accounts.auth import SESSION_COOKIE
from schoolit.accounts.tables import AuditEvent, PasswordReset, User
from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.world import PASSWORD, World

NEW_PASSWORD = "ein ganz neues Passwort 2026"


def _other_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=client._transport, base_url="http://testserver")  # type: ignore[attr-defined]


async def test_new_user_form_preselects_no_role_and_a_missing_role_is_refused(client: httpx.AsyncClient,
                                                                              world: World) -> None:
    await login(client, "admin@test.example")
    page = await client.get("/admin/users")
    role_select = re.search(r'<select name="role"[^>]*>(.*?)</select>', page.text, re.S)
    assert role_select is not None
    selected = re.findall(r'<option value="([^"]*)"[^>]* selected', role_select.group(1))
    assert selected == [""]  # only the disabled "– bitte wählen –" placeholder
    assert "Nordpfalzgymnasium Kirchheimbolanden, Kirchheimbolanden (41001)" in page.text  # schools by name
    before = await User.count()
    response = await client.post("/admin/users", data={
        "_csrf_token": await csrf_token(client, "/admin/users"), "email": "neu@kib.example",
        "display_name": "Neu", "county": "donnersbergkreis"})
    assert response.status_code == 422
    assert "Bitte eine Rolle wählen" in response.text
    assert await User.count() == before


async def test_admin_edits_role_and_scope_by_name(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    user_id = world.users["school_contact"]["id"]
    page = await client.get(f"/admin/users/{user_id}")
    assert page.status_code == 200 and 'value="41001" selected' in page.text
    url = f"/admin/users/{user_id}"
    saved = await client.post(url, data={"_csrf_token": await csrf_token(client, url), "display_name": "IT Kusel",
                                         "role": "authority", "county": "kusel"})
    assert saved.status_code == 200 and "Änderungen gespeichert." in saved.text
    row = await User.select(User.role, User.county_id, User.school_id).where(User.id == user_id).first()
    assert row == {"role": "authority", "county_id": world.counties["kusel"], "school_id": None}
    users = await client.get("/admin/users")
    assert re.search(r"it@kib.test.example</a></td>\s*<td>IT Kusel</td>\s*<td>Schulträger</td>\s*"
                     r"<td>Landkreis Kusel</td>", users.text)
    assert await AuditEvent.count().where((AuditEvent.action == "user.update")
                                          & (AuditEvent.object_id == str(user_id))) == 1


async def test_the_last_active_admin_is_neither_disabled_nor_demoted(client: httpx.AsyncClient,
                                                                     world: World) -> None:
    await login(client, "admin@test.example")
    admin_id = world.users["admin"]["id"]
    url = f"/admin/users/{admin_id}"
    demoted = await client.post(url, data={"_csrf_token": await csrf_token(client, url), "display_name": "Admin",
                                           "role": "supporter", "county": "kusel"})
    assert demoted.status_code == 409
    assert "letzte aktive Administrator" in demoted.text
    assert (await User.select(User.role).where(User.id == admin_id).first()) == {"role": "admin"}
    # A second admin exists: now the first may be demoted, and the second is then the last one.
    second = await client.post("/admin/users", data={
        "_csrf_token": await csrf_token(client, "/admin/users"), "email": "admin2@test.example",
        "display_name": "Zweite Admin", "role": "admin"})
    assert second.status_code == 200
    second_id = (await User.select(User.id).where(User.email == "admin2@test.example").first())["id"]  # type: ignore[index]
    disabled = await client.post(f"/admin/users/{second_id}/disable",
                                 data={"_csrf_token": await csrf_token(client, url)})
    assert disabled.status_code == 303
    again = await client.post(url, data={"_csrf_token": await csrf_token(client, url), "display_name": "Admin",
                                         "role": "supporter", "county": "kusel"})
    assert again.status_code == 409  # the second admin is disabled: still the last active one
    enabled = await client.post(f"/admin/users/{second_id}/enable",
                                data={"_csrf_token": await csrf_token(client, url)})
    assert enabled.status_code == 303
    assert (await User.select(User.active).where(User.id == second_id).first()) == {"active": True}
    done = await client.post(url, data={"_csrf_token": await csrf_token(client, url), "display_name": "Admin",
                                        "role": "supporter", "county": "kusel"})
    assert done.status_code == 200
    # Demoted, the first admin's sessions ended with the scope they had.
    assert (await client.get("/admin/users")).status_code in (401, 303)


async def test_reset_link_sets_a_password_once_and_expires(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    user_id = world.users["donnersberg_authority"]["id"]
    url = f"/admin/users/{user_id}"
    page = await client.post(f"{url}/password-reset", data={"_csrf_token": await csrf_token(client, url)})
    link = re.search(r'data-testid="reset-link">https?://[^/]+(/password-reset/[^<]+)<', page.text)
    assert link, page.text[-1500:]
    path = link.group(1)
    assert link.group(0) not in (await client.get(url)).text  # shown once
    token = path.rsplit("/", 1)[1]
    assert not await PasswordReset.exists().where(PasswordReset.token_hash == token)  # only its digest is stored

    async with _other_client(client) as holder:
        user_session = _other_client(client)
        await login(user_session, "st@dbk.test.example")
        form = await holder.get(path)
        assert form.status_code == 200 and "st@dbk.test.example" in form.text
        short = await holder.post(path, data={"_csrf_token": await csrf_token(holder, path), "password": "kurz",
                                              "repeat_password": "kurz"})
        assert short.status_code == 422 and "mindestens 12 Zeichen" in short.text
        done = await holder.post(path, data={"_csrf_token": await csrf_token(holder, path),
                                             "password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD})
        assert done.status_code == 200 and "Ihr neues Passwort ist gesetzt" in done.text
        # Used up: a second use is refused and changes nothing.
        assert (await holder.get(path)).status_code == 410
        reused = await holder.post(path, data={"_csrf_token": await csrf_token(holder, "/login"),
                                               "password": "noch ein anderes Passwort", "repeat_password":
                                               "noch ein anderes Passwort"})
        assert reused.status_code == 410
        # The user's sessions ended; the new password works.
        assert (await user_session.get("/audit")).status_code in (401, 303)
        await user_session.aclose()
        assert (await login(holder, "st@dbk.test.example", NEW_PASSWORD)).status_code == 303

    page = await client.post(f"{url}/password-reset", data={"_csrf_token": await csrf_token(client, url)})
    expired = re.search(r'data-testid="reset-link">https?://[^/]+(/password-reset/[^<]+)<', page.text)
    assert expired
    await fetch("UPDATE password_reset SET expires_at = now() - interval '1 second' WHERE user_id = {} "
                "AND used_at IS NULL", user_id)
    async with _other_client(client) as late:
        assert (await late.get(expired.group(1))).status_code == 410
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.object_id == str(user_id)).order_by(AuditEvent.id)]
    # Three links: the test world's (ended by the next one), the used one and the expired one.
    assert actions.count("user.password_reset_link") == 3 and actions.count("user.password_reset") == 1


async def test_own_password_change_needs_the_current_one_and_ends_other_sessions(client: httpx.AsyncClient,
                                                                                  world: World) -> None:
    other = _other_client(client)
    await login(other, "it@kib.test.example")
    await login(client, "it@kib.test.example")
    url = "/account"
    wrong = await client.post("/account/password", data={
        "_csrf_token": await csrf_token(client, url), "current_password": "falsch falsch falsch",
        "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD})
    assert wrong.status_code == 422 and "das aktuelle Passwort ist falsch" in wrong.text
    assert (await other.get(url)).status_code == 200  # nothing changed
    changed = await client.post("/account/password", data={
        "_csrf_token": await csrf_token(client, url), "current_password": PASSWORD,
        "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD})
    assert changed.status_code == 200 and "Ihre anderen Sitzungen sind beendet" in changed.text
    assert (await client.get(url)).status_code == 200  # this session stays
    assert (await other.get(url, headers={"accept": "text/html"})).status_code in (401, 303)  # the other ended
    await other.aclose()
    assert client.cookies.get(SESSION_COOKIE)
    assert await AuditEvent.count().where(AuditEvent.action == "user.password_change") == 1
    assert (await login(_other_client(client), "it@kib.test.example", NEW_PASSWORD)).status_code == 303


async def test_over_long_values_come_back_at_their_fields_with_what_was_typed(client: httpx.AsyncClient,
                                                                              world: World) -> None:
    """The new-user and the edit form: a name or an e-mail address too long for its column is the form
    again (422) with the German reason at the field and every typed value kept, not the bare error page."""
    await login(client, "admin@test.example")
    long_name = "Dr. " + "Mustermann-" * 20  # 224 characters, the column takes 200
    long_email = "a" * 250 + "@kib.example"
    before = await User.count()
    created = await client.post("/admin/users", data={
        "_csrf_token": await csrf_token(client, "/admin/users"), "email": long_email, "display_name": long_name,
        "role": "school", "school": "41001"})
    assert created.status_code == 422, created.text
    assert "<h1>Benutzer</h1>" in created.text and "Neuer Benutzer" in created.text  # the page, not an error page
    assert re.search(r'name="display_name" value="' + re.escape(long_name) + r'"[^>]*aria-invalid="true"',
                     created.text)
    assert 'data-field="display_name">höchstens 200 Zeichen<' in created.text
    assert f'value="{long_email}"' in created.text and 'data-field="email">höchstens 254 Zeichen<' in created.text
    assert 'value="41001" selected' in created.text  # the scope chosen stays too
    assert await User.count() == before

    user_id = world.users["school_contact"]["id"]
    url = f"/admin/users/{user_id}"
    edited = await client.post(url, data={"_csrf_token": await csrf_token(client, url), "display_name": long_name,
                                          "role": "school", "school": "41001"})
    assert edited.status_code == 422, edited.text
    assert f'value="{long_name}"' in edited.text and 'data-field="display_name">höchstens 200 Zeichen<' in edited.text
    row = await User.select(User.display_name).where(User.id == user_id).first()
    assert row is not None and row["display_name"] != long_name
