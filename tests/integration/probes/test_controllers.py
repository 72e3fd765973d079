"""WLAN controllers end to end: entered through the API (a county's controller outside every school's
management network), polled by the probe against its snmpsim recording, the samples ingested and
derived: a removed access point and one with all radios down open outage tickets and leave their rooms
without working WLAN; the access point the controller knows and the inventory does not is listed for
adoption, adopted in one step, and then no longer listed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from schoolit.inventory import services
from schoolit.inventory.tables import AccessPoint, AccessPointRoom, Room
from schoolit.probes import adoption
from schoolit.probes.agent.cli import make_batches, samples_to_send
from schoolit.probes.agent.snmp import SnmpPoller
from schoolit.probes.agent.wire import ProbeTarget, TargetList
from schoolit.probes.derivation import derive_pending
from schoolit.probes.simulators import RunningAgent, free_udp_ports, snmp_simulator
from schoolit.sql import fetch
from tests.integration.inventory.world import SYSTEM
from tests.integration.probes.network import fresh_school
from tests.integration.world import World

RECORDINGS = Path(__file__).resolve().parents[2] / "snmp" / "recordings"
# Per controller profile: the access points' vendor, the MACs of the recording's three inventory access
# points, and the access point it lists that the inventory does not know (MAC, name).
CASES = {
    "cisco-9800": ("cisco", {"ok": "00:3a:7d:10:00:01", "radios_down": "00:3a:7d:10:00:02",
                             "removed": "00:3a:7d:10:00:03"}, ("00:3a:7d:10:00:04", "APF01D.2E33.0001")),
    # HIPATH-WIRELESS-HWC-MIB: rows numbered by apIndex, the MAC a column; its recording also lists an
    # inactive access point the inventory does not know here (so two candidates).
    "extreme-wireless": ("extreme", {"ok": "00:1f:45:50:00:01", "radios_down": "00:1f:45:50:00:02",
                                     "removed": "00:1f:45:50:00:03"}, ("00:1f:45:50:00:04", "AP3912-0004")),
    # LCOS-MIB: CAPWAP connections numbered by job, the radios indexed by MAC and naming the access point.
    "lancom-wlc": ("lancom", {"ok": "00:a0:57:60:00:01", "radios_down": "00:a0:57:60:00:02",
                              "removed": "00:a0:57:60:00:03"}, ("00:a0:57:60:00:04", "LN-1700-0004")),
}


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningAgent]:
    (port,) = free_udp_ports(1)
    with snmp_simulator(RECORDINGS, port, ready_community="cisco-9800") as agent:
        yield agent


async def _profile(world: World, community: str) -> int:
    profile = await services.create_snmp_profile(SYSTEM, {"county_id": world.counties["donnersbergkreis"],
                                                          "name": f"WLC {community}", "version": "2c",
                                                          "community": community})
    return int(profile["id"])


async def test_a_county_controller_lies_outside_the_schools_networks_a_schools_inside(
        client: httpx.AsyncClient, world: World) -> None:
    county = world.counties["donnersbergkreis"]
    kib = world.schools["kib"]["id"]
    await fetch("UPDATE school SET management_prefix = {}::cidr WHERE id = {}", "10.20.0.0/24", kib)
    profile = await _profile(world, "cisco-9800")
    body = {"county_id": county, "name": "WLC Kreishaus", "profile": "cisco-9800", "model": "C9800-40",
            "management_ip": "172.16.0.10", "snmp_profile_id": profile}
    created = await client.post("/api/v1/wlan-controllers", json=body, headers=world.auth("admin"))
    assert created.status_code == 201, created.text
    assert created.json()["school_id"] is None and created.json()["management_ip"] == "172.16.0.10"
    again = await client.post("/api/v1/wlan-controllers", json={**body, "name": "twice"}, headers=world.auth("admin"))
    assert again.status_code == 422 and [e["field"] for e in again.json()["errors"]] == ["management_ip"]
    school_wlc = {"school_id": kib, "name": "VC", "profile": "aruba-os", "management_ip": "172.16.0.11"}
    outside = await client.post("/api/v1/wlan-controllers", json=school_wlc, headers=world.auth("admin"))
    assert outside.status_code == 422 and [e["field"] for e in outside.json()["errors"]] == ["management_ip"]
    inside = await client.post("/api/v1/wlan-controllers", json={**school_wlc, "management_ip": "10.20.0.2"},
                               headers=world.auth("admin"))
    assert inside.status_code == 201, inside.text
    unknown = await client.post("/api/v1/wlan-controllers", json={**body, "profile": "fritzbox"},
                                headers=world.auth("admin"))
    assert unknown.status_code == 422
    # Read by everyone with inventory access in the county; the school contact sees no county controller.
    listed = await client.get("/api/v1/wlan-controllers", headers=world.auth("donnersberg_authority"))
    assert {c["name"] for c in listed.json()["items"]} == {"WLC Kreishaus", "VC"}
    mine = await client.get("/api/v1/wlan-controllers", headers=world.auth("school_contact"))
    assert [c["name"] for c in mine.json()["items"]] == ["VC"]
    moved = await client.patch(f"/api/v1/wlan-controllers/{created.json()['id']}", json={"school_id": kib},
                               headers=world.auth("admin"))
    assert moved.status_code == 422


async def _poll_and_ingest(client: httpx.AsyncClient, world: World, target: ProbeTarget, wait: float = 3.0) -> None:
    """Poll the target once, post what the agent would send, and run the derivation."""
    async with SnmpPoller(timeout=wait, retries=0) as poller:
        result = await poller.poll(target)
    assert result.report is not None
    (batch,) = make_batches(samples_to_send([result]), 500, None, [result.report])
    stored = await client.post("/api/v1/probe/samples", content=msgspec.json.encode(batch),
                               headers={**world.auth("probe"), "content-type": "application/json"})
    assert stored.status_code == 200 and stored.json()["refused"] == [], stored.text
    await derive_pending()


@pytest.mark.parametrize("profile", list(CASES))
async def test_controller_polled_removed_and_radios_down_are_outages_unknown_is_adopted(
        client: httpx.AsyncClient, world: World, simulator: RunningAgent, profile: str) -> None:
    vendor, macs, (unknown_mac, unknown_name) = CASES[profile]
    school = await fresh_school(world)
    county = school["county_id"]
    aps: dict[str, int] = {}
    rooms: dict[str, int] = {}
    for key, mac in macs.items():
        rooms[key] = (await Room.insert(Room(county_id=county, school_id=school["id"], name=f"R {key}",
                                             is_teaching=True)).returning(Room.id))[0]["id"]
        aps[key] = (await AccessPoint.insert(AccessPoint(
            county_id=county, school_id=school["id"], name=f"AP {key}", vendor=vendor, serial=f"FGL{mac[-2:]}X",
            mac=mac, status="active")).returning(AccessPoint.id))[0]["id"]
        await AccessPointRoom.insert(AccessPointRoom(county_id=county, access_point_id=aps[key], room_id=rooms[key]))
    controller = await client.post("/api/v1/wlan-controllers", headers=world.auth("admin"), json={
        "county_id": county, "name": f"{profile} Kreis", "profile": profile, "management_ip": "127.0.0.1",
        "snmp_port": simulator.ports[0], "snmp_profile_id": await _profile(world, profile)})
    assert controller.status_code == 201, controller.text

    answer = await client.get("/api/v1/probe/targets", headers=world.auth("probe"))
    targets = msgspec.json.decode(answer.content, type=TargetList).targets
    (target,) = [t for t in targets if t.asset_kind == "controller"]
    assert {m.asset_id for m in target.members} >= set(aps.values())
    assert not {t.asset_id for t in targets if t.asset_kind == "access_point"} & set(aps.values())

    for _ in range(3):  # the outage threshold: three failed polls in a row
        await _poll_and_ingest(client, world, target)

    states = {row["asset_id"]: row["reachable"] for row in await fetch(
        "SELECT asset_id, reachable FROM probe_asset_state WHERE asset_id = ANY({}) AND asset_kind = 1",
        list(aps.values()))}
    assert states == {aps["ok"]: True, aps["radios_down"]: False, aps["removed"]: False}
    tickets = await fetch("SELECT access_point_id, subject FROM ticket WHERE school_id = {} AND source = 'probe'",
                          school["id"])
    subjects = {t["access_point_id"]: t["subject"] for t in tickets}
    assert set(subjects) == {aps["radios_down"], aps["removed"]}
    assert "alle Funkmodule" in subjects[aps["radios_down"]] and "WLAN-Controllers" in subjects[aps["removed"]]
    network = (await client.get(f"/api/v1/stats/schools/{school['id']}/network", headers=world.auth("admin"))).json()
    without = {room["id"] for room in network["coverage"]["rooms_without_working_wlan"]}
    assert without == {rooms["radios_down"], rooms["removed"]}

    (state,) = [c for c in await adoption.controller_states(SYSTEM) if c["id"] == controller.json()["id"]]
    listed = 3 if profile == "cisco-9800" else 4
    assert (state["reachable"], state["listed"], state["matched"], state["error"]) == (True, listed, 2, None)
    candidates = await adoption.candidates(SYSTEM)
    (candidate,) = [c for c in candidates if c.mac == unknown_mac]
    assert (candidate.name, candidate.vendor) == (unknown_name, vendor)
    csv = (await adoption.candidates_csv(SYSTEM)).decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Schulnummer;Raum;Name;Hersteller") and unknown_mac in csv
    adopted = await adoption.adopt(SYSTEM, {"mac": candidate.mac, "school_id": school["id"], "serial": "FGL2233X04"})
    assert (adopted["vendor"], adopted["mac"], adopted["status"]) == (vendor, unknown_mac, "active")
    assert unknown_mac not in {c.mac for c in await adoption.candidates(SYSTEM)}
    assert len(await adoption.candidates(SYSTEM)) == len(candidates) - 1
    answer = await client.get("/api/v1/probe/targets", headers=world.auth("probe"))
    targets = msgspec.json.decode(answer.content, type=TargetList).targets
    (target,) = [t for t in targets if t.asset_kind == "controller"]
    assert adopted["id"] in {m.asset_id for m in target.members}  # polled through the controller from now on


async def test_the_uplink_interface_named_in_the_inventory_reaches_the_probe(
        client: httpx.AsyncClient, world: World) -> None:
    school = await fresh_school(world)
    profile = await _profile(world, "uplink-router")
    created = await client.post("/api/v1/uplinks", headers=world.auth("admin"), json={
        "school_id": school["id"], "provider": "Deutsche Glasfaser", "technology": "fttb", "down_mbps": 1000,
        "up_mbps": 1000, "status": "live", "live_since": "2026-01-01", "router_ip": "127.0.0.1",
        "router_interface": "WAN Deutsche Glasfaser", "snmp_profile_id": profile})
    assert created.status_code == 201, created.text
    assert (created.json()["router_interface"], created.json()["router_if_index"]) == ("WAN Deutsche Glasfaser", None)
    answer = await client.get("/api/v1/probe/targets", headers=world.auth("probe"))
    targets = msgspec.json.decode(answer.content, type=TargetList).targets
    (target,) = [t for t in targets if (t.asset_kind, t.asset_id) == ("uplink", created.json()["id"])]
    assert (target.if_index, target.if_name) == (None, "WAN Deutsche Glasfaser")


async def test_controllers_csv_names_county_school_and_profile(client: httpx.AsyncClient, world: World) -> None:
    from schoolit.inventory.wlan_controllers import wlan_controllers_csv

    county = world.counties["donnersbergkreis"]
    await fetch("UPDATE school SET management_prefix = {}::cidr WHERE id = {}", "172.16.9.0/24",
                world.schools["rok"]["id"])
    profile = await _profile(world, "wlc-csv-export")
    for body in ({"county_id": county, "name": "=WLC Kreis", "profile": "aruba-os", "management_ip": "172.16.9.1",
                  "snmp_profile_id": profile},
                 {"school_id": world.schools["rok"]["id"], "name": "VC Rockenhausen", "profile": "ruckus-zonedirector",
                  "management_ip": "172.16.9.2", "snmp_port": 1161}):
        created = await client.post("/api/v1/wlan-controllers", json=body, headers=world.auth("admin"))
        assert created.status_code == 201, created.text
    lines = (await wlan_controllers_csv(SYSTEM)).decode("utf-8-sig").splitlines()
    assert lines[0] == ("Landkreis;Schulnummer;SNMP-Profil;Name;Controller-Typ;Modell;Management-IP;SNMP-Port;"
                        "Bemerkungen")
    assert lines[1] == "Donnersbergkreis;;WLC wlc-csv-export;'=WLC Kreis;aruba-os;;172.16.9.1;161;"  # formula quoted
    assert lines[2] == "Donnersbergkreis;41002;;VC Rockenhausen;ruckus-zonedirector;;172.16.9.2;1161;"


async def test_a_schools_own_controller_takes_its_access_points_from_the_county_controller(
        client: httpx.AsyncClient, world: World) -> None:
    county = world.counties["donnersbergkreis"]
    kib, rok = world.schools["kib"]["id"], world.schools["rok"]["id"]
    await fetch("UPDATE school SET management_prefix = NULL WHERE id = ANY({})", [kib, rok])
    aps = {}
    for key, school_id, vendor in (("kib", kib, "cisco"), ("rok", rok, "cisco"), ("rok-aruba", rok, "aruba")):
        aps[key] = (await AccessPoint.insert(AccessPoint(
            county_id=county, school_id=school_id, name=f"AP {key}", vendor=vendor, serial=f"SN-{key.upper()}",
            mac=None, status="active")).returning(AccessPoint.id))[0]["id"]
    profile = await _profile(world, "cisco-9800")
    ids = {}
    for name, place in (("county", {"county_id": county}), ("kib", {"school_id": kib})):
        created = await client.post("/api/v1/wlan-controllers", headers=world.auth("admin"), json={
            **place, "name": f"C9800 {name}", "profile": "cisco-9800", "management_ip": f"172.16.7.{len(ids) + 1}",
            "snmp_profile_id": profile})
        assert created.status_code == 201, created.text
        ids[name] = created.json()["id"]
    answer = await client.get("/api/v1/probe/targets", headers=world.auth("probe"))
    targets = msgspec.json.decode(answer.content, type=TargetList).targets
    members = {t.asset_id: {m.asset_id for m in t.members} for t in targets if t.asset_kind == "controller"}
    assert aps["kib"] in members[ids["kib"]] and aps["kib"] not in members[ids["county"]]
    assert aps["rok"] in members[ids["county"]] and aps["rok"] not in members[ids["kib"]]
    assert all(aps["rok-aruba"] not in m for m in members.values())  # another vendor's access point
    (by_serial,) = [m for t in targets if t.asset_id == ids["county"] for m in t.members if m.asset_id == aps["rok"]]
    assert (by_serial.mac, by_serial.serial) == (None, "SN-ROK")  # no MAC in the inventory: matched by serial


async def test_a_silent_controller_opens_its_own_ticket_and_leaves_its_access_points_unknown(
        client: httpx.AsyncClient, world: World) -> None:
    school = await fresh_school(world)
    county = school["county_id"]
    room = (await Room.insert(Room(county_id=county, school_id=school["id"], name="Aula", is_teaching=True))
            .returning(Room.id))[0]["id"]
    ap = (await AccessPoint.insert(AccessPoint(
        county_id=county, school_id=school["id"], name="AP Aula", vendor="cisco", serial="FGL01X",
        mac="00:3a:7d:10:00:01", status="active")).returning(AccessPoint.id))[0]["id"]
    await AccessPointRoom.insert(AccessPointRoom(county_id=county, access_point_id=ap, room_id=room))
    (port,) = free_udp_ports(1)
    created = await client.post("/api/v1/wlan-controllers", headers=world.auth("admin"), json={
        "county_id": county, "name": "C9800 Kreishaus", "profile": "cisco-9800", "management_ip": "127.0.0.1",
        "snmp_port": port, "snmp_profile_id": await _profile(world, "cisco-9800")})
    assert created.status_code == 201, created.text
    controller_id = created.json()["id"]
    answer = await client.get("/api/v1/probe/targets", headers=world.auth("probe"))
    (target,) = [t for t in msgspec.json.decode(answer.content, type=TargetList).targets
                 if (t.asset_kind, t.asset_id) == ("controller", controller_id)]

    async def tickets() -> list[dict[str, object]]:
        return [dict(row) for row in await fetch(
            "SELECT id, subject, status, access_point_id FROM ticket WHERE school_id = {} AND source = 'probe' "
            "ORDER BY id", school["id"])]

    async def ap_state() -> tuple[bool, int]:
        (row,) = await fetch("SELECT reachable, consecutive_failures FROM probe_asset_state "
                             "WHERE asset_kind = 1 AND asset_id = {}", ap)
        return row["reachable"], row["consecutive_failures"]

    async def without_wlan() -> set[int]:
        network = (await client.get(f"/api/v1/stats/schools/{school['id']}/network",
                                    headers=world.auth("admin"))).json()
        return {room["id"] for room in network["coverage"]["rooms_without_working_wlan"]}

    with snmp_simulator(RECORDINGS, port, ready_community="cisco-9800"):
        await _poll_and_ingest(client, world, target)
    assert await ap_state() == (True, 0)
    # The agent is stopped: the controller is silent (no answer at all, not a refusal).
    for poll in range(1, 4):
        await _poll_and_ingest(client, world, target, wait=0.3)
        (state,) = await fetch("SELECT reachable, consecutive_failures FROM probe_controller_state "
                               "WHERE controller_id = {}", controller_id)
        assert (state["reachable"], state["consecutive_failures"]) == (False, poll)
        assert len(await tickets()) == (1 if poll == 3 else 0)  # the outage threshold: three polls in a row
    (ticket,) = await tickets()
    assert str(ticket["subject"]).startswith("WLAN-Controller „C9800 Kreishaus“ antwortet nicht")
    assert ticket["access_point_id"] is None and ticket["status"] == "new"
    # Its access point is unknown meanwhile, not down: no ticket of its own, its room keeps its WLAN.
    assert await ap_state() == (True, 0)
    assert room not in await without_wlan()
    await _poll_and_ingest(client, world, target, wait=0.3)
    assert len(await tickets()) == 1  # never a second while it is open

    with snmp_simulator(RECORDINGS, port, ready_community="cisco-9800"):
        await _poll_and_ingest(client, world, target)
    (back,) = await tickets()
    assert back["id"] == ticket["id"] and back["status"] == "resolved"
    (state,) = await fetch("SELECT reachable, consecutive_failures, down_since, outage_ticket_id "
                           "FROM probe_controller_state WHERE controller_id = {}", controller_id)
    assert dict(state) == {"reachable": True, "consecutive_failures": 0, "down_since": None, "outage_ticket_id": None}
    assert await ap_state() == (True, 0)


async def test_adoption_picks_the_school_and_one_of_its_rooms(
        client: httpx.AsyncClient, world: World, simulator: RunningAgent) -> None:
    from tests.integration.accounts.test_login import csrf_token, login

    school = await fresh_school(world)
    county = school["county_id"]
    rooms = {}
    for name, school_id in (("Aula", school["id"]), ("R 101", school["id"]), ("Fremdraum", world.schools["kib"]["id"])):
        rooms[name] = (await Room.insert(Room(county_id=county, school_id=school_id, name=name, is_teaching=True))
                       .returning(Room.id))[0]["id"]
    created = await client.post("/api/v1/wlan-controllers", headers=world.auth("admin"), json={
        "county_id": county, "name": "C9800 Kreis", "profile": "cisco-9800", "management_ip": "127.0.0.1",
        "snmp_port": simulator.ports[0], "snmp_profile_id": await _profile(world, "cisco-9800")})
    assert created.status_code == 201, created.text
    answer = await client.get("/api/v1/probe/targets", headers=world.auth("probe"))
    (target,) = [t for t in msgspec.json.decode(answer.content, type=TargetList).targets
                 if (t.asset_kind, t.asset_id) == ("controller", created.json()["id"])]
    await _poll_and_ingest(client, world, target)
    mac = "00:3a:7d:10:00:04"  # listed by the controller, unknown to the inventory

    await login(client, "support@verbund.test.example")
    page = await client.get("/wlan-controllers/adoption")
    assert page.status_code == 200 and mac in page.text
    title = page.text.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and "Controller" not in title  # the page title only, no markup in it
    assert ">Raum" in page.text and 'hx-get="/wlan-controllers/adoption/rooms"' in page.text
    options = await client.get("/wlan-controllers/adoption/rooms", params={"school_id": school["id"]})
    assert options.status_code == 200
    assert "noch kein Raum" in options.text and "Aula" in options.text and "R 101" in options.text
    assert "Fremdraum" not in options.text  # another school's room
    assert "Aula" not in (await client.get("/wlan-controllers/adoption/rooms", params={"school_id": "x"})).text

    token = await csrf_token(client, "/wlan-controllers/adoption")
    form = {"_csrf_token": token, "mac": mac, "school_id": str(school["id"]), "serial": "FGL2233X04"}
    wrong = await client.post("/wlan-controllers/adoption", data={**form, "room_id": str(rooms["Fremdraum"])})
    assert wrong.status_code == 422 and "Raum: nicht an dieser Schule" in wrong.text
    assert await fetch("SELECT id FROM access_point WHERE mac = {}::macaddr", mac) == []
    # The failed row keeps the chosen school and offers its rooms again.
    assert f'<option value="{rooms["Aula"]}"' in wrong.text
    adopted = await client.post("/wlan-controllers/adoption", data={**form, "room_id": str(rooms["Aula"])},
                                follow_redirects=False)
    assert adopted.status_code == 303, adopted.text
    (ap,) = await fetch("SELECT school_id, room_id, vendor FROM access_point WHERE mac = {}::macaddr", mac)
    assert dict(ap) == {"school_id": school["id"], "room_id": rooms["Aula"], "vendor": "cisco"}
