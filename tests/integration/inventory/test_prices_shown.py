"""Prices on the pages (`schoolit.kernel.money.euro_text`, the one way pages write an amount): the device page's
price and the warranty page's replacement sums in German money format with a thousands separator
("1.234,56 €"), in English as English readers write it ("€1,234.56"); the CSV files keep their own format."""

from __future__ import annotations

import httpx

from tests.integration.accounts.test_login import login
from tests.integration.inventory.support import call, school
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
