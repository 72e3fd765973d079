"""Login, sessions and CSRF through the real HTTP stack."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time

import httpx

from schoolit.accounts.auth import CSRF_COOKIE, SESSION_COOKIE
from schoolit.accounts.tables import AuditEvent, User, WebSession
from tests.integration.world import PASSWORD, World


async def csrf_token(client: httpx.AsyncClient, path: str = "/login") -> str:
    page = await client.get(path)
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
    token = await csrf_token(client)
    return await client.post("/login", data={"email": email, "password": password, "_csrf_token": token, **extra})


async def test_login_page_is_german(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    assert page.status_code == 200
    assert "Anmelden" in page.text and "Passwort" in page.text


async def test_login_sets_a_strict_session_cookie_and_redirects(client: httpx.AsyncClient, world: World) -> None:
    response = await login(client, "ST@dbk.test.example", next="/audit")  # e-mail is case-insensitive
    assert response.status_code == 303
    assert response.headers["location"] == "/audit"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    page = await client.get("/audit")
    assert page.status_code == 200
    assert "St@Dbk" not in page.text  # sanity: the page renders the audit log, not an error
    assert await User.select(User.last_login_at).where(User.id == world.users["donnersberg_authority"]["id"]).first()


async def test_login_redirect_stays_on_site(client: httpx.AsyncClient, world: World) -> None:
    response = await login(client, "st@dbk.test.example", next="https://evil.example/")
    assert response.headers["location"] == "/"


async def test_session_id_changes_at_login_and_old_one_dies(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "st@dbk.test.example")
    first = client.cookies[SESSION_COOKIE]
    await login(client, "st@dbk.test.example")
    second = client.cookies[SESSION_COOKIE]
    assert first != second
    stale = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")  # type: ignore[attr-defined]
    stale.cookies.set(SESSION_COOKIE, first)
    response = await stale.get("/audit", headers={"accept": "text/html"})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert await WebSession.count().where(WebSession.user_id == world.users["donnersberg_authority"]["id"]) == 1


async def test_logout_ends_the_session(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "st@dbk.test.example")
    token = await csrf_token(client, "/audit")
    response = await client.post("/logout", data={"_csrf_token": token})
    assert response.status_code == 303
    assert (await client.get("/audit")).status_code == 303


async def test_idle_session_expires(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "st@dbk.test.example")
    assert (await client.get("/audit")).status_code == 200
    await WebSession.update({WebSession.last_seen_at: dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61)}).where(
        WebSession.user_id == world.users["donnersberg_authority"]["id"])
    response = await client.get("/audit")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Faudit"
    assert await WebSession.count().where(WebSession.user_id == world.users["donnersberg_authority"]["id"]) == 0


async def test_form_post_without_csrf_token_is_403(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    response = await client.post("/admin/users", data={"email": "new@test.example", "display_name": "N",
                                                       "role": "admin"})
    assert response.status_code == 403
    assert not await User.exists().where(User.email == "new@test.example")
    forged = await client.post("/admin/users", data={"email": "new@test.example", "display_name": "N",
                                                     "role": "admin", "_csrf_token": "forged" * 10})
    assert forged.status_code == 403
    token = await csrf_token(client, "/admin/users")
    created = await client.post("/admin/users", data={"email": "new@test.example", "display_name": "N",
                                                      "role": "admin", "_csrf_token": token})
    assert created.status_code == 200
    assert await User.exists().where(User.email == "new@test.example")


async def test_htmx_request_without_csrf_header_is_403(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    user_id = world.users["school_contact"]["id"]
    refused = await client.post(f"/admin/users/{user_id}/disable", headers={"hx-request": "true"})
    assert refused.status_code == 403
    # The cookie alone is no token (the token is bound to the session): the page's token is.
    cookie = client.cookies[CSRF_COOKIE]
    assert (await client.post(f"/admin/users/{user_id}/disable", headers={
        "hx-request": "true", "x-csrftoken": cookie})).status_code == 403
    token = await csrf_token(client, "/admin/users")
    accepted = await client.post(f"/admin/users/{user_id}/disable", headers={"hx-request": "true",
                                                                            "x-csrftoken": token})
    assert accepted.status_code == 303


async def test_unknown_email_and_wrong_password_answer_alike(client: httpx.AsyncClient, world: World) -> None:
    def visible(response: httpx.Response) -> str:
        # The page echoes the typed address and carries a fresh CSRF token; everything else must match.
        text = re.sub(r'value="[^"]*"', 'value=""', response.text)
        return text

    timings: dict[str, list[float]] = {"unknown": [], "wrong": []}
    answers = {}
    for _ in range(3):
        for kind, email in (("unknown", "nobody@test.example"), ("wrong", "st@dbk.test.example")):
            started = time.perf_counter()
            response = await login(client, email, "not the password")
            timings[kind].append(time.perf_counter() - started)
            answers[kind] = (response.status_code, visible(response))
    assert answers["unknown"] == answers["wrong"]
    assert answers["wrong"][0] == 401
    assert "E-Mail-Adresse oder Passwort ist falsch." in answers["wrong"][1]
    # Both paths verify an argon2 hash: their times are of the same order.
    ratio = statistics.median(timings["unknown"]) / statistics.median(timings["wrong"])
    assert 0.5 < ratio < 2.0, timings


async def test_five_failures_throttle_the_account_and_address(client: httpx.AsyncClient, world: World) -> None:
    for _ in range(5):
        assert (await login(client, "st@dbk.test.example", "wrong")).status_code == 401
    throttled = await login(client, "st@dbk.test.example")  # even the right password now waits
    assert throttled.status_code == 429
    assert 800 < int(throttled.headers["retry-after"]) <= 901
    assert "Zu viele fehlgeschlagene Versuche" in throttled.text
    other = await login(client, "admin@test.example")  # another account from the same address is not blocked
    assert other.status_code == 303
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.actor_label == "st@dbk.test.example")]
    assert actions.count("login.failure") == 5 and "login.throttled" in actions


async def test_disabled_user_cannot_log_in(client: httpx.AsyncClient, world: World) -> None:
    await User.update({User.active: False}).where(User.id == world.users["donnersberg_authority"]["id"])
    assert (await login(client, "st@dbk.test.example")).status_code == 401


async def test_ended_sessions_and_old_failures_are_pruned(client: httpx.AsyncClient, world: World) -> None:
    from schoolit.accounts.sessions import prune_sessions, start_session
    from schoolit.accounts.tables import LoginFailure

    await login(client, "st@dbk.test.example")
    await start_session(world.users["admin"]["id"], client_ip="127.0.0.1", user_agent="test")
    await login(client, "nobody@test.example", "wrong")
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    await WebSession.update({WebSession.last_seen_at: old}).where(
        WebSession.user_id == world.users["donnersberg_authority"]["id"])
    await LoginFailure.update({LoginFailure.failed_at: old}).where(LoginFailure.email == "nobody@test.example")
    assert await prune_sessions(dt.timedelta(minutes=60)) == (1, 1)
    assert await WebSession.count() == 1  # the admin's live session stays
