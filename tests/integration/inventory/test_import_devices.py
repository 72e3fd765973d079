"""CSV import of pupil devices over the API: file formats, row errors, all-or-nothing, dry runs, matching
by serial number, moves, loans, asset tags and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import msgspec
import pytest

from schoolit.describe import identifiers
from schoolit.sql import fetch
from tests.integration.inventory.csvfiles import (
    DEVICE_HEADER_DE,
    csv_bytes,
    device_rows,
    imported,
    post_import,
    reason_of,
)
from tests.integration.world import World


class Mine:
    """The devices a test imports: those that were not in the test world when the test began."""

    def __init__(self, world_ids: list[int]) -> None:
        self.world_ids = world_ids

    async def devices(self) -> list[dict[str, Any]]:
        return [dict(r) for r in await fetch(
            "SELECT d.*, s.school_number FROM device d JOIN school s ON s.id = d.school_id "
            "WHERE NOT d.id = ANY({}) ORDER BY serial", self.world_ids)]

    async def count(self) -> int:
        return len(await self.devices())


@pytest.fixture
async def mine(world: World) -> Mine:
    return Mine([r["id"] for r in await fetch("SELECT id FROM device")])


def _errors(response: httpx.Response) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in response.json()["errors"]]


async def test_german_excel_file_with_bom_semicolons_and_decimal_commas(client: httpx.AsyncClient,
                                                                        world: World, mine: Mine) -> None:
    report = await imported(client, world, "devices", [DEVICE_HEADER_DE, *device_rows("41001", 3)])
    assert (report["created"], report["updated"], report["changed"]) == (3, 0, 0)
    assert report["encoding"] == "utf-8" and report["delimiter"] == ";"
    devices = await mine.devices()
    assert [d["serial"] for d in devices] == ["SN000001", "SN000002", "SN000003"]
    first = devices[0]
    assert first["price_cents"] == 123456
    assert first["purchase_date"] == dt.date(2020, 9, 15)
    assert first["funding_programme"] == "digitalpakt_sofortausstattung"
    assert (first["status"], first["kind"], first["vendor"], first["asset_tag"]) == ("stock", "tablet", "Apple",
                                                                                    "INV-SN-1")
    assert first["school_id"] == world.schools["kib"]["id"]
    assert first["county_id"] == world.counties["donnersbergkreis"]


async def test_english_headers_commas_and_no_bom(client: httpx.AsyncClient, world: World, mine: Mine) -> None:
    rows = [["school_number", "kind", "vendor", "model", "serial", "purchase_date", "price_eur", "mdm_enrolled",
             "status", "notes"],
            ["41002", "laptop", "Lenovo", "ThinkPad L13, Gen 4", "pf-3x9k2", "2023-08-01", "1,049.90", "yes", "repair",
             "Display cracked"]]
    report = await imported(client, world, "devices", rows, delimiter=",", encoding="utf-8")
    assert report["delimiter"] == "," and report["created"] == 1
    (device,) = await mine.devices()
    assert (device["serial"], device["model"], device["price_cents"]) == ("PF-3X9K2", "ThinkPad L13, Gen 4", 104990)
    assert device["mdm_enrolled"] is True and device["status"] == "repair" and device["notes"] == "Display cracked"
    assert device["purchase_date"] == dt.date(2023, 8, 1)


async def test_windows_1252_file_with_umlauts(client: httpx.AsyncClient, world: World, mine: Mine) -> None:
    rows = [["Schulnummer", "Seriennummer", "Zubehör", "Bemerkungen"],
            ["41001", "W1252-1", "Hülle, Stift, Ladegerät", "Ausgabe in Göllheim, Rückgabe in Rüssingen"]]
    data = csv_bytes(rows, encoding="cp1252")
    assert "ö".encode("cp1252") in data  # really a Windows-1252 file
    response = await post_import(client, world, "admin", "devices", data)
    assert response.status_code == 200, response.text
    assert response.json()["encoding"] == "windows-1252"
    (device,) = await mine.devices()
    assert device["accessories"] == "Hülle, Stift, Ladegerät"
    assert device["notes"] == "Ausgabe in Göllheim, Rückgabe in Rüssingen"


async def test_quoted_line_breaks_empty_lines_and_trailing_blanks(client: httpx.AsyncClient, world: World,
                                                                  mine: Mine) -> None:
    text = ("Schulnummer;Seriennummer;Bemerkungen;Preis (EUR)  \r\n"
            "\r\n"
            '41001 ; ML-1  ;"erste Zeile\r\nzweite Zeile; mit Semikolon";  12,50 \r\n'
            ";;;\r\n"
            '41001;ML-2;"Displayschutz ""matt""";\r\n'
            "\r\n"
            "41001;ML-3;;kaputt\r\n")
    response = await post_import(client, world, "admin", "devices", text.encode())
    # Row numbers count records as Excel shows them: the quoted line break stays inside row 3.
    assert response.status_code == 422
    assert _errors(response) == [(7, "Preis (EUR)", "eine Zahl in Euro mit höchstens zwei Nachkommastellen, "
                                                    "z. B. 1.234,56")]
    assert await mine.count() == 0
    fixed = text.replace(";kaputt", ";")
    response = await post_import(client, world, "admin", "devices", fixed.encode())
    assert response.status_code == 200, response.text
    devices = await mine.devices()
    assert [d["serial"] for d in devices] == ["ML-1", "ML-2", "ML-3"]
    assert devices[0]["notes"] == "erste Zeile\r\nzweite Zeile; mit Semikolon"
    assert devices[0]["price_cents"] == 1250
    assert devices[1]["notes"] == 'Displayschutz "matt"'


async def test_every_row_error_is_reported_with_row_and_column(client: httpx.AsyncClient, world: World,
                                                               mine: Mine) -> None:
    rows = [DEVICE_HEADER_DE,
            ["41001", "Tablet", "Apple", "iPad", "OK-1", "", "", "", "", ""],
            ["4100", "Fernseher", "Apple", "iPad", "x", "", "Lotto", "31.02.2021", "12,345", "kaputt"],
            ["41001", "Tablet", "Apple", "iPad", "OK-2", "", "", "2022-13-01", "-5", ""]]
    response = await post_import(client, world, "admin", "devices", csv_bytes(rows))
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == 422 and body["title"] == "Ungültige Eingabe" and body["ok"] is False
    found = _errors(response)
    assert [(row, column) for row, column, _message in found] == [
        (3, "Schulnummer"), (3, "Geräteart"), (3, "Seriennummer"), (3, "Förderprogramm"), (3, "Kaufdatum"),
        (3, "Preis (EUR)"), (3, "Status"), (4, "Kaufdatum"), (4, "Preis (EUR)")]
    messages = dict(((row, column), message) for row, column, message in found)
    assert messages[(3, "Schulnummer")] == reason_of(identifiers.school_number, "4100")
    assert messages[(3, "Kaufdatum")] == "dieses Datum gibt es nicht"
    assert messages[(3, "Geräteart")].startswith("einer von: tablet, laptop")
    assert all(e["field"] == e["column"] for e in body["errors"])
    assert (body["created"], body["updated"], body["changed"]) == (1, 0, None)  # row 2 alone is right
    assert await mine.count() == 0


async def test_missing_required_columns_are_reported_on_the_header_row(client: httpx.AsyncClient,
                                                                       world: World) -> None:
    response = await post_import(client, world, "admin", "devices", csv_bytes([["Hersteller", "Farbe"],
                                                                               ["Apple", "grau"]]))
    assert response.status_code == 422
    assert _errors(response) == [(1, "Schulnummer / school_number", "Pflichtspalte fehlt"),
                                 (1, "Seriennummer / serial", "Pflichtspalte fehlt")]
    assert response.json()["ignored_columns"] == ["Farbe"]


async def test_ten_thousand_rows_with_one_bad_row_write_nothing(client: httpx.AsyncClient, world: World,
                                                                mine: Mine) -> None:
    rows = [DEVICE_HEADER_DE, *device_rows("41001", 10_000)]
    rows[7_344][7] = "15.09.20200"  # rows[0] is the header, Excel's row 1: rows[7_344] is row 7,345
    response = await post_import(client, world, "admin", "devices", csv_bytes(rows))
    assert response.status_code == 422
    assert _errors(response) == [(7_345, "Kaufdatum", "ein Datum wie 31.07.2026 oder 2026-07-31")]
    assert response.json()["rows"] == 10_000 and response.json()["created"] == 9_999
    assert await mine.count() == 0
    rows[7_344][7] = "15.09.2020"
    response = await post_import(client, world, "admin", "devices", csv_bytes(rows))
    assert response.status_code == 200 and response.json()["created"] == 10_000
    assert await mine.count() == 10_000


async def test_dry_run_counts_and_writes_nothing(client: httpx.AsyncClient, world: World, mine: Mine) -> None:
    await imported(client, world, "devices", [DEVICE_HEADER_DE, *device_rows("41001", 2)])
    before = await mine.devices()
    audit_before = await fetch("SELECT count(*) AS n FROM audit_log")
    rows = [DEVICE_HEADER_DE, *device_rows("41002", 3)]  # SN000001, SN000002 move school; SN000003 is new
    rows[1][3] = "iPad 10"
    response = await post_import(client, world, "admin", "devices", csv_bytes(rows), dry_run=True)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["dry_run"] is True and report["ok"] is True
    assert (report["created"], report["updated"], report["changed"]) == (1, 2, 2)
    assert await mine.devices() == before
    assert await fetch("SELECT count(*) AS n FROM audit_log") == audit_before
    # A dry run with errors still lists every one, with status 200: the run did its job.
    rows[3] = list(rows[1])
    response = await post_import(client, world, "admin", "devices", csv_bytes(rows), dry_run=True)
    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert [(row, column) for row, column, _m in _errors(response)] == [
        (2, "Seriennummer"), (2, "Inventarnummer"), (4, "Seriennummer"), (4, "Inventarnummer")]


async def test_rows_match_by_serial_and_update_instead_of_duplicating(client: httpx.AsyncClient,
                                                                      world: World, mine: Mine) -> None:
    await imported(client, world, "devices", [DEVICE_HEADER_DE, *device_rows("41001", 3)])
    ids = {d["serial"]: d["id"] for d in await mine.devices()}
    # Lower case and blanks around the serial are the same device; absent columns keep their values.
    report = await imported(client, world, "devices", [["Schulnummer", "Seriennummer", "Modell", "Status"],
                                                       ["41002", " sn000001 ", "iPad 10", "Reparatur"],
                                                       ["41001", "SN000002", "iPad 9", "Lager"]])
    assert (report["created"], report["updated"], report["changed"]) == (0, 2, 1)
    devices = {d["serial"]: d for d in await mine.devices()}
    assert {s: d["id"] for s, d in devices.items()} == ids
    moved = devices["SN000001"]
    assert (moved["school_id"], moved["model"], moved["status"]) == (world.schools["rok"]["id"], "iPad 10", "repair")
    assert moved["price_cents"] == 123456 and moved["asset_tag"] == "INV-SN-1"


async def test_duplicate_serials_in_one_file_are_an_error_for_both_rows(client: httpx.AsyncClient,
                                                                        world: World, mine: Mine) -> None:
    rows = [DEVICE_HEADER_DE, *device_rows("41001", 4)]
    rows[4][4] = "sn000001"
    response = await post_import(client, world, "admin", "devices", csv_bytes(rows))
    assert response.status_code == 422
    assert _errors(response) == [
        (2, "Seriennummer", "derselbe Schlüssel steht mehrmals in dieser Datei (Zeilen 2, 5)"),
        (5, "Seriennummer", "derselbe Schlüssel steht mehrmals in dieser Datei (Zeilen 2, 5)")]
    assert await mine.count() == 0


async def test_unknown_and_foreign_schools_read_alike(client: httpx.AsyncClient, world: World, mine: Mine) -> None:
    rows = [DEVICE_HEADER_DE, *device_rows("41001", 1), *device_rows("41004", 1, start=2),
            *device_rows("49999", 1, start=3)]
    response = await post_import(client, world, "verbund_supporter", "devices", csv_bytes(rows))
    assert response.status_code == 422
    assert _errors(response) == [(3, "Schulnummer", "unbekannte Schulnummer"),
                                 (4, "Schulnummer", "unbekannte Schulnummer")]
    assert "Mörike" not in response.text
    assert await mine.count() == 0


async def test_authority_may_not_import_and_foreign_devices_are_not_taken_over(client: httpx.AsyncClient,
                                                                               world: World, mine: Mine) -> None:
    data = csv_bytes([DEVICE_HEADER_DE, *device_rows("41004", 1)])
    assert (await post_import(client, world, "ludwigsburg_authority", "devices", data)).status_code == 403
    assert (await post_import(client, world, "school_contact", "devices", data)).status_code == 403
    await imported(client, world, "devices", [DEVICE_HEADER_DE, *device_rows("41004", 1)],
                   actor="ludwigsburg_supporter")
    # The Verbund's supporter cannot move Ludwigsburg's device into its own school by naming its serial.
    response = await post_import(client, world, "verbund_supporter", "devices",
                                 csv_bytes([DEVICE_HEADER_DE, *device_rows("41001", 1)]))
    assert response.status_code == 422
    assert _errors(response) == [(2, "Seriennummer", "bereits vergeben")]
    (device,) = await mine.devices()
    assert device["school_id"] == world.schools["lb"]["id"]


async def test_moves_between_counties_in_scope_and_loans(client: httpx.AsyncClient, world: World, mine: Mine) -> None:
    await imported(client, world, "devices", [DEVICE_HEADER_DE, *device_rows("41001", 2)])
    devices = await mine.devices()
    await fetch("INSERT INTO loan (county_id, school_id, device_id, pupil_ref, lent_on, due_on) "
                "VALUES ({}, {}, {}, '7b-14', '2026-08-01', '2027-07-31')",
                devices[0]["county_id"], devices[0]["school_id"], devices[0]["id"])
    await fetch("UPDATE device SET status = 'lent' WHERE id = {}", devices[0]["id"])
    rows = [DEVICE_HEADER_DE, *device_rows("41003", 2)]  # Kusel: another county of the Verbund
    response = await post_import(client, world, "verbund_supporter", "devices", csv_bytes(rows))
    assert _errors(response) == [
        (2, "Schulnummer", "das Gerät ist ausgeliehen: bitte vor dem Wechsel an eine andere Schule die Rückgabe "
                           "erfassen"),
        (2, "Status", "ein verliehenes Gerät ändert seinen Status bei der Rückgabe")]
    del rows[1]
    report = await imported(client, world, "devices", rows, actor="verbund_supporter")
    assert (report["created"], report["updated"], report["changed"]) == (0, 1, 1)
    moved = (await mine.devices())[1]
    assert (moved["school_id"], moved["county_id"]) == (world.schools["kus"]["id"], world.counties["kusel"])


async def test_lent_is_set_by_lending_not_by_import(client: httpx.AsyncClient, world: World) -> None:
    rows = [DEVICE_HEADER_DE, *device_rows("41001", 1)]
    rows[1][9] = "verliehen"
    response = await post_import(client, world, "admin", "devices", csv_bytes(rows))
    assert _errors(response) == [(2, "Status", "ein Gerät wird durch eine Ausleihe verliehen")]


async def test_asset_tags_are_unique_per_county(client: httpx.AsyncClient, world: World) -> None:
    await imported(client, world, "devices", [DEVICE_HEADER_DE, *device_rows("41001", 1)])
    rows = [DEVICE_HEADER_DE, *device_rows("41002", 3, start=2)]
    rows[1][5] = "INV-SN-1"  # taken by SN000001 in the same county
    rows[3][5] = rows[2][5]
    response = await post_import(client, world, "admin", "devices", csv_bytes(rows))
    assert _errors(response) == [
        (2, "Inventarnummer", "bereits vergeben an Gerät SN000001"),
        (3, "Inventarnummer", "dieselbe Inventarnummer steht mehrmals in dieser Datei (Zeilen 3, 4)"),
        (4, "Inventarnummer", "dieselbe Inventarnummer steht mehrmals in dieser Datei (Zeilen 3, 4)")]
    # Another county may use the same number.
    rows = [DEVICE_HEADER_DE, *device_rows("41003", 1, start=5)]
    rows[1][5] = "INV-SN-1"
    await imported(client, world, "devices", rows)


async def test_multipart_upload(client: httpx.AsyncClient, world: World) -> None:
    data = csv_bytes([DEVICE_HEADER_DE, *device_rows("41001", 2)])
    response = await client.post("/api/v1/import/devices", headers=world.auth("verbund_supporter"),
                                 files={"file": ("geraete.csv", data, "text/csv")})
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2


async def test_unknown_kind_is_404_and_json_is_no_csv(client: httpx.AsyncClient, world: World) -> None:
    response = await post_import(client, world, "admin", "pupils", b"a;b\n")
    assert response.status_code == 404
    response = await client.post("/api/v1/import/devices", json={}, headers=world.auth_only("admin"))
    assert response.status_code == 422
    assert [e["message"] for e in response.json()["errors"]] == ["Pflichtspalte fehlt", "Pflichtspalte fehlt"]
    response = await post_import(client, world, "admin", "devices", b"")
    assert [e["message"] for e in response.json()["errors"]] == ["die Datei hat keine Kopfzeile"]


async def test_one_audit_event_per_county_and_one_per_changed_object(client: httpx.AsyncClient,
                                                                    world: World, mine: Mine) -> None:
    since = (await fetch("SELECT coalesce(max(id), 0) AS id FROM audit_log"))[0]["id"]  # after the test world's
    # Rows of two counties in turn: the new ids still come as one run per county.
    await imported(client, world, "devices", [DEVICE_HEADER_DE, *device_rows("41001", 1),
                                              *device_rows("41003", 1, start=3), *device_rows("41001", 1, start=2)],
                   actor="verbund_supporter")
    await imported(client, world, "devices", [["Schulnummer", "Seriennummer", "Modell"],
                                              ["41001", "SN000001", "iPad 10"], ["41001", "SN000002", "iPad 9"]],
                   actor="verbund_supporter")
    ids = {d["serial"]: d["id"] for d in await mine.devices()}
    events = await fetch("SELECT action, county_id, object_id, before, after, actor_kind, actor_id, actor_label "
                         "FROM audit_log WHERE (action LIKE 'import.%' OR action LIKE 'device.%') AND id > {} "
                         "ORDER BY id", since)
    summary = [(e["action"], e["county_id"], msgspec.json.decode(e["after"])) for e in events
               if e["action"].startswith("import.")]
    dbk, kus = world.counties["donnersbergkreis"], world.counties["kusel"]
    assert summary == [
        ("import.devices", dbk, {"rows": 2, "created": 2, "updated": 0, "changed": 0,
                                 "created_ids": [[ids["SN000001"], ids["SN000002"]]]}),
        ("import.devices", kus, {"rows": 1, "created": 1, "updated": 0, "changed": 0,
                                 "created_ids": [[ids["SN000003"], ids["SN000003"]]]}),
        ("import.devices", dbk, {"rows": 2, "created": 0, "updated": 2, "changed": 1, "created_ids": []}),
    ]
    (update,) = [e for e in events if e["action"].startswith("device.")]  # the one change, not every row
    assert (update["action"], update["county_id"], update["object_id"]) == ("device.update", dbk,
                                                                            str(ids["SN000001"]))
    assert msgspec.json.decode(update["before"])["model"] == "iPad 9"
    assert msgspec.json.decode(update["after"])["model"] == "iPad 10"
    supporter = world.users["verbund_supporter"]
    assert {(e["actor_kind"], e["actor_id"], e["actor_label"]) for e in events} == {
        ("token", supporter["id"], supporter["email"])}


async def test_unreadable_keys_are_not_duplicates_of_each_other(client: httpx.AsyncClient, world: World) -> None:
    rows = [["Schulnummer", "Seriennummer"], ["41001", "x"], ["41001", ""], ["41001", "ä"], ["41001", "OK-1"]]
    response = await post_import(client, world, "admin", "devices", csv_bytes(rows))
    reason = reason_of(identifiers.serial_number, "x")
    assert _errors(response) == [(2, "Seriennummer", reason), (3, "Seriennummer", "ein Wert ist erforderlich"),
                                 (4, "Seriennummer", reason)]


async def test_device_mac_addresses_are_unique(client: httpx.AsyncClient, world: World, mine: Mine) -> None:
    header = ["Schulnummer", "Seriennummer", "MAC-Adresse"]
    await imported(client, world, "devices", [header, ["41001", "M-1", "3C-22-FB-00-00-01"],
                                              ["41004", "M-LB", "3c:22:fb:00:00:0b"]])
    assert {d["serial"]: d["mac"] for d in await mine.devices()} == {"M-1": "3c:22:fb:00:00:01",
                                                                     "M-LB": "3c:22:fb:00:00:0b"}
    rows = [header, ["41001", "M-2", "3c22.fb00.0001"], ["41002", "M-3", "3c:22:fb:00:00:0b"],
            ["41002", "M-4", "3c:22:fb:00:00:99"], ["41002", "M-5", "3C22FB000099"], ["41001", "M-1", ""]]
    response = await post_import(client, world, "verbund_supporter", "devices", csv_bytes(rows))
    assert _errors(response) == [
        (2, "MAC-Adresse", "bereits vergeben an Gerät M-1"),
        (3, "MAC-Adresse", "bereits vergeben"),  # a Ludwigsburg device: its serial is not told
        (4, "MAC-Adresse", "dieselbe MAC-Adresse steht mehrmals in dieser Datei (Zeilen 4, 5)"),
        (5, "MAC-Adresse", "dieselbe MAC-Adresse steht mehrmals in dieser Datei (Zeilen 4, 5)")]
    assert "M-LB" not in response.text
