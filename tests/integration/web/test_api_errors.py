"""The API's field errors: each names the field by its code (what programs match on), its label and the
reason, label and reason in German unless Accept-Language asks for English — for the parser's own
messages (wrong type, missing, too long, not one of the choices) as for the services'. Nothing is written."""

from __future__ import annotations

import httpx

from schoolit.sql import fetch
from tests.integration.world import World


async def _tickets() -> int:
    return int((await fetch("SELECT count(*)::int AS n FROM ticket"))[0]["n"])


async def test_a_wrong_type_is_named_by_label_in_german(client: httpx.AsyncClient, world: World) -> None:
    before = await _tickets()
    response = await client.post("/api/v1/tickets", headers=world.auth_only("admin"),
                                 json={"school_id": "kib", "category_id": 1, "subject": "Beamer"})
    assert response.status_code in (400, 422), response.text
    assert response.json()["errors"] == [
        {"field": "school_id", "label": "Schule", "message": "muss eine ganze Zahl sein"}]
    assert await _tickets() == before


async def test_missing_too_long_and_unknown_fields(client: httpx.AsyncClient, world: World) -> None:
    missing = await client.post("/api/v1/tickets", headers=world.auth_only("admin"),
                                json={"school_id": 1, "subject": "x"})
    assert missing.json()["errors"] == [{"field": "category_id", "label": "Kategorie", "message": "Pflichtfeld"}]
    long = await client.post("/api/v1/tickets", headers=world.auth_only("admin"),
                             json={"school_id": 1, "category_id": 1, "subject": "x" * 201})
    assert long.status_code == 422
    assert long.json()["errors"] == [{"field": "subject", "label": "Betreff", "message": "höchstens 200 Zeichen"}]
    unknown = await client.post("/api/v1/tickets", headers=world.auth_only("admin"),
                                json={"school_id": 1, "category_id": 1, "subject": "x", "colour": "red"})
    assert unknown.json()["errors"] == [{"field": "colour", "label": "colour", "message": "unbekanntes Feld"}]


async def test_english_on_request(client: httpx.AsyncClient, world: World) -> None:
    headers = {**world.auth_only("admin"), "Accept-Language": "en-GB,en;q=0.9,de;q=0.5"}
    response = await client.post("/api/v1/tickets", headers=headers,
                                 json={"school_id": "kib", "category_id": 1, "subject": "Beamer"})
    assert response.json()["errors"] == [{"field": "school_id", "label": "School", "message": "must be a whole number"}]
    german = {**world.auth_only("admin"), "Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    response = await client.post("/api/v1/tickets", headers=german,
                                 json={"school_id": "kib", "category_id": 1, "subject": "Beamer"})
    assert response.json()["errors"][0]["message"] == "muss eine ganze Zahl sein"


async def test_a_services_refusal_and_a_bad_choice(client: httpx.AsyncClient, world: World) -> None:
    school = world.schools["kib"]["id"]
    category = (await fetch("SELECT id FROM ticket_category ORDER BY id LIMIT 1"))[0]["id"]
    before = await _tickets()
    response = await client.post("/api/v1/tickets", headers=world.auth_only("admin"),
                                 json={"school_id": school, "category_id": category, "subject": "Beamer",
                                       "urgency": "sofort"})
    assert response.status_code == 422, response.text
    errors = {e["field"]: (e["label"], e["message"]) for e in response.json()["errors"]}
    assert errors["urgency"][0] == "Dringlichkeit" and errors["urgency"][1] != "must be low, medium or high"
    assert await _tickets() == before
    wrong = await client.get("/api/v1/tickets?limit=viele", headers=world.auth_only("admin"))
    assert wrong.status_code in (400, 422)
    assert wrong.json()["errors"] == [
        {"field": "limit", "label": "Zeilen pro Seite", "message": "muss eine ganze Zahl sein"}]
