"""CSV export: the import's format (export -> import changes nothing), scope, and the funding proof."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from schoolit.sql import fetch
from tests.integration.inventory.csvfiles import csv_bytes, exported, imported, post_import
from tests.integration.world import World


def _table(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel shows the umlauts right
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


async def _build_inventory(client: httpx.AsyncClient, world: World) -> None:
    """Some of everything, with the awkward bits: umlauts, line breaks, ';', formula-like text, empty values."""
    await fetch("INSERT INTO snmp_profile (county_id, name, version, v3_user) VALUES ({}, 'Verbund v3', '3', 'mon')",
                world.counties["donnersbergkreis"])
    await imported(client, world, "schools", [["Schulnummer", "Straße", "PLZ", "Management-Netz"],
                                              ["41001", "Schillerstraße 1", "67292", "10.1.0.0/24"]])
    await imported(client, world, "rooms", [["Schulnummer", "Gebäude", "Raum", "Etage", "Unterrichtsraum"],
                                            ["41001", "Hauptgebäude", "A 1.12", "1. OG", "ja"],
                                            ["41001", "Hauptgebäude", "A 1.13", "1. OG", "ja"],
                                            ["41001", "", "Sporthalle", "", "nein"],
                                            ["41002", "Haus B", "Physik; Vorbereitung", "", "nein"]])
    await imported(client, world, "access-points", [
        ["Schulnummer", "Gebäude", "Raum", "Hersteller", "Seriennummer", "MAC-Adresse", "Management-IP", "SNMP-Profil",
         "Installiert am", "Kaufdatum", "Preis (EUR)", "Versorgte Räume"],
        ["41001", "Hauptgebäude", "A 1.12", "aruba", "CNK1", "00:1a:2b:3c:4d:01", "10.1.0.21", "verbund V3",
         "02.08.2021", "01.08.2021", "489", "Hauptgebäude: A 1.12, Hauptgebäude: A 1.13"],
        ["41001", "", "Sporthalle", "lancom", "CNK2", "", "", "", "", "", "", "Sporthalle"]])
    await imported(client, world, "uplinks", [
        ["Schulnummer", "Anbieter", "Leitungs-ID", "Download (Mbit/s)", "Upload (Mbit/s)", "Status",
         "In Betrieb seit", "Router-IP", "Router-Interface (ifIndex)", "Router-Interface-Name", "Öffentliches Netz",
         "SNMP-Profil", "Bemerkungen"],
        ["41001", "Pfalzwerke", "PW-1", "1000", "1000", "live", "01.03.2022", "192.0.2.1", "3", "", "198.51.100.0/29",
         "Verbund v3", "Übergabepunkt im Keller,\nRaum 0.04"],
        ["41004", "Netze BW", "", "500", "100", "ordered", "", "192.0.2.9", "", "pppoe-wan", "", "", ""]])
    await imported(client, world, "devices", [
        ["Schulnummer", "Geräteart", "Hersteller", "Modell", "Seriennummer", "Inventarnummer", "MAC-Adresse",
         "MDM-ID", "MDM registriert", "Förderprogramm", "Kaufdatum", "Preis (EUR)", "Garantie bis", "Status",
         "Zubehör", "Bemerkungen"],
        ["41001", "tablet", "Apple", "iPad 9", "DMPX1", "DBK-0001", "3C-22-FB-00-00-01", "mdm-1", "ja",
         "digitalpakt_sofortausstattung", "15.09.2020", "1.234,56", "14.09.2023", "stock", "Hülle; Stift",
         "=HYPERLINK(\"http://x\")"],
        ["41003", "laptop", "Lenovo", "L13", "PF3X", "", "", "", "nein", "county_budget", "", "", "", "repair", "",
         "-Display gesprungen"],
        ["41004", "tablet", "Samsung", "Tab A8", "R9LB", "LB-1", "", "", "nein", "other", "", "99", "", "lost", "",
         "Mörike"]])


@pytest.mark.parametrize("lang", ["de", "en"])
async def test_export_then_import_changes_nothing(client: httpx.AsyncClient, world: World, lang: str) -> None:
    await _build_inventory(client, world)
    for kind in ("schools", "rooms", "access-points", "uplinks", "devices"):
        before = await exported(client, world, kind, lang=lang)
        count = len(_table(before)) - 1
        assert count > 0, kind
        response = await post_import(client, world, "admin", kind, before)
        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["created"], report["updated"], report["changed"]) == (0, count, 0), (kind, report)
        assert report["ignored_columns"] == [], kind
        assert await exported(client, world, kind, lang=lang) == before, kind


async def test_export_format(client: httpx.AsyncClient, world: World) -> None:
    await _build_inventory(client, world)
    devices = _table(await exported(client, world, "devices"))
    assert devices[0][:5] == ["Schulnummer", "Geräteart", "Hersteller", "Modell", "Seriennummer"]
    first = dict(zip(devices[0], devices[1], strict=True))
    assert first["Preis (EUR)"] == "1234,56" and first["Kaufdatum"] == "15.09.2020"
    assert first["MDM registriert"] == "ja" and first["Zubehör"] == "Hülle; Stift"
    assert first["MAC-Adresse"] == "3c:22:fb:00:00:01"
    assert first["Bemerkungen"] == "'=HYPERLINK(\"http://x\")"  # no formula when Excel opens it
    english = _table(await exported(client, world, "devices", lang="en"))
    first = dict(zip(english[0], english[1], strict=True))
    assert (first["price_eur"], first["purchase_date"], first["mdm_enrolled"]) == ("1234.56", "2020-09-15", "yes")
    uplinks = _table(await exported(client, world, "uplinks"))
    assert next(row for row in uplinks if row[2] == "PW-1")[-1] == "Übergabepunkt im Keller,\nRaum 0.04"
    table = _table(await exported(client, world, "access-points"))
    aps = [dict(zip(table[0], row, strict=True)) for row in table[1:]]
    assert next(ap for ap in aps if ap["Seriennummer"] == "CNK1")["Versorgte Räume"] == \
        "Hauptgebäude: A 1.12, Hauptgebäude: A 1.13"
    response = await client.get("/api/v1/export/devices", headers=world.auth("admin"))  # ".csv" is optional
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="devices.csv"'
    assert (await client.get("/api/v1/export/pupils.csv", headers=world.auth("admin"))).status_code == 404


async def test_export_is_scoped(client: httpx.AsyncClient, world: World) -> None:
    await _build_inventory(client, world)
    visible = {"admin": {"41001", "41002", "41003", "41004"}, "verbund_supporter": {"41001", "41002", "41003"},
               "donnersberg_authority": {"41001", "41002"}, "ludwigsburg_authority": {"41004"}}
    for actor, numbers in visible.items():
        rows = _table(await exported(client, world, "devices", actor=actor))[1:]
        assert {row[0] for row in rows} == numbers, actor  # every visible school has devices, no other does
        assert {row[4] for row in rows} & {"DMPX1", "PF3X", "R9LB"} == {
            "admin": {"DMPX1", "PF3X", "R9LB"}, "verbund_supporter": {"DMPX1", "PF3X"},
            "donnersberg_authority": {"DMPX1"}, "ludwigsburg_authority": {"R9LB"}}[actor]
    schools = _table(await exported(client, world, "schools", actor="ludwigsburg_authority"))
    assert [row[0] for row in schools[1:]] == ["41004"]
    assert "Kirchheimbolanden" not in (await exported(client, world, "schools", actor="ludwigsburg_authority")).decode()
    response = await client.get("/api/v1/export/devices.csv", headers=world.auth("school_contact"))
    assert response.status_code == 403


async def test_an_authority_cannot_import_into_another_county(client: httpx.AsyncClient, world: World) -> None:
    data = csv_bytes([["Schulnummer", "Seriennummer"], ["41001", "X-1"]])
    response = await post_import(client, world, "ludwigsburg_authority", "devices", data)
    assert response.status_code == 403
    # A supporter of Ludwigsburg is told the Donnersberg school is unknown, as if it did not exist.
    response = await post_import(client, world, "ludwigsburg_supporter", "devices", data)
    assert [(e["row"], e["message"]) for e in response.json()["errors"]] == [(2, "unbekannte Schulnummer")]
    assert await fetch("SELECT id FROM device WHERE serial = 'X-1'") == []


async def test_funding_proof_figures(client: httpx.AsyncClient, world: World) -> None:
    # Kaiserslautern has no schools in the test world: the figures are exactly these rows.
    await imported(client, world, "schools", [["Schulnummer", "Name", "Landkreis"],
                                              ["41050", "Gymnasium Landstuhl", "kaiserslautern"],
                                              ["41051", "IGS Enkenbach-Alsenborn", "Landkreis Kaiserslautern"]])
    header = ["Schulnummer", "Seriennummer", "Förderprogramm", "Kaufdatum", "Preis (EUR)"]
    await imported(client, world, "devices", [header,
                                              ["41050", "D1", "Sofortausstattung", "01.09.2020", "300,00"],
                                              ["41051", "D2", "Sofortausstattung", "15.12.2020", "350,50"],
                                              ["41050", "D3", "Sofortausstattung", "10.01.2021", ""],
                                              ["41050", "D4", "Kreishaushalt", "03.03.2023", "999,99"],
                                              ["41003", "D5", "Sofortausstattung", "01.10.2020", "400"]])
    await imported(client, world, "access-points", [header,
                                                    ["41050", "A1", "DigitalPakt Basis", "01.08.2021", "489,00"],
                                                    ["41051", "A2", "DigitalPakt Basis", "15.03.2022", "489,00"],
                                                    ["41051", "A3", "Sofortausstattung", "15.03.2022", "100"]])
    response = await client.get("/api/v1/export/funding-proof.csv", params={"county": "kaiserslautern"},
                                headers=world.auth("verbund_supporter"))
    assert response.status_code == 200, response.text
    assert _table(response.content) == [
        ["Landkreis", "Förderprogramm", "Bezeichnung", "Objektart", "Anzahl", "Erstes Kaufdatum", "Letztes Kaufdatum",
         "Summe (EUR)", "davon ohne Preis"],
        ["Landkreis Kaiserslautern", "county_budget", "Haushalt des Landkreises", "Schülergerät", "1", "03.03.2023",
         "03.03.2023", "999,99", "0"],
        ["Landkreis Kaiserslautern", "digitalpakt_basis", "DigitalPakt Schule (Basis)", "WLAN-Access-Point", "2",
         "01.08.2021", "15.03.2022", "978,00", "0"],
        ["Landkreis Kaiserslautern", "digitalpakt_sofortausstattung", "DigitalPakt Sofortausstattungsprogramm",
         "Schülergerät", "3", "01.09.2020", "10.01.2021", "650,50", "1"],
        ["Landkreis Kaiserslautern", "digitalpakt_sofortausstattung", "DigitalPakt Sofortausstattungsprogramm",
         "WLAN-Access-Point", "1", "15.03.2022", "15.03.2022", "100,00", "0"],
    ]
    assert response.headers["content-disposition"] == 'attachment; filename="foerdernachweis-kaiserslautern.csv"'
    english = await client.get("/api/v1/export/funding-proof.csv", params={"county": "kaiserslautern", "lang": "en"},
                               headers=world.auth("verbund_supporter"))
    rows = _table(english.content)
    assert rows[0] == ["county", "funding_programme", "programme", "object", "count", "first_purchase",
                       "last_purchase", "sum_eur", "without_price"]
    assert rows[3] == ["Landkreis Kaiserslautern", "digitalpakt_sofortausstattung",
                       "DigitalPakt immediate equipment programme", "pupil device", "3", "2020-09-01", "2021-01-10",
                       "650.50", "1"]
    # Without a county: every county of the caller's scope, and only those.
    every = _table((await client.get("/api/v1/export/funding-proof.csv",
                                      headers=world.auth("verbund_supporter"))).content)
    assert {row[0] for row in every[1:]} == {"Donnersbergkreis", "Landkreis Kaiserslautern", "Landkreis Kusel"}


async def test_funding_proof_is_scoped(client: httpx.AsyncClient, world: World) -> None:
    for actor, county, status in (("ludwigsburg_authority", "donnersbergkreis", 404),
                                  ("donnersberg_authority", "atlantis", 404),
                                  ("school_contact", "donnersbergkreis", 403),
                                  ("ludwigsburg_authority", "ludwigsburg", 200)):
        response = await client.get("/api/v1/export/funding-proof.csv", params={"county": county},
                                    headers=world.auth(actor))
        assert response.status_code == status, (actor, county)
    response = await client.get("/api/v1/export/funding-proof.csv", headers=world.auth("ludwigsburg_authority"))
    rows = _table(response.content)[1:]
    assert rows and {row[0] for row in rows} == {"Landkreis Ludwigsburg"}
