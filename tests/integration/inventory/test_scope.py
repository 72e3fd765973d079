"""Scope: an authority of one county cannot read or change another county's inventory; a school contact
sees only their own school and may record loans there, but not change the inventory."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.inventory.support import call, obj, school
from tests.integration.world import World

KINDS = (("schools", "school"), ("buildings", "building"), ("rooms", "room"), ("uplinks", "uplink"),
         ("access-points", "access_point"), ("devices", "device"), ("loans", "loan"))


@pytest.mark.parametrize(("path", "kind"), KINDS)
async def test_authority_cannot_read_another_countys_rows(client: httpx.AsyncClient, world: World, path: str,
                                                         kind: str) -> None:
    foreign = await call(client, world, "donnersberg_authority", "GET", f"/{path}/{obj(world, kind, 'lb')}")
    assert foreign.status_code == 404
    own = await call(client, world, "donnersberg_authority", "GET", f"/{path}/{obj(world, kind, 'kib')}")
    assert own.status_code == 200
    listed = await call(client, world, "donnersberg_authority", "GET", f"/{path}", limit=500)
    counties = {row["county_id"] for row in listed.json()["items"]}
    assert counties == {world.counties["donnersbergkreis"]}
    asked_for_foreign = await call(client, world, "donnersberg_authority", "GET", f"/{path}",
                                   county_id=world.counties["ludwigsburg"])
    assert asked_for_foreign.json() == {"items": [], "total": 0}


async def test_authority_cannot_change_inventory(client: httpx.AsyncClient, world: World) -> None:
    own = await call(client, world, "donnersberg_authority", "PATCH", f"/devices/{obj(world, 'device', 'kib')}",
                     {"model": "x"})
    assert own.status_code == 403  # authorities read; they do not edit
    lend = await call(client, world, "donnersberg_authority", "POST", "/loans",
                      {"device_id": obj(world, "device", "kib"), "pupil_ref": "7b-1"})
    assert lend.status_code == 403


async def test_supporter_of_one_county_cannot_change_another_countys_rows(client: httpx.AsyncClient,
                                                                         world: World) -> None:
    for path, kind in KINDS[1:6]:
        response = await call(client, world, "ludwigsburg_supporter", "PATCH", f"/{path}/{obj(world, kind, 'kib')}",
                              {})
        assert response.status_code == 404, path
    retire = await call(client, world, "ludwigsburg_supporter", "POST",
                        f"/devices/{obj(world, 'device', 'kib')}/retire")
    assert retire.status_code == 404
    returned = await call(client, world, "ludwigsburg_supporter", "POST", f"/loans/{obj(world, 'loan', 'kib')}/return",
                          {})
    assert returned.status_code == 404
    created = await call(client, world, "ludwigsburg_supporter", "POST", "/devices", {
        "school_id": school(world, "kib"), "kind": "tablet", "serial": "SNEAKY01", "status": "stock",
        "funding_programme": "other"})
    assert created.status_code == 422 and created.json()["errors"][0]["field"] == "school_id"


async def test_school_contact_sees_only_their_school(client: httpx.AsyncClient, world: World) -> None:
    for path, kind in KINDS:
        listed = await call(client, world, "school_contact", "GET", f"/{path}", limit=500)
        ids = {row["id"] for row in listed.json()["items"]}
        assert ids and obj(world, kind, "kib") in ids, path
        assert obj(world, kind, "rok") not in ids, path  # same county, other school
        other = await call(client, world, "school_contact", "GET", f"/{path}/{obj(world, kind, 'rok')}")
        assert other.status_code == 404, path
    page = await client.get(f"/schools/{school(world, 'rok')}", headers=world.auth("school_contact"))
    assert page.status_code == 404
    lookup = await call(client, world, "school_contact", "GET", "/lookup", q="DMPXROK0001")
    assert lookup.json() == []


async def test_school_contact_records_loans_but_does_not_edit(client: httpx.AsyncClient, world: World) -> None:
    lent = await call(client, world, "school_contact", "POST", "/loans",
                      {"device_id": obj(world, "device", "kib"), "pupil_ref": "6a-11"})
    assert lent.status_code == 201
    edit = await call(client, world, "school_contact", "PATCH", f"/devices/{obj(world, 'device', 'kib')}",
                      {"model": "x"})
    assert edit.status_code == 403
    other_school = await call(client, world, "school_contact", "POST", f"/loans/{obj(world, 'loan', 'rok')}/return",
                              {})
    assert other_school.status_code == 404
