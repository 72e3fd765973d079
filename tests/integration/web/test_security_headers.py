"""HTTP security: headers on every answer (no inline script allowed), no caching of authenticated
answers, 401 for a write without credentials before any CSRF check, CSRF tokens bound to the
session, CSRF rejections logged and counted as 403, secrets in paths redacted in the log."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from schoolit.accounts.auth import CSRF_COOKIE, SESSION_COOKIE
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.world import World


def _check_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_every_answer_has_the_headers(client: httpx.AsyncClient, world: World) -> None:
    for response in (await client.get("/login"), await client.get("/api/v1/schools", headers=world.auth("admin")),
                     await client.get("/no-such-page"), await client.post("/api/v1/schools")):
        _check_headers(response)
    public = await client.get("/login")
    assert "no-store" not in public.headers.get("cache-control", "")
    api = await client.get("/api/v1/schools", headers=world.auth("admin"))
    assert api.headers["cache-control"] == "no-store"
    await login(client, "support@verbund.test.example")
    page = await client.get("/schools")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    # No inline script on the page: behaviour comes from static files.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text) and " onclick=" not in page.text
    script = re.search(r'src="(/static/js/app\.js\?v=[0-9a-f]+)"', page.text)
    assert script and (await client.get(script.group(1))).status_code == 200


async def test_writes_without_credentials_are_401_before_csrf(client: httpx.AsyncClient, world: World) -> None:
    for method, path in (("POST", "/api/v1/schools"), ("DELETE", "/api/v1/tokens/1"),
                         ("POST", "/api/v1/tickets/1/comments")):
        response = await client.request(method, path, json={})
        assert response.status_code == 401, (path, response.status_code)
    # A page that needs a login sends the browser to it, also for a write.
    page = await client.post("/tickets/1/comment", data={"body": "x"})
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_csrf_token_is_bound_to_the_session(client: httpx.AsyncClient, world: World) -> None:
    before_login = await csrf_token(client, "/login")
    await login(client, "support@verbund.test.example")
    url = f"/schools/{world.schools['kib']['id']}/edit"
    mine = await csrf_token(client, url)
    assert mine != before_login
    form = {"school_number": "41001", "name": "Nordpfalzgymnasium Kirchheimbolanden", "school_type": "gymnasium"}
    assert (await client.post(url, data={**form, "_csrf_token": before_login})).status_code == 403
    # Another person's session and token: the token does not carry over to this session.
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")  # type: ignore[attr-defined]
    await login(other, "admin@test.example")
    theirs = await csrf_token(other, url)
    assert theirs != mine
    assert (await client.post(url, data={**form, "_csrf_token": theirs})).status_code == 403
    assert (await client.post(url, data={**form, "_csrf_token": mine})).status_code == 303
    assert client.cookies.get(CSRF_COOKIE) and client.cookies.get(SESSION_COOKIE)


async def test_csrf_rejection_is_logged_and_counted_as_403(client: httpx.AsyncClient, world: World,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    async def rejected() -> float:
        text = (await client.get("/metrics")).text
        match = re.search(r'schoolit_http_requests_total\{method="POST",route="/logout",status="403"\} (\S+)', text)
        return float(match.group(1)) if match else 0.0

    before = await rejected()
    with caplog.at_level(logging.WARNING):
        response = await client.post("/logout", data={})
    assert response.status_code == 403
    assert await rejected() == before + 1
    assert '"/logout",status="500"' not in (await client.get("/metrics")).text
    assert any("CSRF token rejected" in str(record.msg) for record in caplog.records)


async def test_tracking_tokens_are_redacted_in_the_request_log(client: httpx.AsyncClient,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="schoolit.http"):
        await client.get("/track/trk_SecretToken1234567890")
    logged = " ".join(str(record.msg) for record in caplog.records)
    assert "/track/[redacted]" in logged and "SecretToken" not in logged
