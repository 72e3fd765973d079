"""The web base: German pages by default, English selectable, problem details, OpenAPI, logs."""

from __future__ import annotations

import hashlib
import io
import json
import re

import httpx
import pytest

from schoolit.logs import configure_logging
from schoolit.settings import Settings
from schoolit.sql import fetch
from schoolit.web.templating import STATIC_DIR
from tests.integration.accounts.test_login import login
from tests.integration.world import World


async def test_home_is_german_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert '<html lang="de">' in response.text
    assert "Schul-IT für Landkreise" in response.text
    assert "/static/vendor/htmx-2.0.11.min.js" in response.text


async def test_language_switch_sets_cookie_and_only_redirects_locally(client: httpx.AsyncClient) -> None:
    response = await client.get("/language/en", params={"next": "/"})
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/"
    assert "lang=en" in response.headers["set-cookie"]
    english = await client.get("/", headers={"cookie": "lang=en"})
    assert '<html lang="en">' in english.text
    assert "School IT for counties" in english.text
    evil = await client.get("/language/en", params={"next": "https://evil.example/"})
    assert evil.headers["location"] == "/"
    protocol_relative = await client.get("/language/en", params={"next": "//evil.example/"})
    assert protocol_relative.headers["location"] == "/"


async def test_unknown_language_keeps_german(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"cookie": "lang=fr"})
    assert '<html lang="de">' in response.text


async def test_api_errors_are_problem_details(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not found"


async def test_page_errors_are_german_pages(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Nicht gefunden" in response.text


async def test_an_unknown_or_foreign_object_is_named_in_the_users_language(client: httpx.AsyncClient,
                                                                           world: World) -> None:
    """A page of an object that is not there (or outside the caller's scope: the same answer) names what
    is missing in German, and in English when asked; never the English message id on a German page."""
    await login(client, "support@verbund.test.example")
    ludwigsburg = world.counties["ludwigsburg"]
    foreign = (await fetch("SELECT id FROM device WHERE county_id = {} LIMIT 1", ludwigsburg))[0]["id"]
    missing = (("/devices/999999", "Gerät nicht gefunden", "device not found"),
               (f"/devices/{foreign}", "Gerät nicht gefunden", "device not found"),
               ("/tickets/999999", "Ticket nicht gefunden", "ticket not found"),
               ("/schools/999999", "Schule nicht gefunden", "school not found"))
    for path, german, english in missing:
        page = await client.get(path, headers={"accept": "text/html"})
        assert page.status_code == 404, path
        assert german in page.text and english.capitalize() not in page.text, (path, page.text[-600:])
    client.cookies.set("lang", "en")
    for path, _german, english in missing:  # a sentence of its own on the page: "Device not found"
        assert english.capitalize() in (await client.get(path, headers={"accept": "text/html"})).text, path


async def test_a_wrong_address_keeps_the_signed_in_header(client: httpx.AsyncClient, world: World) -> None:
    """A path no route has: the 404 page of a signed-in person shows their menu and logout, not a login
    link; a visitor gets the same page with the login link."""
    visitor = await client.get("/no-such-page/at-all", headers={"accept": "text/html"})
    assert visitor.status_code == 404 and 'href="/login"' in visitor.text and 'action="/logout"' not in visitor.text
    await login(client, "support@verbund.test.example")
    signed_in = await client.get("/no-such-page/at-all", headers={"accept": "text/html"})
    assert signed_in.status_code == 404 and "Unter dieser Adresse gibt es nichts." in signed_in.text
    assert 'action="/logout"' in signed_in.text and 'href="/login"' not in signed_in.text
    assert 'href="/tickets"' in signed_in.text  # the supporter's menu


async def test_a_form_posted_to_a_wrong_address_is_told_so(client: httpx.AsyncClient, world: World) -> None:
    """A form sent to an address no route has gets the 404 page, not a refused CSRF token: that route changes
    nothing. A real route still refuses a form without its token."""
    visitor = await client.post("/no-such-page", data={"name": "x"}, headers={"accept": "text/html"})
    assert visitor.status_code == 404 and "Unter dieser Adresse gibt es nichts." in visitor.text
    await login(client, "support@verbund.test.example")
    signed_in = await client.post("/no-such-page/form", data={"name": "x"}, headers={"accept": "text/html"})
    assert signed_in.status_code == 404 and 'action="/logout"' in signed_in.text
    assert 'name="_csrf_token" value="' in signed_in.text  # its logout form still carries the token
    assert (await client.post("/logout", data={})).status_code == 403


async def test_openapi_schema(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/health" in schema["paths"]
    assert "/" not in schema["paths"]  # pages stay out of the API description


async def test_static_htmx_is_vendored(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/vendor/htmx-2.0.11.min.js")
    assert response.status_code == 200
    assert "htmx" in response.text[:200]


async def test_the_project_icon_answers_favicon_ico_and_is_linked_from_every_page(client: httpx.AsyncClient) -> None:
    """Browsers ask /favicon.ico of every site: the icon, not a 404, with the static file's validators (ETag,
    Last-Modified), kept a day (its address has no version)."""
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content.startswith(b"<svg") and b"schoolit" in icon.content
    static = await client.get("/static/img/icon.svg")
    assert static.status_code == 200 and static.content == icon.content
    for header in ("etag", "last-modified"):
        assert icon.headers.get(header) == static.headers.get(header), header
    assert icon.headers["etag"] and icon.headers["cache-control"] == "public, max-age=86400"
    home = await client.get("/")
    assert re.search(r'<link rel="icon" href="/static/img/icon\.svg\?v=[0-9a-f]{10}" type="image/svg\+xml">', home.text)


def _static_file(address: str) -> bytes:
    return (STATIC_DIR / address.removeprefix("/static/")).read_bytes()


async def test_pages_name_static_files_by_content_and_browsers_keep_them(client: httpx.AsyncClient,
                                                                      world: World) -> None:
    """Every page loads the style sheet and scripts by an address that carries their content's digest, so
    a browser keeps them for a year — signed in too: they are the same for everyone — and a release that
    changes a file changes its address. The pages themselves are never stored."""
    await login(client, "support@verbund.test.example")
    page = await client.get("/tickets")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    addresses = re.findall(r'(?:href|src)="(/static/[^"?]+)\?v=([0-9a-f]{10})"', page.text)
    assert {path for path, _ in addresses} >= {"/static/css/app.css", "/static/js/app.js", "/static/img/icon.svg"}
    for path, version in addresses:
        content = _static_file(path)
        assert version == hashlib.sha256(content).hexdigest()[:10], path
        kept = await client.get(f"{path}?v={version}")
        assert kept.status_code == 200 and kept.content == content
        assert kept.headers["cache-control"] == "max-age=31536000, public, immutable", path
    assert (await client.get("/favicon.ico")).headers["cache-control"] == "public, max-age=86400"
    assert (await client.get("/account")).headers["cache-control"] == "no-store"


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/health", headers={"x-request-id": "proxy-abc-123"})
    assert given.headers["x-request-id"] == "proxy-abc-123"
    made = await client.get("/health", headers={"x-request-id": "bad id with spaces\n"})
    assert made.headers["x-request-id"] != "bad id with spaces\n"
    assert len(made.headers["x-request-id"]) == 32


@pytest.fixture
def json_log(settings: Settings):  # type: ignore[no-untyped-def]
    buffer = io.StringIO()
    configure_logging(Settings(**{**settings.__dict__, "log_format": "json", "log_level": "info"}), stream=buffer)
    yield buffer
    configure_logging(settings)


async def test_json_logs_carry_the_request_id(client: httpx.AsyncClient, json_log: io.StringIO) -> None:
    response = await client.get("/health")
    records = [json.loads(line) for line in json_log.getvalue().splitlines() if line.strip()]
    request_lines = [r for r in records if r.get("event") == "request" and r.get("path") == "/health"]
    assert request_lines, records
    assert request_lines[-1]["request_id"] == response.headers["x-request-id"]
    assert request_lines[-1]["status"] == 200
    assert request_lines[-1]["level"] == "info"
