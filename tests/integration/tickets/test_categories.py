"""Ticket categories, described once (`schoolit.tickets.categories.CATEGORY`): the API and the admins'
page check what they are sent with the same rules, so a bad value is the same German field error (label
and reason) on both, and nothing is written."""

from __future__ import annotations

import html

import httpx
import pytest

from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.world import World

PAGE = "/admin/ticket-categories"
API = "/api/v1/ticket-categories"


async def _stored() -> tuple[list[dict[str, object]], int]:
    """Every category as stored, and how many category changes the audit log holds."""
    rows = await fetch("SELECT id, name, position, active FROM ticket_category ORDER BY id")
    audited = await fetch("SELECT count(*) AS n FROM audit_log WHERE action = 'ticket_category.save'")
    return [dict(r) for r in rows], int(audited[0]["n"])


@pytest.mark.parametrize(("api_body", "form", "field", "label", "reason"), [
    ({"name": "   "}, {"name": "   ", "active": "yes"}, "name", "Name", "Pflichtfeld"),
    ({"position": 3}, {"position": "3", "active": "yes"}, "name", "Name", "Pflichtfeld"),
    ({"name": "Telefonie", "position": "drei"}, {"name": "Telefonie", "position": "drei"}, "position", "Position",
     "muss eine ganze Zahl sein"),
    ({"name": "Telefonie", "active": "vielleicht"}, {"name": "Telefonie", "active": "vielleicht"}, "active",
     "Aktiv", "muss ja oder nein sein"),
])
async def test_bad_input_is_the_same_german_field_error_on_api_and_page(
        client: httpx.AsyncClient, world: World, api_body: dict[str, object], form: dict[str, str], field: str,
        label: str, reason: str) -> None:
    before = await _stored()
    existing = before[0][0]["id"]
    for path, method in ((API, "POST"), (f"{API}/{existing}", "PUT")):
        answer = await client.request(method, path, json=api_body, headers=world.auth_only("admin"))  # German
        assert answer.status_code == 422, answer.text
        assert {"label": label, "message": reason} in [
            {"label": e["label"], "message": e["message"]} for e in answer.json()["errors"]], answer.text
    await login(client, "admin@test.example")
    token = await csrf_token(client, PAGE)
    for posted in ({**form}, {**form, "id": str(existing)}):  # the new category's form and a row's
        page = await client.post(PAGE, data={**posted, "_csrf_token": token})
        assert page.status_code == 422
        assert f"{label}: {reason}" in html.unescape(page.text)
        if "id" in posted:  # a row's form shows every field: the reason stands next to it too
            assert f'data-field="{field}">{reason}<' in html.unescape(page.text)
    assert await _stored() == before


async def test_the_page_changes_a_row_and_a_put_replaces_the_whole_category(
        client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    token = await csrf_token(client, PAGE)
    assert (await client.post(PAGE, data={"name": " Telefonie ", "active": "yes", "_csrf_token": token})
            ).status_code == 303
    row = (await fetch("SELECT id, name, position, active FROM ticket_category WHERE name = 'Telefonie'"))[0]
    assert (row["position"], row["active"]) == (0, True)
    page = (await client.get(PAGE)).text
    assert f'name="id" value="{row["id"]}"' in page and 'maxlength="80"' in page
    changed = await client.post(PAGE, data={"id": str(row["id"]), "name": "Telefonie und Fax", "position": "7",
                                            "_csrf_token": token})  # the box unticked: no longer active
    assert changed.status_code == 303
    assert dict((await fetch("SELECT name, position, active FROM ticket_category WHERE id = {}", row["id"]))[0]) \
        == {"name": "Telefonie und Fax", "position": 7, "active": False}
    replaced = await client.put(f"{API}/{row['id']}", json={"name": "Telefonie"}, headers=world.auth("admin"))
    assert replaced.status_code == 200, replaced.text
    assert replaced.json() == {"id": row["id"], "name": "Telefonie", "position": 0, "active": True}
    unknown = await client.post(API, json={"name": "Fax", "colour": "rot"}, headers=world.auth("admin"))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "colour"


async def test_a_name_longer_than_its_column_is_refused_by_the_same_limit_on_api_and_page(
        client: httpx.AsyncClient, world: World) -> None:
    """The input limits check both against ticket_category.name (the page's form Struct is named after
    its table like the API's), in the request's language: German unless the client asks for English."""
    before = await _stored()
    answer = await client.post(API, json={"name": "T" * 81}, headers=world.auth("admin"))
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "name", "label": "Name", "message": "at most 80 characters"}]
    german = await client.post(API, json={"name": "T" * 81}, headers=world.auth_only("admin"))
    assert german.status_code == 422
    assert german.json()["errors"] == [{"field": "name", "label": "Name", "message": "höchstens 80 Zeichen"}]
    await login(client, "admin@test.example")
    token = await csrf_token(client, PAGE)
    page = await client.post(PAGE, data={"name": "T" * 81, "active": "yes", "_csrf_token": token})
    assert page.status_code == 422 and "höchstens 80 Zeichen" in page.text
    assert await _stored() == before
