"""The API's field errors: each names the field by its code (what programs match on), its label and the
reason, label and reason in German unless Accept-Language asks for English — for the parser's own
messages (wrong type, missing, too long, not one of the choices) as for the services'. Nothing is written."""

from __future__ import annotations

import httpx

from schoolit.sql import fetch
from tests.integration.inventory.support import obj
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


async def test_the_detail_line_is_german_unless_english_is_asked(client: httpx.AsyncClient, world: World) -> None:
    """Litestar's own top-level `detail` (a validation failure naming the request, a status's bare phrase)
    and our refusals read in German by default, in English on request."""
    admin, contact = world.auth_only("admin"), world.auth_only("school_contact")
    english = {**admin, "Accept-Language": "en"}
    bad = {"school_id": "kib", "category_id": 1, "subject": "Beamer"}
    lent = (await client.get(f"/api/v1/loans/{obj(world, 'loan', 'kib')}", headers=admin)).json()["device_id"]
    device = obj(world, "device", "kib")
    cases = [  # (request, status, German detail, English detail)
        (("POST", "/api/v1/tickets", admin, bad), 422,
         "Ungültige Eingabe für POST /api/v1/tickets", "Invalid input for POST /api/v1/tickets"),
        (("GET", "/api/v1/nothing-here", admin, None), 404,
         "Unter dieser Adresse gibt es nichts.", "There is nothing at this address."),
        (("DELETE", "/api/v1/tickets", admin, None), 405,
         "Diese Adresse nimmt keine DELETE-Anfragen an.", "This address does not take DELETE requests."),
        (("GET", "/api/v1/tickets", {}, None), 401, "Anmeldung erforderlich", "login required"),
        (("POST", "/api/v1/counties", contact, {"name": "X"}), 403,
         "Ihre Rolle darf das nicht", "your role may not do this"),
        (("POST", "/api/v1/loans", admin, {"device_id": lent, "pupil_ref": "7b-99"}), 409,
         "das Gerät ist bereits ausgeliehen", "the device already has an open loan"),
        (("GET", "/api/v1/devices/999999", admin, None), 404, "Gerät nicht gefunden", "device not found"),
        (("GET", "/api/v1/tickets/999999", admin, None), 404, "Ticket nicht gefunden", "ticket not found"),
        (("POST", f"/api/v1/counties/{world.counties['kusel']}/retire", admin, None), 409,
         "der Landkreis hat noch", "the county still has"),
    ]
    for (method, path, headers, body), status, german, english_detail in cases:
        for language, expected in (({}, german), ({"Accept-Language": "en"}, english_detail)):
            answer = await client.request(method, path, headers={**headers, **language}, json=body)
            assert answer.status_code == status, (method, path, answer.text)
            assert answer.json()["detail"].startswith(expected), (method, path, language, answer.json())
    held = await client.post(f"/api/v1/counties/{world.counties['kusel']}/retire", headers=admin)
    assert "noch offene Tickets: " in held.json()["detail"], held.json()  # the count's noun too
    too_large = await client.post(f"/api/v1/devices/{device}/disposal", headers=english,
                                  files={"certificate": ("wipe.pdf", b"%PDF" + b"0" * (11 * 1024 * 1024))},
                                  data={"reason": "defective"})
    assert too_large.status_code == 413, too_large.text
    assert too_large.json()["detail"] == "The request is larger than this address accepts."
    german_too_large = await client.post(f"/api/v1/devices/{device}/disposal", headers=admin,
                                         files={"certificate": ("wipe.pdf", b"%PDF" + b"0" * (11 * 1024 * 1024))},
                                         data={"reason": "defective"})
    assert german_too_large.json()["detail"] == "Die Anfrage ist größer, als diese Adresse annimmt."


async def test_a_lists_query_is_refused_alike_by_every_check(client: httpx.AsyncClient, world: World) -> None:
    """`limit` and `offset` have labels of their own (an offset is no page), and a list endpoint refusing
    its query answers the same kind of detail whichever check refused it (the parser's bounds, the
    resource's filters, the sort, a service's own check): each label with its reason."""
    admin = world.auth_only("admin")
    rows_skipped = "Versatz (übersprungene Zeilen)"
    cases = [  # (address, field, German label, German reason)
        ("/api/v1/devices?offset=-5", "offset", rows_skipped, "mindestens 0"),
        ("/api/v1/tickets?offset=viele", "offset", rows_skipped, "muss eine ganze Zahl sein"),
        ("/api/v1/devices?limit=0", "limit", "Zeilen pro Seite", "mindestens 1"),
        ("/api/v1/access-points?limit=100000", "limit", "Zeilen pro Seite", "höchstens 500"),
        ("/api/v1/devices?status=kaputt", "status", "Status", "kein zulässiger Wert"),
        ("/api/v1/devices?sort=password", "sort", "Sortieren nach", "unbekanntes Sortierfeld"),
        ("/api/v1/tickets?status=kaputt", "status", "Status", "unbekannter Status"),
        ("/api/v1/tickets?view=alles", "view", "Ansicht", "kein zulässiger Wert"),
    ]
    for path, field, label, reason in cases:
        answer = await client.get(path, headers=admin)
        assert answer.status_code == 422, (path, answer.text)
        body = answer.json()
        assert body["errors"] == [{"field": field, "label": label, "message": reason}], (path, body)
        assert body["detail"] == f"{label}: {reason}", (path, body)
    english = await client.get("/api/v1/devices?offset=-5", headers={**admin, "Accept-Language": "en"})
    assert english.json()["detail"] == "Offset (rows skipped): at least 0"
    two = (await client.get("/api/v1/devices?county_id=alle&kind=phone", headers=admin)).json()
    assert two["detail"] == "Landkreis: muss eine ganze Zahl sein; Art: kein zulässiger Wert"
