"""Prices on the pages (`schoolit.kernel.money.euro_text`, the one way pages write an amount): the device page's
price and the warranty page's replacement sums in German money format with a thousands separator
("1.234,56 €"), in English as English readers write it ("€1,234.56"); the CSV files keep their own format."""

from __future__ import annotations

import json

import httpx
import pytest

from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.inventory.support import call, school
from tests.integration.test_demo_roundtrip import form_values
from tests.integration.world import World

NBSP = "\u00a0"  # between the amount and its sign: they never part at a line break


async def _device(client: httpx.AsyncClient, world: World, serial: str, cents: int) -> int:
    response = await call(client, world, "admin", "POST", "/devices", {
        "school_id": school(world, "kib"), "kind": "laptop", "serial": serial, "status": "stock",
        "funding_programme": "digitalpakt_sofortausstattung", "purchase_date": "2022-02-01", "price_cents": cents,
        "warranty_end": "2026-12-20"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_the_device_page_writes_its_price_with_a_thousands_separator(client: httpx.AsyncClient,
                                                                         world: World) -> None:
    device_id = await _device(client, world, "PRICE-1", 123456)
    await login(client, "support@verbund.test.example")
    german = await client.get(f"/devices/{device_id}")
    assert german.status_code == 200
    assert f"<dd>1.234,56{NBSP}€</dd>" in german.text
    client.cookies.set("lang", "en")
    english = await client.get(f"/devices/{device_id}")
    assert "<dd>€1,234.56</dd>" in english.text


async def test_the_replacement_plan_sums_are_written_alike(client: httpx.AsyncClient, world: World) -> None:
    await _device(client, world, "PRICE-2", 123456)
    await _device(client, world, "PRICE-3", 100000000)
    await login(client, "support@verbund.test.example")
    page = await client.get("/warranty", params={"days": "30"})
    assert page.status_code == 200
    assert f"1.001.234,56{NBSP}€" in page.text  # the two laptops of 2022


@pytest.mark.parametrize(("lang", "shown", "refused", "reason"), [
    ("de", "1.234,56", "1,234", "z. B. 1.234,56"),
    ("en", "1,234.56", "1.234", "e.g. 1,234.56"),
])
async def test_the_edit_form_prefills_the_price_as_the_pages_write_it_and_takes_it_back_unchanged(
        client: httpx.AsyncClient, world: World, lang: str, shown: str, refused: str, reason: str) -> None:
    """The edit form offers the price as its page writes it ("1.234,56" in German, "1,234.56" in English: the
    device page's amount without the sign); the form sent back as it came keeps the price, and the update it
    records changes no field. What the language writes otherwise is refused with its example."""
    device_id = await _device(client, world, f"PRICE-4{lang}", 123456)
    await login(client, "support@verbund.test.example")
    client.cookies.set("lang", lang)
    url = f"/devices/{device_id}/edit"
    edit = await client.get(url)
    assert edit.status_code == 200
    values = form_values(edit.text, "inventory-form")
    assert ("price_cents", shown) in values
    posted: dict[str, list[str]] = {}
    for key, value in values:
        posted.setdefault(key, []).append(value)
    posted["_csrf_token"] = [await csrf_token(client, url)]
    saved = await client.post(url, data=posted)
    assert saved.status_code == 303, saved.text[:2000]
    assert (await call(client, world, "admin", "GET", f"/devices/{device_id}")).json()["price_cents"] == 123456
    entry = (await fetch("SELECT before, after FROM audit_log WHERE action = 'device.update' AND object_id = {} "
                         "ORDER BY id DESC LIMIT 1", str(device_id)))[0]
    before, after = json.loads(entry["before"]), json.loads(entry["after"])
    assert before == after
    assert ("price_cents", shown) in form_values((await client.get(url)).text, "inventory-form")
    posted.update(price_cents=[refused], _csrf_token=[await csrf_token(client, url)])
    refusal = await client.post(url, data=posted)
    assert refusal.status_code == 422 and reason in refusal.text
    assert (await call(client, world, "admin", "GET", f"/devices/{device_id}")).json()["price_cents"] == 123456
