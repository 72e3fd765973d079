"""CSV import in the browser: a dry run shows each row with its errors beside it and writes nothing; the
corrected file checks clean and "Import now" writes it, the result saying what was written."""

from __future__ import annotations

import re

import httpx

from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.world import World

BAD = ("Schulnummer;Name;Schulart;Landkreis;Ort;Schülerzahl\n"
       "41021;Gymnasium am Hang;Gymnasium;donnersbergkreis;Bolanden;500\n"
       "4102;Realschule am Bach;Realschule plus;donnersbergkreis;Göllheim;viele\n")
GOOD = BAD.replace("4102;", "41022;").replace(";viele", ";300")


async def _schools() -> int:
    return int((await fetch("SELECT count(*) AS n FROM school WHERE school_number IN ('41021', '41022')"))[0]["n"])


async def test_check_shows_row_errors_then_the_fixed_file_imports(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    token = await csrf_token(client, "/import")
    checked = await client.post("/import", data={"import_kind": "schools", "action": "check", "_csrf_token": token},
                                files={"file": ("schulen.csv", BAD.encode("utf-8"), "text/csv")})
    assert checked.status_code == 422
    assert 'data-testid="error-row-3"' in checked.text and 'data-testid="error-row-2"' not in checked.text
    assert "Schülerzahl</strong>: " in checked.text and "nothing" not in checked.text
    assert "1 Zeile hat Fehler; es wurde nichts geschrieben." in checked.text
    assert 'data-testid="import-commit"' not in checked.text and await _schools() == 0

    fixed = await client.post("/import", data={"import_kind": "schools", "action": "check", "_csrf_token": token},
                              files={"file": ("schulen.csv", GOOD.encode("utf-8"), "text/csv")})
    assert fixed.status_code == 200 and 'data-testid="import-commit"' in fixed.text
    assert "würde 2 anlegen" in fixed.text and await _schools() == 0  # a check writes nothing
    content = re.search(r'<textarea name="content" hidden aria-hidden="true">(.*?)</textarea>', fixed.text, re.S)
    assert content is not None
    committed = await client.post("/import", data={"import_kind": "schools", "action": "commit", "_csrf_token": token,
                                                   "content": GOOD})
    assert committed.status_code == 200
    assert "2 Zeilen importiert: 2 angelegt, 0 aktualisiert" in committed.text and await _schools() == 2


async def test_a_refused_header_leaves_every_row_unchecked(client: httpx.AsyncClient, world: World) -> None:
    """A file of schools chosen as rooms is refused at its header: the page says so, and no row below it is
    marked right (none was read)."""
    await login(client, "support@verbund.test.example")
    token = await csrf_token(client, "/import")
    checked = await client.post("/import", data={"import_kind": "rooms", "action": "check", "_csrf_token": token},
                                files={"file": ("schulen.csv", GOOD.encode("utf-8"), "text/csv")})
    assert checked.status_code == 422
    assert 'data-testid="error-row-1"' in checked.text and "die Kopfzeile ist die der Art „Schule“" in checked.text
    assert "an ihrer Kopfzeile abgelehnt, daher wurde keine Zeile geprüft" in checked.text
    assert checked.text.count("nicht geprüft</span>") == 2 and "korrekt" not in checked.text
    assert "0 Zeilen" not in checked.text and await _schools() == 0


async def test_the_page_needs_a_kind_and_a_file(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    token = await csrf_token(client, "/import")
    response = await client.post("/import", data={"import_kind": "", "action": "check", "_csrf_token": token},
                                 files={"file": ("x.csv", b"a;b\n1;2\n", "text/csv")})
    assert response.status_code == 422 and "Wählen Sie, was die Datei enthält." in response.text
    assert (await client.get("/import")).status_code == 200
    client.cookies.clear()
    await login(client, "it@kib.test.example")
    assert (await client.get("/import")).status_code == 403


async def test_wlan_controllers_are_a_kind_of_the_page_and_commit(client: httpx.AsyncClient, world: World) -> None:
    # The longest kind name: the posted kind is no device kind (a column of 15 characters).
    csv = "Landkreis;Name;Controller-Typ;Management-IP\ndonnersbergkreis;WLC Kreishaus;lancom-wlc;172.16.0.10\n"
    await login(client, "support@verbund.test.example")
    page = await client.get("/import")
    assert '<option value="wlan-controllers">WLAN-Controller</option>' in page.text
    token = await csrf_token(client, "/import")
    committed = await client.post("/import", data={"import_kind": "wlan-controllers", "action": "commit",
                                                   "_csrf_token": token, "content": csv})
    assert committed.status_code == 200, committed.text
    assert "1 Zeile importiert: 1 angelegt, 0 aktualisiert (davon 0 geändert)." in committed.text
    stored = await fetch("SELECT profile FROM wlan_controller WHERE name = 'WLC Kreishaus'")
    assert stored == [{"profile": "lancom-wlc"}]
