"""Procurement data of devices and access points (#22 item 2): supplier, order and invoice number, invoice
date through the API, the form and the CSV import (German headers, decimal commas, German dates), in the
export, and item by item in the DigitalPakt funding proof; a bad invoice date names its column and writes
nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io

import httpx

from schoolit.sql import fetch
from tests.integration.accounts.test_login import login
from tests.integration.inventory.csvfiles import csv_bytes, imported, post_import
from tests.integration.inventory.support import call, field_errors, school
from tests.integration.world import World

HEADER = ["Schulnummer", "Seriennummer", "Förderprogramm", "Lieferant", "Bestell-Nr.", "Rechnungsnummer",
          "Rechnungsdatum", "Kaufdatum", "Preis (EUR)"]


def _table(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


async def test_csv_import_export_and_funding_proof_items(client: httpx.AsyncClient, world: World) -> None:
    await imported(client, world, "schools", [["Schulnummer", "Name", "Landkreis"],
                                              ["41050", "Gymnasium Landstuhl", "kaiserslautern"]])
    await imported(client, world, "devices", [
        HEADER, ["41050", "P1", "Sofortausstattung", "Bechtle AG", "B-2020-17", "RE 4711", "20.09.2020",
                 "15.09.2020", "1.234,56"],
        ["41050", "P2", "Leihgeräte Lehrkräfte", "", "", "", "", "", ""]])
    await imported(client, world, "access-points", [
        HEADER, ["41050", "A1", "DigitalPakt Schule", "Cancom GmbH", "B-2021-3", "RE 99", "02.08.2021",
                 "01.08.2021", "489,00"]])
    rows = {r["serial"]: dict(r) for r in await fetch(
        "SELECT serial, supplier, order_number, invoice_number, invoice_date, price_cents FROM device "
        "WHERE serial IN ('P1', 'P2') UNION ALL SELECT serial, supplier, order_number, invoice_number, "
        "invoice_date, price_cents FROM access_point WHERE serial = 'A1'")}
    assert rows["P1"] == {"serial": "P1", "supplier": "Bechtle AG", "order_number": "B-2020-17",
                          "invoice_number": "RE 4711", "invoice_date": dt.date(2020, 9, 20), "price_cents": 123456}
    assert rows["P2"]["supplier"] == "" and rows["P2"]["invoice_date"] is None
    assert (rows["A1"]["supplier"], rows["A1"]["invoice_date"]) == ("Cancom GmbH", dt.date(2021, 8, 2))

    exported = _table((await client.get("/api/v1/export/devices.csv", headers=world.auth("admin"))).content)
    header = exported[0]
    p1 = next(r for r in exported if "P1" in r)
    assert [p1[header.index(h)] for h in ("Lieferant", "Bestellnummer", "Rechnungsnummer", "Rechnungsdatum",
                                          "Preis (EUR)")] == ["Bechtle AG", "B-2020-17", "RE 4711", "20.09.2020",
                                                              "1234,56"]

    proof = await client.get("/api/v1/export/funding-proof-items.csv", params={"county": "kaiserslautern"},
                             headers=world.auth("verbund_supporter"))
    assert proof.status_code == 200, proof.text
    assert _table(proof.content) == [
        ["Landkreis", "Schulnummer", "Schule", "Objektart", "Seriennummer", "Inventarnummer", "Förderprogramm",
         "Lieferant", "Bestellnummer", "Rechnungsnummer", "Rechnungsdatum", "Kaufdatum", "Preis (EUR)", "Status",
         "Ausgesondert am", "Aussonderungsgrund"],
        ["Landkreis Kaiserslautern", "41050", "Gymnasium Landstuhl", "WLAN-Access-Point", "A1", "",
         "DigitalPakt Schule (Basis)", "Cancom GmbH", "B-2021-3", "RE 99", "02.08.2021", "01.08.2021", "489,00",
         "active", "", ""],
        ["Landkreis Kaiserslautern", "41050", "Gymnasium Landstuhl", "Schülergerät", "P2", "",
         "DigitalPakt Leihgeräte für Lehrkräfte", "", "", "", "", "", "", "stock", "", ""],
        ["Landkreis Kaiserslautern", "41050", "Gymnasium Landstuhl", "Schülergerät", "P1", "",
         "DigitalPakt Sofortausstattungsprogramm", "Bechtle AG", "B-2020-17", "RE 4711", "20.09.2020",
         "15.09.2020", "1234,56", "stock", "", ""],
    ]
    other = await client.get("/api/v1/export/funding-proof-items.csv", params={"county": "kaiserslautern"},
                             headers=world.auth("ludwigsburg_authority"))
    assert other.status_code == 404
    (ap,) = await fetch("SELECT id FROM access_point WHERE serial = 'A1'")
    await login(client, "support@verbund.test.example")
    page = await client.get(f"/access-points/{ap['id']}")  # the access point's page shows its procurement
    assert "Lieferant</dt><dd>Cancom GmbH" in page.text and "Rechnungsdatum</dt><dd>02.08.2021" in page.text


async def test_bad_invoice_date_names_the_column_and_writes_nothing(client: httpx.AsyncClient,
                                                                    world: World) -> None:
    before = await fetch("SELECT count(*) AS n FROM device")
    response = await post_import(client, world, "admin", "devices", csv_bytes([
        HEADER, ["41001", "Q1", "Sofortausstattung", "Bechtle AG", "B1", "R1", "31.02.2020", "", ""]]))
    assert response.status_code == 422
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(2, "Rechnungsdatum")]
    assert await fetch("SELECT count(*) AS n FROM device") == before


async def test_api_and_form_take_procurement_fields(client: httpx.AsyncClient, world: World) -> None:
    created = await call(client, world, "admin", "POST", "/devices", {
        "school_id": school(world, "kib"), "kind": "laptop", "serial": "PR-1", "status": "stock",
        "funding_programme": "county_budget", "supplier": "Bechtle AG",
        "order_number": "B-7", "invoice_number": "RE-7", "invoice_date": "2025-02-01", "price_cents": 49990})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["supplier"], body["order_number"], body["invoice_number"], body["invoice_date"]) == (
        "Bechtle AG", "B-7", "RE-7", "2025-02-01")
    listed = await call(client, world, "admin", "GET", "/devices", supplier="bechtle")
    assert [d["serial"] for d in listed.json()["items"]] == ["PR-1"]
    found = await call(client, world, "admin", "GET", "/devices", q="RE-7")
    assert [d["serial"] for d in found.json()["items"]] == ["PR-1"]
    bad = await call(client, world, "admin", "PATCH", f"/devices/{body['id']}", {"invoice_date": "01.02.2025"})
    assert "invoice_date" in field_errors(bad)
    await login(client, "support@verbund.test.example")
    form = await client.get(f"/schools/{school(world, 'kib')}/devices/new")
    for label in ("Lieferant", "Bestellnummer", "Rechnungsnummer", "Rechnungsdatum"):
        assert label in form.text, label
    page = await client.get(f"/devices/{body['id']}")  # the device page shows what was bought from whom
    assert page.status_code == 200
    for shown in ("Lieferant</dt><dd>Bechtle AG", "Bestellnummer</dt><dd>B-7", "Rechnungsnummer</dt><dd>RE-7",
                  "Rechnungsdatum</dt><dd>01.02.2025"):
        assert shown in page.text, shown
