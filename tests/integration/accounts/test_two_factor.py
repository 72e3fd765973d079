"""The TOTP second factor through the real HTTP stack: enrolment with a first code, the login's
second step (a half-finished login grants nothing), wrong codes throttled like wrong passwords,
recovery codes each usable once, and the admin's reset. Codes are computed with pyotp."""

from __future__ import annotations

import re
import time

import httpx
import pyotp

from schoolit.accounts.tables import AuditEvent, RecoveryCode, User
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.world import World

SUPPORTER = "support@verbund.test.example"


async def enrol(client: httpx.AsyncClient, email: str) -> tuple[str, list[str]]:
    """Log in, set up the second factor on the enrolment page, log out; the secret and recovery codes."""
    assert (await login(client, email)).status_code == 303
    page = await client.get("/account/two-factor")
    assert page.status_code == 200 and "<svg" in page.text  # the QR code, rendered inline
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page.text)
    assert secret
    token = await csrf_token(client, "/account/two-factor")
    wrong = await client.post("/account/two-factor", data={"_csrf_token": token, "code": "000000"})
    assert wrong.status_code == 422 and "der Code ist falsch" in wrong.text
    done = await client.post("/account/two-factor", data={
        "_csrf_token": token, "code": pyotp.TOTP(secret.group(1)).now()})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z0-9-]{19})</li>", done.text)
    assert len(codes) == 10
    await client.post("/logout", data={"_csrf_token": await csrf_token(client, "/account")})
    return secret.group(1), codes


def next_code(secret: str) -> str:
    """The code of the next time step: the one of the enrolment (this step) is used up."""
    return pyotp.TOTP(secret).at(time.time() + 30)


async def test_enrolment_keeps_the_secret_encrypted_and_never_shows_it_again(client: httpx.AsyncClient,
                                                                            world: World) -> None:
    secret, _codes = await enrol(client, SUPPORTER)
    row = await User.select(User.totp_secret_encrypted, User.totp_confirmed_at).where(User.email == SUPPORTER).first()
    assert row is not None and row["totp_confirmed_at"] is not None
    assert secret not in row["totp_secret_encrypted"]
    assert await RecoveryCode.count().where(RecoveryCode.user_id == world.users["verbund_supporter"]["id"]) == 10
    await login(client, SUPPORTER)
    await client.post("/login/code", data={"_csrf_token": await csrf_token(client, "/login/code"),
                                           "code": next_code(secret)})
    page = await client.get("/account/two-factor")
    assert page.status_code == 200 and secret not in page.text and "ist eingerichtet" in page.text
    assert await AuditEvent.count().where(AuditEvent.action == "user.totp_enrol") == 1


async def test_half_login_grants_no_access_until_the_code(client: httpx.AsyncClient, world: World) -> None:
    secret, _codes = await enrol(client, SUPPORTER)
    response = await login(client, SUPPORTER, next="/tickets")
    assert response.status_code == 303 and response.headers["location"] == "/login/code?next=%2Ftickets"
    for path in ("/tickets", "/account", "/schools", "/api/v1/me", "/account/password"):
        answer = await client.get(path, headers={"accept": "text/html"})
        assert answer.status_code in (401, 303, 405), path
        assert answer.status_code != 303 or answer.headers["location"].startswith("/login"), path
    assert (await client.get("/api/v1/me")).status_code == 401
    form = await client.get(response.headers["location"])
    assert '<input type="hidden" name="next" value="/tickets">' in form.text  # the way on is kept
    done = await client.post("/login/code", data={"_csrf_token": await csrf_token(client, "/login/code"),
                                                  "code": next_code(secret), "next": "/tickets"})
    assert done.status_code == 303 and done.headers["location"] == "/tickets"
    assert (await client.get("/api/v1/me")).status_code == 200


async def test_wrong_codes_are_throttled_and_a_code_works_once(client: httpx.AsyncClient, world: World) -> None:
    secret, _codes = await enrol(client, SUPPORTER)
    code = next_code(secret)
    await login(client, SUPPORTER)
    assert (await client.post("/login/code", data={"_csrf_token": await csrf_token(client, "/login/code"),
                                                   "code": code})).status_code == 303
    await client.post("/logout", data={"_csrf_token": await csrf_token(client, "/account")})
    await login(client, SUPPORTER)
    replay = await client.post("/login/code", data={"_csrf_token": await csrf_token(client, "/login/code"),
                                                    "code": code})
    assert replay.status_code == 401 and "falsch oder wurde schon verwendet" in replay.text
    statuses = []
    for _ in range(5):
        answer = await client.post("/login/code", data={"_csrf_token": await csrf_token(client, "/login/code"),
                                                        "code": "123456"})
        statuses.append(answer.status_code)
    assert statuses == [401, 401, 401, 401, 429]  # the replay counted as the first wrong code
    assert "Retry-After" in answer.headers
    right = pyotp.TOTP(secret).now()
    blocked = await client.post("/login/code", data={"_csrf_token": await csrf_token(client, "/login/code"),
                                                     "code": right})
    assert blocked.status_code == 429  # throttled: even a right code waits
    assert (await client.get("/api/v1/me")).status_code == 401
    assert await AuditEvent.count().where(AuditEvent.action == "login.code_failure") == 5


async def test_recovery_codes_work_once_each(client: httpx.AsyncClient, world: World) -> None:
    _secret, codes = await enrol(client, SUPPORTER)
    await login(client, SUPPORTER)
    used = await client.post("/login/code", data={"_csrf_token": await csrf_token(client, "/login/code"),
                                                  "code": codes[3].upper()})
    assert used.status_code == 303 and used.headers["location"] == "/account?recovery_used=1"
    account = await client.get(used.headers["location"])
    assert "Unbenutzte Wiederherstellungscodes: 9" in account.text
    await client.post("/logout", data={"_csrf_token": await csrf_token(client, "/account")})
    await login(client, SUPPORTER)
    again = await client.post("/login/code", data={"_csrf_token": await csrf_token(client, "/login/code"),
                                                   "code": codes[3]})
    assert again.status_code == 401
    assert (await client.get("/api/v1/me")).status_code == 401
    assert await AuditEvent.count().where(AuditEvent.action == "login.recovery_code") == 1


async def test_admin_resets_a_second_factor(client: httpx.AsyncClient, world: World) -> None:
    await enrol(client, SUPPORTER)
    user_id = world.users["verbund_supporter"]["id"]
    await login(client, "admin@test.example")
    url = f"/admin/users/{user_id}"
    page = await client.get(url)
    assert "Zweiten Faktor zurücksetzen" in page.text
    reset = await client.post(f"{url}/two-factor/reset", data={"_csrf_token": await csrf_token(client, url)})
    assert reset.status_code == 200 and "Der zweite Faktor ist zurückgesetzt" in reset.text
    assert await RecoveryCode.count().where(RecoveryCode.user_id == user_id) == 0
    assert await AuditEvent.count().where((AuditEvent.action == "user.totp_reset")
                                          & (AuditEvent.object_id == str(user_id))) == 1
    await client.post("/logout", data={"_csrf_token": await csrf_token(client, "/admin/users")})
    response = await login(client, SUPPORTER, next="/tickets")
    assert response.headers["location"] == "/tickets"  # no second factor any more (not required here)
