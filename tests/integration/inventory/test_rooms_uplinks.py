"""Buildings, rooms and uplinks: validation, scope of references, the derived gigabit flag."""

from __future__ import annotations

import httpx

from schoolit.inventory.tables import Room, Uplink
from tests.integration.inventory.support import call, field_errors, obj, school
from tests.integration.world import World


async def test_building_and_room_lifecycle(client: httpx.AsyncClient, world: World) -> None:
    building = await call(client, world, "admin", "POST", "/buildings", {"school_id": school(world, "rok"),
                                                                        "name": "Neubau"})
    assert building.status_code == 201
    room = await call(client, world, "admin", "POST", "/rooms", {
        "school_id": school(world, "rok"), "building_id": building.json()["id"], "name": "N 1.01", "floor": "1"})
    assert room.status_code == 201 and room.json()["is_teaching"] is True
    assert room.json()["building_name"] == "Neubau"
    duplicate = await call(client, world, "admin", "POST", "/rooms", {
        "school_id": school(world, "rok"), "building_id": building.json()["id"], "name": "n 1.01"})
    assert field_errors(duplicate) == {"name": "already in use"}
    renamed = await call(client, world, "admin", "PATCH", f"/rooms/{room.json()['id']}", {"is_teaching": False})
    assert renamed.json()["is_teaching"] is False
    listed = await call(client, world, "admin", "GET", "/rooms", school_id=school(world, "rok"), is_teaching=False)
    assert {r["name"] for r in listed.json()["items"]} == {"Lehrerzimmer", "N 1.01"}
    assert (await call(client, world, "admin", "DELETE", f"/buildings/{building.json()['id']}")).status_code == 204
    left = await Room.select(Room.building_id).where(Room.id == room.json()["id"]).first()
    assert left == {"building_id": None}  # the room stays, without a building


async def test_room_of_another_schools_building_is_refused(client: httpx.AsyncClient, world: World) -> None:
    response = await call(client, world, "admin", "POST", "/rooms", {
        "school_id": school(world, "rok"), "building_id": obj(world, "building", "kib"), "name": "X 1"})
    assert field_errors(response) == {"building_id": "not at this school"}


async def test_rooms_need_a_school_in_scope(client: httpx.AsyncClient, world: World) -> None:
    response = await call(client, world, "verbund_supporter", "POST", "/rooms", {
        "school_id": school(world, "lb"), "name": "Fremd 1"})
    assert field_errors(response) == {"school_id": "unknown school"}
    missing = await call(client, world, "admin", "POST", "/rooms", {"name": "Ohne Schule"})
    assert field_errors(missing) == {"school_id": "required"}


async def test_uplink_validation(client: httpx.AsyncClient, world: World) -> None:
    before = await Uplink.count()
    response = await call(client, world, "admin", "POST", "/uplinks", {
        "school_id": school(world, "rok"), "provider": "Telekom", "technology": "dsl", "down_mbps": 0,
        "up_mbps": -5, "status": "live", "live_since": "2025-06-01", "contract_end": "2024-06-01",
        "router_ip": "10.2.0.300", "public_prefix": "192.0.2.1/28", "router_if_index": 0})
    assert field_errors(response) == {
        "technology": "not one of the allowed values", "down_mbps": "must be positive", "up_mbps": "must be positive",
        "contract_end": "the contract (until 01.06.2024) cannot end before the line went live (01.06.2025)",
        "router_ip": "not an IP address",
        "public_prefix": "host bits are set: give the network address, e.g. 10.20.0.0/24",
        "router_if_index": "too small"}
    assert await Uplink.count() == before


async def test_gigabit_symmetric_is_derived_never_typed(client: httpx.AsyncClient, world: World) -> None:
    vdsl = await call(client, world, "admin", "POST", "/uplinks", {
        "school_id": school(world, "rok"), "provider": "Telekom", "line_id": "VDSL-1", "technology": "vdsl",
        "down_mbps": 250, "up_mbps": 40, "status": "live", "router_ip": "192.0.2.1",
        "public_prefix": "192.0.2.0/29"})
    assert vdsl.status_code == 201 and vdsl.json()["gigabit_symmetric"] is False
    assert vdsl.json()["router_ip"] == "192.0.2.1" and vdsl.json()["public_prefix"] == "192.0.2.0/29"
    typed = await call(client, world, "admin", "PATCH", f"/uplinks/{vdsl.json()['id']}", {"gigabit_symmetric": True})
    assert typed.status_code in (400, 422)
    upgraded = await call(client, world, "admin", "PATCH", f"/uplinks/{vdsl.json()['id']}",
                          {"technology": "fttb", "down_mbps": 1000, "up_mbps": 1000})
    assert upgraded.json()["gigabit_symmetric"] is True
    only_fast = await call(client, world, "admin", "GET", "/uplinks", gigabit_symmetric=True,
                           school_id=school(world, "rok"))
    assert only_fast.json()["total"] == 2
    duplicate_line = await call(client, world, "admin", "POST", "/uplinks", {
        "school_id": school(world, "rok"), "provider": "Telekom", "line_id": "VDSL-1", "technology": "vdsl",
        "down_mbps": 100, "up_mbps": 40, "status": "planned"})
    assert field_errors(duplicate_line) == {"line_id": "already in use"}


async def test_uplink_profile_must_be_of_the_schools_county(client: httpx.AsyncClient, world: World) -> None:
    response = await call(client, world, "admin", "PATCH", f"/uplinks/{obj(world, 'uplink', 'kib')}",
                          {"snmp_profile_id": obj(world, "snmp_profile", "lb")})
    assert field_errors(response) == {"snmp_profile_id": "unknown SNMP profile of this county"}


async def test_rooms_buildings_and_uplinks_stay_at_their_school(client: httpx.AsyncClient, world: World) -> None:
    for path, kind in (("rooms", "room"), ("buildings", "building"), ("uplinks", "uplink")):
        response = await call(client, world, "admin", "PATCH", f"/{path}/{obj(world, kind, 'kib')}",
                              {"school_id": school(world, "rok")})
        assert field_errors(response) == {"school_id": "cannot move to another school"}, path
