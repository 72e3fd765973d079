"""Pupil devices: serials, asset tags, MACs, dates, status rules, moves within scope, search and filters."""

from __future__ import annotations

from typing import Any

import httpx

from schoolit.inventory.tables import Device
from tests.integration.inventory.support import call, field_errors, obj, school
from tests.integration.world import World


def device(world: World, key: str = "kib", **changes: Any) -> dict[str, Any]:
    return {"school_id": school(world, key), "kind": "tablet", "vendor": "Apple", "model": "iPad 9",
            "serial": "dmpzq1xyz2", "asset_tag": "INV-77", "mac": "3C:22:FB:01:02:03", "status": "stock",
            "funding_programme": "digitalpakt_sofortausstattung", "purchase_date": "2021-03-01",
            "warranty_end": "2024-03-01", "price_cents": 44900, "accessories": "Hülle, Stift", **changes}


async def test_create_normalises_serial_and_mac(client: httpx.AsyncClient, world: World) -> None:
    created = await call(client, world, "verbund_supporter", "POST", "/devices", device(world))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["serial"], body["mac"], body["status"]) == ("DMPZQ1XYZ2", "3c:22:fb:01:02:03", "stock")
    assert body["open_loan_id"] is None


async def test_device_validation(client: httpx.AsyncClient, world: World) -> None:
    before = await Device.count()
    response = await call(client, world, "admin", "POST", "/devices", device(
        world, kind="phone", serial="a b", mac="3C:22:FB", warranty_end="2020-01-01", status="lent",
        funding_programme="lottery", price_cents=-100))
    assert field_errors(response) == {
        "kind": "not one of the allowed values", "serial": "2–80 letters, digits, '.', '_', '/' or '-'",
        "mac": "not a MAC address (e.g. 00:1a:2b:3c:4d:5e)",
        "warranty_end": "the warranty (until 01.01.2020) cannot end before the purchase (01.03.2021)",
        "status": "a device becomes lent through a loan",
        "funding_programme": "not one of the allowed values", "price_cents": "must not be negative"}
    assert await Device.count() == before


async def test_serials_and_asset_tags_are_unique(client: httpx.AsyncClient, world: World) -> None:
    taken_serial = await call(client, world, "admin", "POST", "/devices", device(world, serial="dmpxkib0001"))
    assert field_errors(taken_serial) == {"serial": "already in use"}
    taken_tag = await call(client, world, "admin", "POST", "/devices", device(world, asset_tag="INV-KIB-1"))
    assert field_errors(taken_tag) == {"asset_tag": "already in use"}
    other_county = await call(client, world, "admin", "POST", "/devices", device(world, "lb", asset_tag="INV-KIB-1"))
    assert other_county.status_code == 201  # asset tags are unique per county


async def test_search_and_filters(client: httpx.AsyncClient, world: World) -> None:
    await call(client, world, "admin", "POST", "/devices", device(world))
    for q in ("dmpzq1", "INV-77", "3c22.fb01.0203"):
        found = await call(client, world, "admin", "GET", "/devices", q=q)
        assert [d["serial"] for d in found.json()["items"]] == ["DMPZQ1XYZ2"], q
    lent = await call(client, world, "verbund_supporter", "GET", "/devices", status="lent", sort="-serial")
    assert [d["serial"] for d in lent.json()["items"]] == ["PFROK0002", "PFKUS0002", "PFKIB0002"]
    lenovo = await call(client, world, "admin", "GET", "/devices", vendor="lenovo", model="L13",
                        county_id=world.counties["donnersbergkreis"])
    assert lenovo.json()["total"] == 2


async def test_an_empty_filter_means_all_and_a_bad_one_names_its_label(client: httpx.AsyncClient,
                                                                      world: World) -> None:
    everything = (await call(client, world, "admin", "GET", "/devices")).json()
    empty = await call(client, world, "admin", "GET", "/devices", county_id="", school_id="", status="", kind="")
    assert empty.status_code == 200 and empty.json()["total"] == everything["total"] > 0
    bad = await call(client, world, "admin", "GET", "/devices", county_id="alle", status="kaputt")
    assert field_errors(bad) == {"county_id": "must be a whole number", "status": "not one of the allowed values"}
    assert [e["label"] for e in bad.json()["errors"]] == ["County", "Status"]
    assert bad.json()["detail"] == "County: must be a whole number; Status: not one of the allowed values"
    german = await client.get("/api/v1/devices", params={"county_id": "alle"}, headers=world.auth_only("admin"))
    assert field_errors(german) == {"county_id": "muss eine ganze Zahl sein"}
    assert german.json()["errors"][0]["label"] == "Landkreis"


async def test_a_lent_device_keeps_its_status_until_returned(client: httpx.AsyncClient, world: World) -> None:
    lent = (await call(client, world, "admin", "GET", "/devices", q="PFKIB0002")).json()["items"][0]
    response = await call(client, world, "admin", "PATCH", f"/devices/{lent['id']}", {"status": "repair"})
    assert field_errors(response) == {"status": "a lent device changes status when it is returned"}
    assert (await call(client, world, "admin", "POST", f"/devices/{lent['id']}/retire")).status_code == 409


async def test_moves_within_scope(client: httpx.AsyncClient, world: World) -> None:
    device_id = obj(world, "device", "kib")
    within = await call(client, world, "verbund_supporter", "PATCH", f"/devices/{device_id}",
                        {"school_id": school(world, "kus")})
    assert within.status_code == 200 and within.json()["county_id"] == world.counties["kusel"]
    outside = await call(client, world, "verbund_supporter", "PATCH", f"/devices/{device_id}",
                         {"school_id": school(world, "lb")})
    assert field_errors(outside) == {"school_id": "unknown school"}


async def test_lent_devices_and_loan_records_stay(client: httpx.AsyncClient, world: World) -> None:
    lent = (await call(client, world, "admin", "GET", "/devices", q="PFKIB0002")).json()["items"][0]
    moving_lent = await call(client, world, "admin", "PATCH", f"/devices/{lent['id']}",
                             {"school_id": school(world, "rok")})
    assert moving_lent.status_code == 409
    returned = await call(client, world, "admin", "POST", f"/loans/{lent['open_loan_id']}/return", {})
    assert returned.status_code == 200
    same_county = await call(client, world, "admin", "PATCH", f"/devices/{lent['id']}",
                             {"school_id": school(world, "rok")})
    assert same_county.status_code == 200
    other_county = await call(client, world, "admin", "PATCH", f"/devices/{lent['id']}",
                              {"school_id": school(world, "kus")})
    assert other_county.status_code == 409  # its loan records belong to the Donnersbergkreis


async def test_devices_are_retired_not_deleted(client: httpx.AsyncClient, world: World) -> None:
    device_id = obj(world, "device", "kib")
    retired = await call(client, world, "admin", "POST", f"/devices/{device_id}/retire")
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    assert (await call(client, world, "admin", "DELETE", f"/devices/{device_id}")).status_code == 405
