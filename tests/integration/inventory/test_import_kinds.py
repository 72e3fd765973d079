"""CSV import of schools, rooms, access points and uplinks: natural keys, references and their rules."""

from __future__ import annotations

from typing import Any

import httpx

from schoolit.describe import identifiers
from schoolit.sql import fetch
from tests.integration.inventory.csvfiles import csv_bytes, exported, imported, post_import, reason_of
from tests.integration.world import World


def _errors(response: httpx.Response) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in response.json()["errors"]]


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in await fetch(sql, *args)]


SCHOOLS_1252 = [
    ["Schulnummer", "Name", "Schulart", "Landkreis", "Straße", "PLZ", "Ort", "Schülerzahl", "Management-Netz"],
    ["41011", "Gymnasium Weierhof am Donnersberg", "Gymnasium", "Donnersbergkreis", "Am Weierhof 2", "67295",
     "Bolanden-Weierhof", "612", "10.41.11.0/24"],
    ["41012", "Realschule plus Göllheim", "Realschule plus", "donnersbergkreis", "Schulstraße 5", "67307",
     "Göllheim", "1.034", ""],
    ["41013", "Förderschule Rüssingen", "Förderschule", "07333", "Hauptstraße 1", "67308", "Rüssingen", "88", ""],
]


async def test_schools_from_a_windows_1252_file(client: httpx.AsyncClient, world: World) -> None:
    response = await post_import(client, world, "verbund_supporter", "schools",
                                 csv_bytes(SCHOOLS_1252, encoding="cp1252"))
    assert response.status_code == 200, response.text
    assert response.json()["encoding"] == "windows-1252" and response.json()["created"] == 3
    schools = await _rows("SELECT * FROM school WHERE school_number LIKE '4101_' ORDER BY school_number")
    assert [s["city"] for s in schools] == ["Bolanden-Weierhof", "Göllheim", "Rüssingen"]
    assert [s["school_type"] for s in schools] == ["gymnasium", "realschule_plus", "foerderschule"]
    assert {s["county_id"] for s in schools} == {world.counties["donnersbergkreis"]}
    assert schools[1]["pupils"] == 1034 and schools[1]["name"] == "Realschule plus Göllheim"
    assert str(schools[0]["management_prefix"]) == "10.41.11.0/24"
    # The existing Kirchheimbolanden school is updated by its number; the county stays implied.
    report = await imported(client, world, "schools", [["Schulnummer", "Ort", "Schülerzahl"],
                                                       ["41001", "Kirchheimbolanden", "777"]],
                            actor="verbund_supporter", encoding="cp1252")
    assert (report["created"], report["updated"], report["changed"]) == (0, 1, 1)
    kib = await _rows("SELECT pupils, name FROM school WHERE school_number = '41001'")
    assert kib == [{"pupils": 777, "name": "Nordpfalzgymnasium Kirchheimbolanden"}]


async def test_school_rules(client: httpx.AsyncClient, world: World) -> None:
    rows = [["Schulnummer", "Name", "Landkreis"],
            ["41004", "Übernahme", "kusel"],  # a Ludwigsburg school
            ["41001", "Nordpfalzgymnasium", "kusel"],  # may not change county
            ["41020", "Neue Schule", ""],  # the Verbund has three counties: which one?
            ["41021", "", "kusel"],
            ["41022", "Schule im Nirgendwo", "Atlantis"]]
    response = await post_import(client, world, "verbund_supporter", "schools", csv_bytes(rows))
    assert _errors(response) == [
        (2, "Schulnummer", "die Schulnummer gehört zu einer Schule außerhalb Ihres Zuständigkeitsbereichs"),
        (3, "Landkreis", "eine Schule kann nicht per Import in einen anderen Landkreis wechseln"),
        (4, "Landkreis", "für eine Neuanlage (Schule) erforderlich"),
        (5, "Name", "ein Wert ist erforderlich"),
        (6, "Landkreis", "unbekannter Landkreis")]
    # A county supporter's new schools go to their county without a county column.
    report = await imported(client, world, "schools", [["Schulnummer", "Name"], ["41030", "Neue Schule LB"]],
                            actor="ludwigsburg_supporter")
    assert report["created"] == 1
    assert (await _rows("SELECT county_id FROM school WHERE school_number = '41030'"))[0]["county_id"] == \
        world.counties["ludwigsburg"]


async def test_a_management_network_must_hold_the_schools_access_points(client: httpx.AsyncClient,
                                                                        world: World) -> None:
    """The rule and the message of the API (the school's one `validate`), checked for every row at once."""
    await fetch("UPDATE access_point SET management_ip = '10.41.0.11' WHERE serial = 'CNKEYKIB01'")
    rows = [["Schulnummer", "Management-Netz"], ["41001", "10.41.1.0/24"], ["41002", "10.2.0.0/16"]]
    response = await post_import(client, world, "admin", "schools", csv_bytes(rows))
    assert _errors(response) == [
        (2, "Management-Netz", "Access Points dieser Schule haben Adressen außerhalb dieses Präfixes")]
    api = await client.patch(f"/api/v1/schools/{world.schools['kib']['id']}", headers=world.auth("admin"),
                             json={"management_prefix": "10.41.1.0/24"})
    assert api.json()["errors"] == [{"field": "management_prefix", "label": "Management network",
                                     "message": "access points of this school have addresses outside this prefix"}]
    assert (await imported(client, world, "schools", [rows[0], ["41001", "10.41.0.0/16"]]))["updated"] == 1


ROOMS = [["Schulnummer", "Gebäude", "Raum", "Etage", "Unterrichtsraum"],
         ["41001", "Hauptgebäude", "A 1.12", "1. OG", "ja"],
         ["41001", "Hauptgebäude", "A 1.13", "1. OG", "ja"],
         ["41001", "Neubau", "A 1.12", "EG", "ja"],
         ["41001", "", "Sporthalle", "", "nein"],
         ["41002", "Haus B", "Physik", "", "x"]]


async def test_rooms_create_their_buildings_and_match_by_school_building_and_name(client: httpx.AsyncClient,
                                                                                  world: World) -> None:
    buildings_sql = "SELECT b.name, s.school_number FROM building b JOIN school s ON s.id = b.school_id"
    before = {(b["name"], b["school_number"]) for b in await _rows(buildings_sql)}
    assert ("Hauptgebäude", "41001") in before  # the test world's: the rows' building is found, not made again
    report = await imported(client, world, "rooms", ROOMS)
    assert report["created"] == 5
    after = {(b["name"], b["school_number"]) for b in await _rows(buildings_sql)}
    assert after - before == {("Neubau", "41001"), ("Haus B", "41002")}
    again = [row[:] for row in ROOMS]
    again[1][1] = "HAUPTGEBÄUDE"  # buildings and rooms compare without case
    again[2][2] = "a 1.13"
    again[4][4] = "ja"
    report = await imported(client, world, "rooms", again)
    assert (report["created"], report["updated"], report["changed"]) == (0, 5, 2)  # the spelling follows the file
    assert len(await _rows(buildings_sql)) == len(after)
    assert len(await _rows("SELECT id FROM room WHERE name = 'a 1.13' OR (name = 'Sporthalle' AND is_teaching)")) == 2
    # Without a building column a name must be unique in the school.
    response = await post_import(client, world, "admin", "rooms", csv_bytes([["Schulnummer", "Raum", "Etage"],
                                                                             ["41001", "A 1.12", "2. OG"],
                                                                             ["41001", "A 1.13", "2. OG"]]))
    assert _errors(response) == [
        (2, "Raum", "mehrere Räume der Schule heißen so; bitte die Spalte Gebäude ergänzen")]
    duplicate = [ROOMS[0], ROOMS[1], ["41001", "hauptgebäude", "a 1.12", "", "ja"]]
    response = await post_import(client, world, "admin", "rooms", csv_bytes(duplicate))
    assert [(row, column) for row, column, _m in _errors(response)] == [(2, "Raum"), (3, "Raum")]


async def _network_of_41001(client: httpx.AsyncClient, world: World) -> None:
    """School 41001 gets the management network 10.41.1.0/24; the test world's access point there moves
    into it first (a network must hold the school's access points)."""
    await fetch("UPDATE access_point SET management_ip = '10.41.1.250' WHERE serial = 'CNKEYKIB01'")
    await imported(client, world, "schools", [["Schulnummer", "Management-Netz"], ["41001", "10.41.1.0/24"]])


AP_HEADER = ["Schulnummer", "Gebäude", "Raum", "Name", "Hersteller", "Modell", "Seriennummer", "MAC-Adresse",
             "Management-IP", "Status", "Förderprogramm", "Kaufdatum", "Preis (EUR)", "Versorgte Räume"]


async def test_access_points_with_rooms_coverage_and_mac_matching(client: httpx.AsyncClient, world: World) -> None:
    await _network_of_41001(client, world)
    await imported(client, world, "rooms", ROOMS)
    rows = [AP_HEADER,
            ["41001", "Hauptgebäude", "A 1.12", "ap-kib-a112", "Aruba", "AP-505", "cnk1aa0001", "00-1A-2B-3C-4D-01",
             "10.41.1.11", "aktiv", "DigitalPakt Basis", "01.08.2021", "489,00",
             "Hauptgebäude: A 1.12, Hauptgebäude: A 1.13"],
            ["41001", "", "Sporthalle", "ap-kib-halle", "LANCOM", "LX-6500", "CNK1AA0002", "001a.2b3c.4d02",
             "10.41.1.12", "geplant", "", "", "", "Sporthalle"]]
    report = await imported(client, world, "access-points", rows)
    assert report["created"] == 2
    aps = await _rows("SELECT a.*, r.name AS room FROM access_point a LEFT JOIN room r ON r.id = a.room_id "
                      "WHERE a.serial LIKE 'CNK1%' ORDER BY a.serial")
    assert [(a["serial"], a["mac"], a["room"], a["vendor"], a["status"]) for a in aps] == [
        ("CNK1AA0001", "00:1a:2b:3c:4d:01", "A 1.12", "aruba", "active"),
        ("CNK1AA0002", "00:1a:2b:3c:4d:02", "Sporthalle", "lancom", "planned")]
    assert str(aps[0]["management_ip"]) == "10.41.1.11" and aps[0]["price_cents"] == 48900
    covered = await _rows("SELECT a.serial, r.name FROM access_point_room apr JOIN access_point a "
                          "ON a.id = apr.access_point_id JOIN room r ON r.id = apr.room_id "
                          "WHERE a.serial LIKE 'CNK1%' ORDER BY 1, 2")
    assert [(c["serial"], c["name"]) for c in covered] == [("CNK1AA0001", "A 1.12"), ("CNK1AA0001", "A 1.13"),
                                                           ("CNK1AA0002", "Sporthalle")]
    # Known by MAC when the serial is missing; coverage replaced; a coverage-only change counts as changed.
    report = await imported(client, world, "access-points", [
        ["Schulnummer", "Seriennummer", "MAC-Adresse", "Versorgte Räume"],
        ["41001", "", "00:1a:2b:3c:4d:01", "Hauptgebäude: A 1.13"]])
    assert (report["created"], report["updated"], report["changed"]) == (0, 1, 1)
    covered = await _rows("SELECT r.name FROM access_point_room apr JOIN room r ON r.id = apr.room_id "
                          "JOIN access_point a ON a.id = apr.access_point_id WHERE a.serial = 'CNK1AA0001'")
    assert covered == [{"name": "A 1.13"}]


async def test_access_point_rules(client: httpx.AsyncClient, world: World) -> None:
    await _network_of_41001(client, world)
    await imported(client, world, "rooms", ROOMS)
    await imported(client, world, "access-points", [AP_HEADER[:9], ["41001", "", "", "", "", "", "AP-1",
                                                                    "00:1a:2b:3c:4d:01", ""]])
    rows = [[*AP_HEADER[:9], "Versorgte Räume"],
            ["41001", "", "A 1.12", "", "", "", "AP-2", "00:1a:2b:3c:4d:01", "10.99.0.1", "Aula"],
            ["41001", "", "", "", "Fritz", "", "", "00:1a:2b:3c:4d:99", "", ""],
            ["41001", "", "", "", "", "", "", "", "", ""],
            ["41001", "Neubau", "Keller", "", "", "", "AP-3", "00:1a:2b:3c:4d:03", "10.41.1.300", ""],
            ["41001", "", "", "", "", "", "AP-4", "00:1a:2b:3c:4d:03", "", ""]]
    response = await post_import(client, world, "admin", "access-points", csv_bytes(rows))
    assert _errors(response) == [
        (2, "Raum", "mehrere Räume heißen so; bitte das Gebäude angeben"),
        (2, "MAC-Adresse", "die MAC-Adresse gehört zu einem anderen Access Point"),
        (2, "Management-IP", "außerhalb des Management-Netzes der Schule"),
        (2, "Versorgte Räume", "Aula: unbekannter Raum (zuerst die Räume importieren)"),
        (3, "Hersteller", "einer von: aruba, cisco, unifi, lancom, aerohive, ruckus, zyxel, extreme, generic"),
        (3, "Seriennummer", "ein neuer Access Point braucht eine Seriennummer"),
        (4, "Seriennummer", "Seriennummer oder MAC-Adresse erforderlich"),
        (5, "Raum", "unbekannter Raum (zuerst die Räume importieren)"),
        (5, "MAC-Adresse", "dieselbe MAC-Adresse steht mehrmals in dieser Datei (Zeilen 5, 6)"),
        (5, "Management-IP", reason_of(identifiers.ip_address, "10.41.1.300")),
        (6, "MAC-Adresse", "dieselbe MAC-Adresse steht mehrmals in dieser Datei (Zeilen 5, 6)")]


UPLINK_HEADER = ["Schulnummer", "Anbieter", "Leitungs-ID", "Technologie", "Download (Mbit/s)", "Upload (Mbit/s)",
                 "Status", "In Betrieb seit", "Vertragsende", "Router-IP", "Öffentliches Netz"]


async def test_uplinks_match_by_line_id_or_provider(client: httpx.AsyncClient, world: World) -> None:
    rows = [UPLINK_HEADER,
            ["41001", "Pfalzwerke", "", "Glasfaser", "1.000", "1.000", "in Betrieb", "01.03.2022", "28.02.2027",
             "192.0.2.1", "198.51.100.0/29"],
            ["41002", "Telekom", "DEU-4711", "VDSL", "250", "40", "in Betrieb", "2019-05-01", "", "", ""]]
    assert (await imported(client, world, "uplinks", rows))["created"] == 2
    # The line id is filled in later; the Telekom line is matched by its id; Kusel gets a new one.
    rows = [UPLINK_HEADER[:6],
            ["41001", "pfalzwerke", "PW-0815", "fttb", "1000", "1000"],
            ["41002", "Deutsche Telekom", "DEU-4711", "FTTB", "1000", "200"],
            ["41003", "Vodafone", "", "Kabel", "500", "50"]]
    report = await imported(client, world, "uplinks", rows)
    assert (report["created"], report["updated"], report["changed"]) == (1, 2, 2)
    uplinks = await _rows("SELECT s.school_number, u.provider, u.line_id, u.technology, u.down_mbps, u.up_mbps, "
                          "u.status FROM uplink u JOIN school s ON s.id = u.school_id "
                          "WHERE u.line_id NOT LIKE 'LINE-%' ORDER BY 1")  # not the test world's
    assert [(u["school_number"], u["provider"], u["line_id"], u["technology"], u["down_mbps"], u["up_mbps"])
            for u in uplinks] == [("41001", "pfalzwerke", "PW-0815", "fttb", 1000, 1000),
                                  ("41002", "Deutsche Telekom", "DEU-4711", "fttb", 1000, 200),
                                  ("41003", "Vodafone", "", "cable", 500, 50)]
    assert uplinks[0]["status"] == "live"  # absent columns keep their value


async def test_uplink_router_interface_by_name_imports_and_exports(client: httpx.AsyncClient, world: World) -> None:
    from tests.integration.inventory.csvfiles import exported

    # A bare "Router-Interface" header is the name (docs/import.md), as is "ifName".
    rows = [["Schulnummer", "Anbieter", "Download (Mbit/s)", "Upload (Mbit/s)", "Router-IP", "Router-Interface"],
            ["41003", "Westnetz", "1000", "1000", "192.0.2.33", "pppoe-wan"]]
    assert (await imported(client, world, "uplinks", rows))["created"] == 1
    (uplink,) = await _rows("SELECT router_interface, router_if_index FROM uplink WHERE provider = 'Westnetz'")
    assert (uplink["router_interface"], uplink["router_if_index"]) == ("pppoe-wan", None)
    table = (await exported(client, world, "uplinks")).decode("utf-8-sig").splitlines()
    header = table[0].split(";")
    (line,) = [line.split(";") for line in table if "Westnetz" in line]
    assert line[header.index("Router-Interface-Name")] == "pppoe-wan"
    too_long = [[*rows[0][:-1], "ifName"], ["41003", "Westnetz", "1000", "1000", "192.0.2.33", "x" * 65]]
    response = await post_import(client, world, "admin", "uplinks", csv_bytes(too_long))
    assert response.status_code == 422 and [(row, column) for row, column, _m in _errors(response)] == [
        (2, "ifName")]  # the file's own header
    (unchanged,) = await _rows("SELECT router_interface FROM uplink WHERE provider = 'Westnetz'")
    assert unchanged["router_interface"] == "pppoe-wan"


async def test_uplink_rules(client: httpx.AsyncClient, world: World) -> None:
    rows = [UPLINK_HEADER,
            ["41001", "Pfalzwerke", "", "", "0", "1000", "", "01.03.2022", "28.02.2021", "", "198.51.100.1/29"],
            ["41001", "Pfalzwerke", "", "", "1000", "", "", "", "", "", ""]]
    response = await post_import(client, world, "admin", "uplinks", csv_bytes(rows))
    assert _errors(response) == [
        (2, "Anbieter", "derselbe Schlüssel steht mehrmals in dieser Datei (Zeilen 2, 3)"),
        (2, "Download (Mbit/s)", "mindestens 1"),
        (2, "Vertragsende", "der Vertrag (bis 28.02.2021) kann nicht vor der Inbetriebnahme (01.03.2022) enden"),
        (2, "Öffentliches Netz", reason_of(identifiers.ip_prefix, "198.51.100.1/29")),
        (3, "Anbieter", "derselbe Schlüssel steht mehrmals in dieser Datei (Zeilen 2, 3)"),
        (3, "Upload (Mbit/s)", "ein Wert ist erforderlich")]
    response = await post_import(client, world, "admin", "uplinks", csv_bytes([["Schulnummer", "Anbieter"],
                                                                               ["41001", "Pfalzwerke"]]))
    assert _errors(response) == [(2, "Download (Mbit/s)", "für eine Neuanlage (Internetanschluss) erforderlich"),
                                 (2, "Upload (Mbit/s)", "für eine Neuanlage (Internetanschluss) erforderlich")]


async def test_dates_follow_the_inventory_rules(client: httpx.AsyncClient, world: World) -> None:
    response = await post_import(client, world, "admin", "uplinks", csv_bytes([
        ["Schulnummer", "Anbieter", "Download (Mbit/s)", "Upload (Mbit/s)", "Status", "In Betrieb seit"],
        ["41003", "Vodafone", "500", "50", "in Betrieb", "01.01.2099"],
        ["41002", "Vodafone", "500", "50", "bestellt", "01.01.2099"]]))
    assert _errors(response) == [
        (2, "In Betrieb seit", "ein aktiver Anschluss kann nicht erst in der Zukunft in Betrieb gehen")]
    response = await post_import(client, world, "admin", "access-points", csv_bytes([
        ["Schulnummer", "Seriennummer", "Kaufdatum", "Installiert am", "Garantie bis"],
        ["41001", "AP-9", "01.08.2021", "01.07.2021", "01.07.2021"]]))
    assert _errors(response) == [
        (2, "Installiert am", "kann nicht vor dem Kauf (01.08.2021) installiert worden sein (01.07.2021)"),
        (2, "Garantie bis", "die Garantie (bis 01.07.2021) kann nicht vor dem Kauf (01.08.2021) enden")]


CONTROLLER_HEADER = ["Landkreis", "Schulnummer", "SNMP-Profil", "Name", "Controller-Typ", "Modell", "Management-IP",
                     "SNMP-Port", "Bemerkungen"]


async def test_wlan_controllers_import_for_county_and_school_and_export_again(
        client: httpx.AsyncClient, world: World) -> None:
    from schoolit.inventory import services
    from tests.integration.inventory.csvfiles import exported
    from tests.integration.inventory.world import SYSTEM

    county = world.counties["donnersbergkreis"]
    await fetch("UPDATE school SET management_prefix = {}::cidr WHERE id = {}", "10.41.1.0/24",
                world.schools["kib"]["id"])
    await services.create_snmp_profile(SYSTEM, {"county_id": county, "name": "WLC v2c", "version": "2c",
                                                "community": "wlc-secret"})
    rows = [CONTROLLER_HEADER,
            ["Donnersbergkreis", "", "wlc v2c", "WLC Kreishaus", "cisco-9800", "C9800-40", "172.16.0.10", "", ""],
            ["donnersbergkreis", "41001", "", "VC Kirchheimbolanden", "aruba-os", "", "10.41.1.2", "1161", ""],
            ["07333", "", "", "WLC LANCOM", "lancom-wlc", "WLC-4006+", "172.16.0.11", "", "Serverraum"]]
    report = await imported(client, world, "wlan-controllers", rows)
    assert (report["created"], report["updated"]) == (3, 0)
    stored = await _rows("SELECT c.name, c.school_id, c.profile, host(c.management_ip) AS ip, c.snmp_port, "
                         "p.name AS snmp_profile FROM wlan_controller c LEFT JOIN snmp_profile p "
                         "ON p.id = c.snmp_profile_id WHERE c.county_id = {} ORDER BY c.name", county)
    assert stored == [
        {"name": "VC Kirchheimbolanden", "school_id": world.schools["kib"]["id"], "profile": "aruba-os",
         "ip": "10.41.1.2", "snmp_port": 1161, "snmp_profile": None},
        {"name": "WLC Kreishaus", "school_id": None, "profile": "cisco-9800", "ip": "172.16.0.10", "snmp_port": 161,
         "snmp_profile": "WLC v2c"},
        {"name": "WLC LANCOM", "school_id": None, "profile": "lancom-wlc", "ip": "172.16.0.11", "snmp_port": 161,
         "snmp_profile": None}]
    # Matched by county, address and port: a new model changes one controller, creates none.
    rows[1][5] = "C9800-80"
    report = await imported(client, world, "wlan-controllers", rows)
    assert (report["created"], report["updated"], report["changed"]) == (0, 3, 1)
    # The export imports again without changing anything.
    before = await exported(client, world, "wlan-controllers")
    assert before.decode("utf-8-sig").splitlines()[0] == ";".join(CONTROLLER_HEADER)
    response = await post_import(client, world, "admin", "wlan-controllers", before)
    assert response.status_code == 200 and response.json()["changed"] == 0, response.text


async def test_wlan_controller_rows_are_checked_and_nothing_is_written(client: httpx.AsyncClient, world: World) -> None:
    county = world.counties["donnersbergkreis"]
    await fetch("UPDATE school SET management_prefix = {}::cidr WHERE id = {}", "10.41.1.0/24",
                world.schools["kib"]["id"])
    await imported(client, world, "wlan-controllers", [
        CONTROLLER_HEADER, ["Donnersbergkreis", "", "", "WLC Kreishaus", "cisco-9800", "", "172.16.0.10", "", ""]])
    rows = [CONTROLLER_HEADER,
            # the county's controller cannot become a school's by import
            ["Donnersbergkreis", "41001", "", "WLC Kreishaus", "cisco-9800", "", "172.16.0.10", "", ""],
            ["Donnersbergkreis", "41001", "", "VC", "aruba-os", "", "172.16.0.99", "", ""],
            ["Donnersbergkreis", "", "", "WLC 2", "fritzbox", "", "224.0.0.5", "", ""],
            ["Ludwigsburg", "41001", "", "WLC 3", "aruba-os", "", "10.41.1.3", "", ""],
            ["Nirgendwo", "", "", "WLC 4", "aruba-os", "", "172.16.0.12", "", ""],
            ["", "", "", "WLC 5", "aruba-os", "", "172.16.0.13", "", ""],
            ["Donnersbergkreis", "", "unbekannt", "WLC 6", "aruba-os", "", "172.16.0.10", "1161", ""],
            ["Donnersbergkreis", "", "", "WLC 6", "aruba-os", "", "172.16.0.10", "1161", ""]]
    response = await post_import(client, world, "admin", "wlan-controllers", csv_bytes(rows))
    assert response.status_code == 422
    twice = "derselbe Schlüssel steht mehrmals in dieser Datei (Zeilen 8, 9)"
    assert _errors(response) == [
        (2, "Schulnummer", "ein Controller bleibt, wo er angelegt wurde"),
        (3, "Management-IP", "außerhalb des Management-Netzes der Schule"),
        (4, "Controller-Typ", "einer von: cisco-9800, aruba-os, ruckus-smartzone, ruckus-zonedirector, "
                              "extreme-wireless, lancom-wlc"),
        (4, "Management-IP", "keine Adresse eines einzelnen Geräts"),
        (5, "Landkreis", "die Schule liegt in einem anderen Landkreis"),
        (6, "Landkreis", "unbekannter Landkreis"),
        (7, "Landkreis", "ein Wert ist erforderlich"),
        (8, "SNMP-Profil", "unbekanntes SNMP-Profil"),
        (8, "Management-IP", twice), (9, "Management-IP", twice)]
    stored = await _rows("SELECT name, school_id FROM wlan_controller WHERE county_id = {}", county)
    assert stored == [{"name": "WLC Kreishaus", "school_id": None}]  # all or nothing
    # A supporter of another county sees no Donnersbergkreis: its name is unknown there.
    response = await post_import(client, world, "ludwigsburg_supporter", "wlan-controllers", csv_bytes(
        [CONTROLLER_HEADER, ["Donnersbergkreis", "", "", "WLC X", "aruba-os", "", "172.16.0.20", "", ""]]))
    assert response.status_code == 422 and _errors(response) == [(2, "Landkreis", "unbekannter Landkreis")]


async def test_a_file_of_another_kind_is_refused_as_a_whole(client: httpx.AsyncClient, world: World) -> None:
    """The schools export chosen as rooms: `Name` is a room's column too, so row by row every school would
    become a room named like it. The header is that of schools, and nothing is written."""
    rooms_before = await _rows("SELECT id FROM room")
    schools = await exported(client, world, "schools")
    response = await post_import(client, world, "admin", "rooms", schools)
    assert response.status_code == 422, response.text
    [(row, column, message)] = _errors(response)
    assert (row, column) == (1, "")
    assert message.startswith("die Kopfzeile ist die der Art „Schule“, nicht „Raum“ (Schulart, Landkreis, ")
    assert message.endswith("gehören nicht dazu): die Datei als „Schule“ importieren"), message
    assert await _rows("SELECT id FROM room") == rooms_before
    # A column neither kind knows (a spreadsheet's own note) is only ignored, as before.
    report = await imported(client, world, "rooms", [["Schulnummer", "Raum", "Bemerkung"], ["41001", "Z 9", "neu"]])
    assert report["created"] == 1 and report["ignored_columns"] == ["Bemerkung"]
