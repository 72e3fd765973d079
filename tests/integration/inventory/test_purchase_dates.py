"""The dates of a purchase (resources/common.py, `purchase_dates`), one rule that the API, the edit forms and
the CSV import share: a purchase date of 2031 or an invoice date of 01.01.1800 is refused at its field in
German with the day as pages show it, a warranty ending before the purchase too, and nothing is written —
a CSV file all or nothing, each bad cell named by its line and column."""

from __future__ import annotations

import re
from typing import Any

import httpx

from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.inventory.csvfiles import DEVICE_HEADER_DE, csv_bytes, device_rows, post_import
from tests.integration.inventory.support import call, obj, school
from tests.integration.world import World

FUTURE = "darf nicht in der Zukunft liegen"
TOO_EARLY = "frühestens am 01.01.2000"


def _reasons(response: httpx.Response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


async def _german(client: httpx.AsyncClient, world: World, method: str, url: str, body: Any) -> httpx.Response:
    """The API as the supporter, answering in German (the tests' clients ask for English)."""
    return await client.request(method, "/api/v1" + url, json=body,
                                headers={**world.auth("verbund_supporter"), "accept-language": "de"})


async def test_the_api_refuses_days_a_purchase_cannot_have(client: httpx.AsyncClient, world: World) -> None:
    kib = school(world, "kib")
    device = {"school_id": kib, "kind": "laptop", "serial": "DATE-1", "status": "stock",
              "funding_programme": "digitalpakt_sofortausstattung"}
    created = await _german(client, world, "POST", "/devices", {
        **device, "purchase_date": "2031-01-15", "invoice_date": "1800-01-01"})
    assert created.status_code == 422, created.text
    assert _reasons(created) == {"purchase_date": FUTURE, "invoice_date": TOO_EARLY}
    assert await fetch("SELECT id FROM device WHERE serial = 'DATE-1'") == []
    ap = {"school_id": kib, "serial": "APDATE-1", "vendor": "lancom", "status": "planned",
          "funding_programme": "digitalpakt_basis"}
    created = await _german(client, world, "POST", "/access-points", {
        **ap, "purchase_date": "1999-12-31", "warranty_end": "2024-01-01", "invoice_date": "2031-01-15"})
    assert created.status_code == 422, created.text
    assert _reasons(created) == {"purchase_date": TOO_EARLY, "invoice_date": FUTURE}
    # A correction (PATCH) is checked alike; one leaving the dates alone is not refused for them.
    stored = obj(world, "device", "kib")
    patched = await _german(client, world, "PATCH", f"/devices/{stored}", {
        "purchase_date": "2024-05-02", "warranty_end": "2024-05-01"})
    assert patched.status_code == 422 and _reasons(patched) == {
        "warranty_end": "die Garantie (bis 01.05.2024) kann nicht vor dem Kauf (02.05.2024) enden"}
    assert (await call(client, world, "verbund_supporter", "PATCH", f"/devices/{stored}",
                       {"model": "iPad 10"})).status_code == 200
    ok = await call(client, world, "verbund_supporter", "POST", "/devices", {
        **device, "purchase_date": "2000-01-01", "invoice_date": "2000-01-03", "warranty_end": "2003-01-01"})
    assert ok.status_code == 201, ok.text


async def test_the_form_names_the_day_at_its_field_and_in_the_summary(client: httpx.AsyncClient,
                                                                      world: World) -> None:
    await login(client, "support@verbund.test.example")
    url = f"/schools/{school(world, 'kib')}/devices/new"
    refused = await client.post(url, headers={"hx-request": "true"}, data={
        "_csrf_token": await csrf_token(client, url), "serial": "DATE-2", "kind": "laptop", "status": "stock",
        "funding_programme": "digitalpakt_sofortausstattung", "purchase_date": "2031-01-15",
        "invoice_date": "01.01.1800"})
    assert refused.status_code == 422
    assert dict(re.findall(r'data-field="([^"]+)">([^<]+)<', refused.text)) == {
        "purchase_date": FUTURE, "invoice_date": TOO_EARLY}
    assert f'<a href="#field-purchase_date">Kaufdatum</a>: {FUTURE}' in refused.text
    assert f'<a href="#field-invoice_date">Rechnungsdatum</a>: {TOO_EARLY}' in refused.text
    assert 'value="2031-01-15"' in refused.text  # what was typed stays
    assert await fetch("SELECT id FROM device WHERE serial = 'DATE-2'") == []


async def test_the_import_refuses_the_file_naming_line_and_column(client: httpx.AsyncClient, world: World) -> None:
    header = [*DEVICE_HEADER_DE, "Rechnungsdatum", "Garantie bis"]
    rows = [header, *([*row, "01.10.2020", "15.09.2023"] for row in device_rows("41001", 5, prefix="DATE"))]
    rows[2][7] = "15.09.2031"  # line 3: bought in the future
    rows[3][10] = "31.12.1999"  # line 4: invoiced before records begin
    rows[4][11] = "14.09.2020"  # line 5: the warranty ends the day before the purchase
    rows[5][7] = "01.01.1800"  # line 6: a typo of a year, refused by the same rule (not by the cell's reading)
    before = await fetch("SELECT count(*) AS n FROM device")
    response = await post_import(client, world, "admin", "devices", csv_bytes(rows))
    assert response.status_code == 422, response.text
    assert [(e["row"], e["column"], e["message"]) for e in response.json()["errors"]] == [
        (3, "Kaufdatum", FUTURE), (4, "Rechnungsdatum", TOO_EARLY),
        (5, "Garantie bis", "die Garantie (bis 14.09.2020) kann nicht vor dem Kauf (15.09.2020) enden"),
        (6, "Kaufdatum", TOO_EARLY)]
    assert await fetch("SELECT count(*) AS n FROM device") == before  # all or nothing: line 2 is not written
    ap_rows = [["Schulnummer", "Seriennummer", "Status", "Kaufdatum", "Rechnungsdatum"],
               ["41001", "APDATE-2", "geplant", "01.08.2021", "02.08.2021"],
               ["41001", "APDATE-3", "geplant", "01.08.2031", ""]]
    response = await post_import(client, world, "admin", "access-points", csv_bytes(ap_rows))
    assert response.status_code == 422, response.text
    assert [(e["row"], e["column"], e["message"]) for e in response.json()["errors"]] == [(3, "Kaufdatum", FUTURE)]
    assert await fetch("SELECT id FROM access_point WHERE serial LIKE 'APDATE%'") == []
