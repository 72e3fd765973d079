"""Input that its column cannot hold — control characters, text longer than the column, numbers
beyond its range — is a 422 naming the field, in the API, the query string, forms and the public
form without a login; nothing is written. The limits come from the table definitions."""

from __future__ import annotations

import re

import httpx

from schoolit.inventory.resources.room import ROOM
from schoolit.inventory.tables import Loan, Room, School
from schoolit.sql import fetch
from schoolit.tickets.tables import Ticket
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.inventory.csvfiles import csv_bytes, post_import
from tests.integration.inventory.support import call, field_errors, obj, school
from tests.integration.inventory.test_pages import HTMX
from tests.integration.tickets.world import category_id
from tests.integration.world import World

BEYOND_INTEGER = 2**31
BEYOND_BIGINT = 2**63


async def test_public_report_form_refuses_a_nul_byte_in_german(client: httpx.AsyncClient, world: World) -> None:
    token = await csrf_token(client, "/report")
    response = await client.post("/report", data={
        "_csrf_token": token, "school_number": "41001", "category_id": str(await category_id()), "urgency": "high",
        "description": "Beamer\x00kaputt", "email": "lehrerin@schule.example", "consent": "yes"})
    assert response.status_code == 422  # the form again, the reason at the field (its page shows them there)
    # The page shows the text again without the refused character, and says so (tickets.pages.shown_again).
    removed = "enthielt unsichtbare Steuerzeichen, die entfernt wurden: bitte prüfen und erneut senden"
    assert re.search(rf'id="error-description"[^>]*>{removed}<', response.text)
    assert f"Was funktioniert nicht?</a>: {removed}" in response.text
    assert "\x00" not in response.text and "Beamerkaputt</textarea>" in response.text
    assert (await fetch("SELECT count(*) AS n FROM ticket WHERE source = 'web_form'"))[0]["n"] == 0


async def test_query_parameters(client: httpx.AsyncClient, world: World) -> None:
    nul = await client.get("/api/v1/schools", params={"q": "Rock\x00"}, headers=world.auth("admin"))
    assert field_errors(nul) == {"q": "must not contain control characters"}
    offset = await client.get("/api/v1/tickets", params={"offset": str(BEYOND_BIGINT)}, headers=world.auth("admin"))
    assert field_errors(offset) == {"offset": f"at most {BEYOND_BIGINT - 1}"}
    page = await client.get("/api/v1/schools", params={"q": "x\x01"}, headers={**world.auth("admin")})
    assert page.status_code == 422


async def test_json_bodies_by_their_columns(client: httpx.AsyncClient, world: World) -> None:
    kib = school(world, "kib")
    ticket = await call(client, world, "admin", "POST", "/tickets", json={
        "school_id": kib, "category_id": BEYOND_INTEGER, "subject": "Drucker\x00", "description": "a\nb\tc"})
    # The subject is one line (varchar); the description may span lines (text).
    assert field_errors(ticket) == {"category_id": f"at most {BEYOND_INTEGER - 1}",
                                    "subject": "must not contain control characters"}
    name = School.name._meta.params["length"]  # type: ignore[attr-defined]
    too_long = await call(client, world, "admin", "PATCH", f"/schools/{kib}", json={"name": "N" * (name + 1)})
    assert field_errors(too_long) == {"name": f"at most {name} characters"}
    loan = await call(client, world, "admin", "POST", "/loans", json={"device_id": -BEYOND_INTEGER - 1,
                                                                      "pupil_ref": "7b-99"})
    assert field_errors(loan) == {"device_id": f"at least {-BEYOND_INTEGER}"}
    bulk = await call(client, world, "admin", "POST", "/loans/bulk", json={
        "school_id": kib, "rows": [{"serial": "OK1", "pupil_ref": "7b-01"}, {"serial": "S\x00", "pupil_ref": "x"}]})
    assert field_errors(bulk) == {"rows[1].serial": "must not contain control characters"}
    assert await Ticket.count().where(Ticket.subject.like("Drucker%")) == 0


def at_fields(html: str) -> dict[str, tuple[str, str]]:
    """Each field of a re-shown form that has an error: its label -> (the value it shows, the error)."""
    assert "<html" not in html  # the form alone, swapped in place of the one typed into
    found = re.findall(r'<label>([^<]+?)(?: \*)?\s*<input name="[^"]+" value="([^"]*)"(?:(?!</label>).)*?'
                       r'data-field="[^"]+">([^<]+)<', html, re.DOTALL)
    return {label.strip(): (value, error) for label, value, error in found}


async def test_forms_show_unfit_values_at_their_fields(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    url = f"/schools/{school(world, 'kib')}/edit"
    token = await csrf_token(client, url)
    response = await client.post(url, headers=HTMX, data={
        "_csrf_token": token, "school_number": "516020", "name": "Nord\x01", "school_type": "gymnasium",
        "street": "x" * 201})
    assert response.status_code == 422
    # Named by their labels (from the school's description), not by their codes; what was typed stays.
    assert at_fields(response.text) == {"Schulnummer": ("516020", "höchstens 5 Zeichen"),
                                        "Name": ("Nord\x01", "darf keine Steuerzeichen enthalten"),
                                        "Straße": ("x" * 201, "höchstens 200 Zeichen")}
    assert (await School.select(School.street).where(School.id == school(world, "kib")).first())["street"] != "x" * 201


async def test_room_form_limits_the_floor_as_its_description_does(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    url = f"/schools/{school(world, 'kib')}/rooms/new"
    floor = ROOM["floor"].kind.max_length  # type: ignore[attr-defined]
    assert floor == Room.floor._meta.params["length"]  # type: ignore[attr-defined]
    form = await client.get(url)
    assert re.search(rf'<input name="floor" value=""[^>]*maxlength="{floor}"', form.text)
    before = await Room.count()
    response = await client.post(url, headers=HTMX, data={
        "_csrf_token": await csrf_token(client, url), "name": "Physik", "floor": "2. Obergeschoss Nordflügel"})
    assert response.status_code == 422
    assert at_fields(response.text) == {"Etage": ("2. Obergeschoss Nordflügel", f"höchstens {floor} Zeichen")}
    assert 'value="Physik"' in response.text and await Room.count() == before


async def test_lend_forms_keep_what_was_typed(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "it@kib.test.example")
    long_class = "Berufsfachschule 1 Gruppe A"
    lend = f"/devices/{obj(world, 'device', 'kib')}/lend"
    before = await Loan.count()
    one = await client.post(lend, headers=HTMX, data={"_csrf_token": await csrf_token(client, lend),
                                                      "pupil_ref": "7b-09", "class_name": long_class})
    assert one.status_code == 422
    assert at_fields(one.text)["Klasse"] == (long_class, "höchstens 20 Zeichen")
    bulk = f"/schools/{school(world, 'kib')}/loans/bulk"
    page = await client.get(bulk)
    assert 'name="class_name" id="field-class_name" value="" size="8" maxlength="20"' in page.text
    assert '<label class="sr-only" for="field-rows.0.serial">Seriennummer, Zeile 1</label>' in page.text
    assert '<label class="sr-only" for="field-rows.29.pupil_ref">Schülerkennung, Zeile 30</label>' in page.text
    rows = await client.post(bulk, data={"_csrf_token": await csrf_token(client, bulk), "class_name": long_class,
                                         "serial_0": "DMPXKIB0001", "pupil_ref_0": "7b-02",
                                         "serial_1": "NIXDA01", "pupil_ref_1": "7b-03"})
    assert rows.status_code == 422 and "Es wurde nichts ausgeliehen" in rows.text
    assert 'data-field="class_name">höchstens 20 Zeichen<' in rows.text
    for typed in (long_class, "DMPXKIB0001", "7b-02", "NIXDA01", "7b-03"):
        assert f'value="{typed}"' in rows.text, typed
    assert await Loan.count() == before


async def test_an_unknown_choice_is_not_allowed_rather_than_too_long(client: httpx.AsyncClient,
                                                                    world: World) -> None:
    await login(client, "support@verbund.test.example")
    url = "/snmp-profiles/new"
    response = await client.post(url, headers=HTMX, data={"_csrf_token": await csrf_token(client, url),
                                                          "name": "Neu", "version": "v99"})
    assert response.status_code == 422 and "<html" not in response.text
    assert 'data-field="version">kein zulässiger Wert<' in response.text and "höchstens 2 Zeichen" not in response.text


def listed_errors(html: str) -> dict[str, str]:
    """The error page's list: label -> reason."""
    return dict(re.findall(r"<strong>([^<]+)</strong>: ([^<]+)</li>", html))


async def test_error_pages_name_fields_by_their_forms_labels(client: httpx.AsyncClient, world: World) -> None:
    token = await csrf_token(client, "/report")
    report = await client.post("/report", data={
        "_csrf_token": token, "school_number": "41001", "category_id": str(await category_id()), "urgency": "high",
        "description": "Beamer kaputt", "device_serial": "S" * 81, "email": "lehrerin@schule.example",
        "consent": "yes"})
    assert report.status_code == 422  # a form that shows its problems at the fields names them by its labels
    assert "Seriennummer des Geräts (optional)</a>: höchstens 80 Zeichen" in report.text
    await login(client, "admin@test.example")
    token = await csrf_token(client, "/admin/counties")
    county = await client.post("/admin/counties", data={"_csrf_token": token, "name": "Landkreis Neu",
                                                        "slug": "neu", "ags": "07133", "seat": "S" * 121,
                                                        "state": "XYZ"})
    assert county.status_code == 422
    assert listed_errors(county.text) == {"Sitz der Verwaltung": "höchstens 120 Zeichen",
                                          "Bundesland": "kein zulässiger Wert"}


async def test_a_nul_in_a_path_segment_is_not_found(client: httpx.AsyncClient, world: World) -> None:
    assert (await client.get("/track/trk_%00abc")).status_code == 404


async def test_csv_cells_get_a_per_row_error(client: httpx.AsyncClient, world: World) -> None:
    rows = [["Schulnummer", "Name", "Straße", "Ort", "Schülerzahl", "Landkreis"],
            ["41031", "Schule\x00Eins", "Hauptstraße 1", "Kusel", "100", "kusel"],
            ["41032", "Schule Zwei", "S" * 201, "Kusel", "100", "kusel"],
            ["41033", "Schule Drei", "Hauptstraße 3", "Kusel", "100", "kus\x07el"],
            ["41034", "Schule Vier", "Hauptstraße 4", "Kusel", "100", "kusel"]]
    response = await post_import(client, world, "admin", "schools", csv_bytes(rows))
    assert response.status_code == 422, response.text
    errors = [(e["row"], e["column"], e["message"]) for e in response.json()["errors"]]
    assert {(2, "Name", "darf keine Steuerzeichen enthalten"), (3, "Straße", "höchstens 200 Zeichen"),
            (4, "Landkreis", "darf keine Steuerzeichen enthalten")} <= set(errors)
    assert 5 not in {row for row, _column, _message in errors}
    assert (await fetch("SELECT count(*) AS n FROM school WHERE school_number LIKE '4103_'"))[0]["n"] == 0


async def test_utf16_csv_with_bom_as_excel_writes_it(client: httpx.AsyncClient, world: World) -> None:
    """Excel's "Unicode text": UTF-16 (little endian) with BOM, tab between cells."""
    rows = [["Schulnummer", "Name", "Ort", "Landkreis"], ["41041", "Grundschule Öhringen-Süd", "Kusel", "kusel"]]
    for encoding in ("utf-16", "utf-16-be"):
        data = ("\ufeff" if encoding == "utf-16-be" else "") + "\r\n".join("\t".join(row) for row in rows) + "\r\n"
        response = await post_import(client, world, "admin", "schools", data.encode(encoding), dry_run=True)
        assert response.status_code == 200, response.text
        assert response.json()["encoding"] == "utf-16" and response.json()["created"] == 1
    broken = await post_import(client, world, "admin", "schools", b"\xff\xfe" + b"\x00\xd8", dry_run=True)
    assert not broken.json()["ok"]
    assert [e["message"] for e in broken.json()["errors"]] == ["die Datei beginnt wie UTF-16-Text, ist es aber nicht"]
