"""A field error is named by the label its own resource gives the field, not by the first label registered
for its code: codes such as `state`, `name` and `mac` mean different things in different resources (a
county's federal state, a loan's status; a room's name is the room; a device's MAC is its Wi-Fi's). Each
case here showed the other resource's label before. German by default, English on request."""

from __future__ import annotations

import httpx

from tests.integration.inventory.support import school
from tests.integration.world import World

GERMAN = {"Accept-Language": "de-DE"}
ENGLISH = {"Accept-Language": "en"}


def labels(response: httpx.Response) -> dict[str, str]:
    assert response.status_code in (400, 422), response.text
    return {e["field"]: e["label"] for e in response.json()["errors"]}


async def test_a_countys_state_is_its_federal_state(client: httpx.AsyncClient, world: World) -> None:
    admin = world.auth_only("admin")
    county = {"name": "Landkreis Birkenfeld", "slug": "birkenfeld", "ags": "07134", "state": "XX"}
    refused = await client.post("/api/v1/counties", headers={**admin, **GERMAN}, json=county)
    assert labels(refused) == {"state": "Bundesland"}  # was "Status", the loans' state
    kusel = world.counties["kusel"]
    english = await client.patch(f"/api/v1/counties/{kusel}", headers={**admin, **ENGLISH}, json={"state": 7})
    assert labels(english) == {"state": "Federal state"}  # the parser's refusal of the body's type


async def test_a_rooms_name_and_a_devices_mac(client: httpx.AsyncClient, world: World) -> None:
    admin = {**world.auth_only("admin"), **GERMAN}
    room = await client.post("/api/v1/rooms", headers=admin, json={"school_id": school(world, "rok"), "name": ""})
    assert labels(room) == {"name": "Raum"}  # was "Name", a school's
    typed = await client.post("/api/v1/rooms", headers=admin, json={"school_id": school(world, "rok"), "name": 5})
    assert labels(typed) == {"name": "Raum"}
    device = await client.post("/api/v1/devices", headers=admin, json={
        "school_id": school(world, "rok"), "kind": "tablet", "mac": "kein MAC"})
    assert labels(device)["mac"] == "MAC-Adresse (WLAN)"  # was "MAC-Adresse", an access point's
