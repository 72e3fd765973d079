"""A pupil device's fixed-asset number (`inventory_number`, Anlagennummer from the county's fixed-asset
accounting): one Field line in the device's description, and it is in the API (in and out), the create and
edit form, the device page, the CSV import (German and English header, the spellings people type) and
export, and the device list's contains-filter. Optional, at most 40 characters, not unique."""

from __future__ import annotations

import csv
import io

import httpx

from schoolit.inventory.tables import Device
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.inventory.csvfiles import exported, imported
from tests.integration.inventory.support import call, field_errors, obj, school
from tests.integration.world import World

REQUIRED = {"status": "stock", "funding_programme": "digitalpakt_sofortausstattung"}


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


async def _number(serial: str) -> str | None:
    row = await Device.select(Device.inventory_number).where(Device.serial == serial).first()
    return row["inventory_number"] if row else None


async def test_api_in_and_out_and_the_list_filter(client: httpx.AsyncClient, world: World) -> None:
    created = await call(client, world, "admin", "POST", "/devices", {
        "school_id": school(world, "kib"), "kind": "tablet", "serial": "ANL0001", "inventory_number": "AN-2024/0815",
        **REQUIRED})
    assert created.status_code == 201, created.text
    assert created.json()["inventory_number"] == "AN-2024/0815"
    same = await call(client, world, "admin", "POST", "/devices", {
        "school_id": school(world, "kib"), "kind": "tablet", "serial": "ANL0002", "inventory_number": "AN-2024/0815",
        **REQUIRED})
    assert same.status_code == 201, same.text  # not unique: several devices may be booked as one asset
    changed = await call(client, world, "admin", "PATCH", f"/devices/{same.json()['id']}",
                         {"inventory_number": "AN-2024/0816"})
    assert changed.json()["inventory_number"] == "AN-2024/0816"
    too_long = await call(client, world, "admin", "PATCH", f"/devices/{same.json()['id']}",
                          {"inventory_number": "x" * 41})
    assert field_errors(too_long) == {"inventory_number": "at most 40 characters"}
    assert too_long.json()["errors"][0]["label"] == "Fixed-asset number"
    listed = await call(client, world, "admin", "GET", "/devices", inventory_number="an-2024/08")
    assert sorted(d["serial"] for d in listed.json()["items"]) == ["ANL0001", "ANL0002"]
    one = await call(client, world, "admin", "GET", "/devices", inventory_number="0816")
    assert [d["serial"] for d in one.json()["items"]] == ["ANL0002"]
    fetched = await call(client, world, "admin", "GET", f"/devices/{obj(world, 'device', 'kib')}")
    assert fetched.json()["inventory_number"] == ""  # optional: a device without one


async def test_form_device_page_and_list_page(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    url = f"/schools/{school(world, 'kib')}/devices/new"
    form = await client.get(url)
    assert 'name="inventory_number"' in form.text and "Anlagennummer" in form.text
    saved = await client.post(url, data={"_csrf_token": await csrf_token(client, url), "serial": "anl0003",
                                         "kind": "tablet", "status": "stock", "inventory_number": " AN-77 ",
                                         "funding_programme": "digitalpakt_sofortausstattung"})
    assert saved.status_code == 303, saved.text
    assert await _number("ANL0003") == "AN-77"
    page = await client.get(saved.headers["location"])
    assert "Anlagennummer" in page.text and "AN-77" in page.text
    edit = saved.headers["location"] + "/edit"
    edited = await client.post(edit, data={"_csrf_token": await csrf_token(client, edit), "serial": "ANL0003",
                                           "kind": "tablet", "status": "stock", "inventory_number": "AN-78",
                                           "funding_programme": "digitalpakt_sofortausstattung"})
    assert edited.status_code == 303, edited.text
    assert await _number("ANL0003") == "AN-78"
    listed = await client.get("/devices", params={"inventory_number": "an-78"})
    assert listed.status_code == 200 and "ANL0003" in listed.text and 'name="inventory_number"' in listed.text


async def test_csv_import_with_its_spellings_and_export(client: httpx.AsyncClient, world: World) -> None:
    number = world.schools["kib"]["number"]
    await imported(client, world, "devices", [["Schulnummer", "Seriennummer", "Anlagennummer"],
                                              [number, "ANL0010", "AN-10"]])
    await imported(client, world, "devices", [["Schulnummer", "Seriennummer", "Anlagen-Nr."],
                                              [number, "ANL0011", "AN-11"]])
    await imported(client, world, "devices", [["school_number", "serial", "inventory_number"],
                                              [number, "ANL0012", "AN-12"]])
    assert [await _number(s) for s in ("ANL0010", "ANL0011", "ANL0012")] == ["AN-10", "AN-11", "AN-12"]
    german = {r["Seriennummer"]: r for r in _rows(await exported(client, world, "devices"))}
    assert german["ANL0010"]["Anlagennummer"] == "AN-10"
    assert german["ANL0011"]["Inventarnummer"] == ""  # the asset tag is another column
    english = {r["serial"]: r for r in _rows(await exported(client, world, "devices", lang="en"))}
    assert english["ANL0012"]["inventory_number"] == "AN-12"
