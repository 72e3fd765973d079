"""Warranty and replacement (#22 item 3): warranty ending in the next N days (devices and access points, per
county, retired ones left out), devices out of warranty in repair, the replacement plan by year of purchase;
the page in German per role and scope, the CSV files, a bad number of days named by its label (422)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import httpx

from schoolit.inventory.definitions import today
from schoolit.inventory.warranty import SHOWN
from schoolit.sql import fetch
from tests.integration.accounts.test_login import login
from tests.integration.inventory.support import call, school
from tests.integration.world import World


def _table(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


def _de(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


async def _devices(client: httpx.AsyncClient, world: World) -> dict[str, dt.date]:
    now = today()
    ends = {"W-SOON": now + dt.timedelta(days=10), "W-LATER": now + dt.timedelta(days=200),
            "W-GONE": now - dt.timedelta(days=5), "W-RETIRED": now + dt.timedelta(days=3)}
    for serial, status, school_key, bought, price in (
            ("W-SOON", "stock", "kib", "2021-08-01", 40000), ("W-LATER", "stock", "kib", "2021-09-01", None),
            ("W-GONE", "repair", "kib", "2020-09-01", 35000), ("W-RETIRED", "retired", "kib", "2020-09-01", 100),
            ("W-LB", "stock", "lb", "2019-01-01", 100)):
        response = await call(client, world, "admin", "POST", "/devices", {
            "school_id": school(world, school_key), "kind": "tablet", "serial": serial, "status": status,
            "funding_programme": "digitalpakt_sofortausstattung", "purchase_date": bought, "price_cents": price,
            "warranty_end": ends.get(serial, today() + dt.timedelta(days=20)).isoformat()})
        assert response.status_code == 201, response.text
    return ends


async def test_lists_and_csv_files(client: httpx.AsyncClient, world: World) -> None:
    ends = await _devices(client, world)
    await login(client, "support@verbund.test.example")  # Donnersberg, Kaiserslautern, Kusel; not Ludwigsburg
    page = await client.get("/warranty", params={"days": "30"})
    assert page.status_code == 200
    for text in ("Garantie und Ersatz", "Garantie endet bald", "Ohne Garantie in Reparatur", "Ersatzplanung",
                 "W-SOON", "W-GONE", _de(ends["W-SOON"]), "in Reparatur", "2026"):
        assert text in page.text, text
    assert "W-LATER" not in page.text and "W-RETIRED" not in page.text and "W-LB" not in page.text

    ending = _table((await client.get("/warranty.csv", params={"list": "ending", "days": "30"})).content)
    assert ending[0][:5] == ["Landkreis", "Schulnummer", "Schule", "Objektart", "Seriennummer"]
    assert [(r[0], r[4], r[9]) for r in ending[1:]] == [
        ("Donnersbergkreis", "W-SOON", _de(ends["W-SOON"]))]
    longer = _table((await client.get("/warranty.csv", params={"list": "ending", "days": "365"})).content)
    assert [r[4] for r in longer[1:]] == ["W-SOON", "W-LATER"]
    repair = _table((await client.get("/warranty.csv", params={"list": "repair"})).content)
    assert [(r[4], r[8], r[9]) for r in repair[1:]] == [("W-GONE", "in Reparatur", _de(ends["W-GONE"]))]
    plan = _table((await client.get("/warranty.csv", params={"list": "plan", "lang": "en"})).content)
    assert plan[0] == ["county", "purchase_year", "kind", "count", "replacement_due", "sum_eur", "without_price"]
    assert ["Donnersbergkreis", "2021", "Tablet", "2", "2026", "400.00", "1"] in plan
    assert ["Donnersbergkreis", "2020", "Tablet", "1", "2025", "350.00", "0"] in plan  # the retired one left out
    assert not any(row[0] == "Landkreis Ludwigsburg" for row in plan)


async def test_a_long_list_shows_its_first_rows_and_how_many_there_are(client: httpx.AsyncClient,
                                                                        world: World) -> None:
    """A county whose devices were bought together: the page shows the first rows of the list and how many
    there are, the CSV file all of them."""
    ends = today() + dt.timedelta(days=7)
    await fetch("INSERT INTO device (county_id, school_id, serial, warranty_end) SELECT {}, {}, "
                "'W-MANY' || lpad(n::text, 4, '0'), {} FROM generate_series(1, {}) AS n",
                world.schools["kib"]["county_id"], school(world, "kib"), ends, SHOWN + 5)
    await login(client, "support@verbund.test.example")
    page = await client.get("/warranty", params={"days": "30"})
    assert page.status_code == 200
    assert page.text.count('<code>W-MANY') == SHOWN
    assert f"Die ersten {SHOWN} von {SHOWN + 5}. Die CSV-Datei enthält alle." in page.text
    ending = _table((await client.get("/warranty.csv", params={"list": "ending", "days": "30"})).content)
    assert sum(row[4].startswith("W-MANY") for row in ending[1:]) == SHOWN + 5
    assert "Die ersten" not in (await client.get("/warranty", params={"days": "3"})).text  # none ends that soon


async def test_bad_days_are_a_german_422_and_school_contacts_see_their_school(client: httpx.AsyncClient,
                                                                             world: World) -> None:
    await _devices(client, world)
    await login(client, "st@dbk.test.example")
    bad = await client.get("/warranty", params={"days": "viele"})
    assert bad.status_code == 422
    assert "Garantie endet innerhalb von (Tagen): eine ganze Zahl von Tagen zwischen 1 und 3650" in bad.text
    assert (await client.get("/warranty.csv", params={"days": "0"}, headers={"accept": "text/html"})).status_code \
        == 422
    client.cookies.clear()
    await login(client, "it@kib.test.example")
    own = await client.get("/warranty", params={"days": "30"})
    assert own.status_code == 200 and "W-SOON" in own.text and "CSV-Datei" not in own.text  # no export right
    assert (await client.get("/warranty.csv")).status_code == 403


async def test_an_access_point_is_listed_by_its_vendor_name_and_status(client: httpx.AsyncClient,
                                                                      world: World) -> None:
    """An access point's vendor is a code ("aruba"): the list and the CSV file name it ("Aruba", "aktiv")."""
    created = await call(client, world, "admin", "POST", "/access-points", {
        "school_id": school(world, "kib"), "vendor": "aruba", "model": "AP-505", "serial": "W-AP-SOON",
        "mac": "00-3A-7D-11-22-44", "status": "active", "funding_programme": "digitalpakt_basis",
        "warranty_end": (today() + dt.timedelta(days=10)).isoformat()})
    assert created.status_code == 201, created.text
    await login(client, "support@verbund.test.example")
    page = (await client.get("/warranty", params={"days": "30"})).text
    assert "Aruba AP-505" in page and "aruba AP-505" not in page
    ending = _table((await client.get("/warranty.csv", params={"list": "ending", "days": "30"})).content)
    line = next(r for r in ending[1:] if r[4] == "W-AP-SOON")
    assert (line[3], line[6], line[7], line[8]) == ("WLAN-Access-Point", "Aruba", "AP-505", "aktiv")
