"""CSV export: the import's format (export -> import changes nothing), scope, and the funding proof."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from schoolit.db import fetch
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
                                              ["41001", "Schillerstraße 1", "67292", "10.41.1.0/24"]])
    await imported(client, world, "rooms", [["Schulnummer", "Gebäude", "Raum", "Etage", "Unterrichtsraum"],
                                            ["41001", "Hauptgebäude", "A 1.12", "1. OG", "ja"],
                                            ["41001", "Hauptgebäude", "A 1.13", "1. OG", "ja"],
                                            ["41001", "", "Sporthalle", "", "nein"],
                                            ["41002", "Haus B", "Physik; Vorbereitung", "", "nein"]])
    await imported(client, world, "access-points", [
        ["Schulnummer", "Gebäude", "Raum", "Hersteller", "Seriennummer", "MAC-Adresse", "Management-IP", "SNMP-Profil",
         "Installiert am", "Kaufdatum", "Preis (EUR)", "Versorgte Räume"],
        ["41001", "Hauptgebäude", "A 1.12", "aruba", "CNK1", "00:1a:2b:3c:4d:01", "10.41.1.11", "verbund V3",
         "02.08.2021", "01.08.2021", "489", "Hauptgebäude: A 1.12, Hauptgebäude: A 1.13"],
        ["41001", "", "Sporthalle", "lancom", "CNK2", "", "", "", "", "", "", "Sporthalle"]])
    await imported(client, world, "uplinks", [
        ["Schulnummer", "Anbieter", "Leitungs-ID", "Download (Mbit/s)", "Upload (Mbit/s)", "Status",
         "In Betrieb seit", "Router-IP", "Router-Interface (ifIndex)", "Öffentliches Netz", "SNMP-Profil",
         "Bemerkungen"],
        ["41001", "Pfalzwerke", "PW-1", "1000", "1000", "live", "01.03.2022", "192.0.2.1", "3", "198.51.100.0/29",
         "Verbund v3", "Übergabepunkt im Keller,\nRaum 0.04"],
        ["41004", "Netze BW", "", "500", "100", "ordered", "", "", "", "", "", ""]])
    await imported(client, world, "devices", [
        ["Schulnummer", "Geräteart", "Hersteller", "Modell", "Seriennummer", "Inventarnummer", "MDM-ID",
         "MDM registriert", "Förderprogramm", "Kaufdatum", "Preis (EUR)", "Garantie bis", "Status", "Zubehör",
         "Bemerkungen"],
        ["41001", "tablet", "Apple", "iPad 9", "DMPX1", "DBK-0001", "mdm-1", "ja", "digitalpakt_sofortausstattung",
         "15.09.2020", "1.234,56", "14.09.2023", "stock", "Hülle; Stift", "=HYPERLINK(\"http://x\")"],
        ["41003", "laptop", "Lenovo", "L13", "PF3X", "", "", "nein", "county_budget", "", "", "", "repair", "",
         "-Display gesprungen"],
        ["41004", "tablet", "Samsung", "Tab A8", "R9LB", "LB-1", "", "nein", "other", "", "99", "", "lost", "",
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
    assert first["Bemerkungen"] == "'=HYPERLINK(\"http://x\")"  # no formula when Excel opens it
    english = _table(await exported(client, world, "devices", lang="en"))
    first = dict(zip(english[0], english[1], strict=True))
    assert (first["price_eur"], first["purchase_date"], first["mdm_enrolled"]) == ("1234.56", "2020-09-15", "yes")
    uplinks = _table(await exported(client, world, "uplinks"))
    assert uplinks[1][-1] == "Übergabepunkt im Keller,\nRaum 0.04"
    aps = _table(await exported(client, world, "access-points"))
    assert dict(zip(aps[0], aps[1], strict=True))["Versorgte Räume"] == "Hauptgebäude: A 1.12, Hauptgebäude: A 1.13"
    response = await client.get("/api/v1/export/devices", headers=world.auth("admin"))  # ".csv" is optional
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="devices.csv"'
    assert (await client.get("/api/v1/export/pupils.csv", headers=world.auth("admin"))).status_code == 404


async def test_export_is_scoped(client: httpx.AsyncClient, world: World) -> None:
    await _build_inventory(client, world)
    serials = {actor: {row[4] for row in _table(await exported(client, world, "devices", actor=actor))[1:]}
               for actor in ("admin", "verbund_supporter", "donnersberg_authority", "ludwigsburg_authority")}
    assert serials == {"admin": {"DMPX1", "PF3X", "R9LB"}, "verbund_supporter": {"DMPX1", "PF3X"},
                       "donnersberg_authority": {"DMPX1"}, "ludwigsburg_authority": {"R9LB"}}
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
    assert await fetch("SELECT id FROM device") == []


async def test_funding_proof_figures(client: httpx.AsyncClient, world: World) -> None:
    header = ["Schulnummer", "Seriennummer", "Förderprogramm", "Kaufdatum", "Preis (EUR)"]
    await imported(client, world, "devices", [header,
                                              ["41001", "D1", "Sofortausstattung", "01.09.2020", "300,00"],
                                              ["41002", "D2", "Sofortausstattung", "15.12.2020", "350,50"],
                                              ["41001", "D3", "Sofortausstattung", "10.01.2021", ""],
                                              ["41001", "D4", "Kreishaushalt", "03.03.2023", "999,99"],
                                              ["41003", "D5", "Sofortausstattung", "01.10.2020", "400"]])
    await imported(client, world, "access-points", [header,
                                                    ["41001", "A1", "DigitalPakt Basis", "01.08.2021", "489,00"],
                                                    ["41002", "A2", "DigitalPakt Basis", "15.03.2022", "489,00"],
                                                    ["41002", "A3", "Sofortausstattung", "15.03.2022", "100"]])
    response = await client.get("/api/v1/export/funding-proof.csv", params={"county": "donnersbergkreis"},
                                headers=world.auth("donnersberg_authority"))
    assert response.status_code == 200, response.text
    assert _table(response.content) == [
        ["Landkreis", "Förderprogramm", "Bezeichnung", "Objektart", "Anzahl", "Erstes Kaufdatum", "Letztes Kaufdatum",
         "Summe (EUR)", "davon ohne Preis"],
        ["Donnersbergkreis", "county_budget", "Kreishaushalt", "Schülergerät", "1", "03.03.2023", "03.03.2023",
         "999,99", "0"],
        ["Donnersbergkreis", "digitalpakt_basis", "DigitalPakt Schule, Basisförderung", "WLAN-Access-Point", "2",
         "01.08.2021", "15.03.2022", "978,00", "0"],
        ["Donnersbergkreis", "digitalpakt_sofortausstattung", "DigitalPakt Schule, Sofortausstattungsprogramm",
         "Schülergerät", "3", "01.09.2020", "10.01.2021", "650,50", "1"],
        ["Donnersbergkreis", "digitalpakt_sofortausstattung", "DigitalPakt Schule, Sofortausstattungsprogramm",
         "WLAN-Access-Point", "1", "15.03.2022", "15.03.2022", "100,00", "0"],
    ]
    assert response.headers["content-disposition"] == 'attachment; filename="foerdernachweis-donnersbergkreis.csv"'
    english = await client.get("/api/v1/export/funding-proof.csv", params={"lang": "en"},
                               headers=world.auth("verbund_supporter"))
    rows = _table(english.content)
    assert rows[0][:4] == ["county", "funding_programme", "programme", "object"]
    assert [row[0] for row in rows[1:]] == ["Donnersbergkreis"] * 4 + ["Landkreis Kusel"]
    assert rows[-1] == ["Landkreis Kusel", "digitalpakt_sofortausstattung",
                        "DigitalPakt Schule, immediate equipment programme", "pupil device", "1", "2020-10-01",
                        "2020-10-01", "400.00", "0"]


async def test_funding_proof_is_scoped(client: httpx.AsyncClient, world: World) -> None:
    for actor, county, status in (("ludwigsburg_authority", "donnersbergkreis", 404),
                                  ("donnersberg_authority", "atlantis", 404),
                                  ("school_contact", "donnersbergkreis", 403),
                                  ("ludwigsburg_authority", "ludwigsburg", 200)):
        response = await client.get("/api/v1/export/funding-proof.csv", params={"county": county},
                                    headers=world.auth(actor))
        assert response.status_code == status, (actor, county)
    await imported(client, world, "devices", [["Schulnummer", "Seriennummer"], ["41001", "D1"]])
    response = await client.get("/api/v1/export/funding-proof.csv", headers=world.auth("ludwigsburg_authority"))
    assert len(_table(response.content)) == 1  # the header alone: nothing of Donnersberg
