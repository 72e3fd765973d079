"""The arrangement dashboard (cost split as the tickets' reports compute it), the open-data export and
the school page's network section."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import httpx
import pytest

from schoolit.accounts.tokens import scope_for_token
from schoolit.kernel.times import BERLIN
from schoolit.probes.choices import AssetKind
from schoolit.tickets import reports
from tests.integration.dashboards.edges import ALL_DOWN, FULL, GIGABIT, NOW, TODAY, Edges, build_edges, hourly, state
from tests.integration.world import World


@pytest.fixture
async def edges(world: World) -> Edges:
    return await build_edges(world)


async def _book(client: httpx.AsyncClient, world: World) -> None:
    for school, minutes in (("kib", 90), ("rok", 30), ("kus", 45)):
        response = await client.post(f"/api/v1/tickets/{world.by_school['ticket'][school]}/time",
                                     json={"minutes": minutes}, headers=world.auth("verbund_supporter"))
        assert response.status_code == 201


async def test_arrangement_dashboard_and_cost_split(client: httpx.AsyncClient, world: World, edges: Edges) -> None:
    await _book(client, world)
    path = f"/api/v1/dashboards/arrangements/{world.arrangement_id}"
    response = await client.get(path, headers=world.auth("verbund_supporter"))
    assert response.status_code == 200
    body = response.json()
    assert [c["county_name"] for c in body["counties"]] == ["Donnersbergkreis", "Landkreis Kaiserslautern",
                                                            "Landkreis Kusel"]
    by_name = {c["county_name"]: c for c in body["counties"]}
    # The cost split is the tickets' reports' figure, for the month and for the year.
    scope = await scope_for_token(world.tokens["verbund_supporter"])
    assert scope is not None
    month = reports.month_range(None)
    split = await reports.cost_split(scope, month[0], month[1], world.arrangement_id)
    for county in split["counties"]:
        cost = by_name[county["county"]]["cost"]
        assert (cost["month_hours"], cost["month_share_percent"], cost["lead"]) == (
            county["hours"], county["share"], county["lead"])
    assert by_name["Donnersbergkreis"]["cost"]["month_hours"] == "2.00"  # 90 + 30 minutes
    assert by_name["Landkreis Kusel"]["cost"]["year_hours"] == "0.75"
    assert (body["month_hours"], body["year_hours"]) == ("2.75", "2.75")
    # The counties' totals are the county dashboards' totals.
    county = await client.get("/api/v1/dashboards/counties/donnersbergkreis", headers=world.auth("verbund_supporter"))
    assert by_name["Donnersbergkreis"]["totals"] == county.json()["totals"]
    # CSV: one row per member county, the same hours.
    rows = list(csv.DictReader(io.StringIO((await client.get(path + ".csv?lang=en", headers=world.auth(
        "verbund_supporter"))).text.lstrip("\ufeff")), delimiter=";"))
    assert [(r["county"], r["month_hours"], r["lead"]) for r in rows] == [
        ("Donnersbergkreis", "2.00", "yes"), ("Landkreis Kaiserslautern", "0.00", "no"),
        ("Landkreis Kusel", "0.75", "no")]
    page = await client.get(f"/dashboards/arrangements/{world.arrangement_id}", headers=world.auth("admin"))
    assert page.status_code == 200 and "Kostenaufteilung" in page.text and "2,75" in page.text


GERMAN_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                 "November", "Dezember")
ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December")


async def test_the_cost_split_names_its_month_as_people_read_it(client: httpx.AsyncClient, world: World) -> None:
    await _book(client, world)
    today = dt.datetime.now(BERLIN).date()
    path = f"/dashboards/arrangements/{world.arrangement_id}"
    german = await client.get(path, headers=world.auth("verbund_supporter"))
    assert german.status_code == 200
    month = f"{GERMAN_MONTHS[today.month - 1]} {today.year}"
    assert f"Stunden {month}</th>" in german.text and f"Stunden {today.year}</th>" in german.text
    assert f"Kostenaufteilung {month} (CSV)" in german.text
    # The ISO month only where a program reads it: the address of the cost split's CSV.
    assert f"{today:%Y-%m}" not in german.text.replace(f"cost-split.csv?month={today:%Y-%m}", "")
    english = await client.get(path, headers={**world.auth("verbund_supporter"), "cookie": "lang=en"})
    month = f"{ENGLISH_MONTHS[today.month - 1]} {today.year}"
    assert f"Hours {month}</th>" in english.text and f"Cost split {month} (CSV)" in english.text


async def test_arrangement_needs_a_scope_covering_it(client: httpx.AsyncClient, world: World) -> None:
    for path in (f"/api/v1/dashboards/arrangements/{world.arrangement_id}",
                 f"/api/v1/dashboards/arrangements/{world.arrangement_id}.csv",
                 f"/dashboards/arrangements/{world.arrangement_id}"):
        assert (await client.get(path, headers=world.auth("admin"))).status_code == 200, path
        # One member county is not the arrangement; a county outside it even less.
        assert (await client.get(path, headers=world.auth("donnersberg_authority"))).status_code == 404, path
        assert (await client.get(path, headers=world.auth("ludwigsburg_supporter"))).status_code == 404, path
        assert (await client.get(path, headers=world.auth("school_contact"))).status_code == 403, path
    assert (await client.get("/api/v1/dashboards/arrangements/99999", headers=world.auth("admin"))).status_code == 404
    assert (await client.get("/api/v1/dashboards/arrangements/x.csv", headers=world.auth("admin"))).status_code == 404
    listing = await client.get("/dashboards", headers=world.auth("verbund_supporter"))
    assert listing.status_code == 200
    assert f'href="/dashboards/arrangements/{world.arrangement_id}"' in listing.text
    assert "Landkreis Ludwigsburg" not in listing.text and "Landkreis Kusel" in listing.text


OPEN_DATA_FIELDS = {"school_number", "name", "county", "school_type", "uplink_class", "uplink_down_mbps",
                    "uplink_up_mbps", "planned_coverage_percent", "live_coverage_percent", "devices_per_pupil",
                    "licence", "licence_url", "attribution"}


async def test_open_data_is_not_personal_and_licensed(client: httpx.AsyncClient, world: World,
                                                      edges: Edges) -> None:
    auth = world.auth("donnersberg_authority")
    response = await client.get("/api/v1/open-data/schools.json", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert (body["licence"], body["licence_url"]) == ("dl-de/by-2-0", "https://www.govdata.de/dl-de/by-2-0")
    assert body["total"] == len(body["items"]) == 11
    for item in body["items"]:
        assert set(item) == OPEN_DATA_FIELDS
        assert (item["licence"], item["attribution"], item["county"]) == (
            "dl-de/by-2-0", "Donnersbergkreis", "Donnersbergkreis")
    full = next(i for i in body["items"] if i["school_number"] == FULL)
    assert (full["uplink_class"], full["uplink_down_mbps"], full["live_coverage_percent"],
            full["devices_per_pupil"]) == ("green", 1000, 100.0, 0.7)
    down = next(i for i in body["items"] if i["school_number"] == ALL_DOWN)
    assert (down["planned_coverage_percent"], down["live_coverage_percent"]) == (100.0, 0.0)
    text = json.dumps(body)
    # Nothing personal and no network details: no e-mail, pupil reference, serial, IP address or room.
    for secret in ("@", "ref-", "SN50008", "D50008-", "10.1.0", "B 1.01", "pupils"):
        assert secret not in text, secret
    table = await client.get("/api/v1/open-data/schools.csv?lang=en", headers=auth)
    rows = list(csv.DictReader(io.StringIO(table.text.lstrip("\ufeff")), delimiter=";"))
    assert set(rows[0]) == OPEN_DATA_FIELDS and len(rows) == 11
    for row, item in zip(rows, body["items"], strict=True):
        assert row["school_number"] == item["school_number"] and row["licence"] == "dl-de/by-2-0"
        assert row["uplink_class"] == item["uplink_class"]
    german = (await client.get("/api/v1/open-data/schools.csv?county=donnersbergkreis", headers=auth)).text
    assert "Lizenz;Lizenz-URL;Namensnennung" in german and ";0,70;" in german
    # Scoped: Ludwigsburg's authority gets Ludwigsburg's schools only; a foreign county is 404.
    lb = (await client.get("/api/v1/open-data/schools.json", headers=world.auth("ludwigsburg_authority"))).json()
    assert [i["school_number"] for i in lb["items"]] == ["41004"]
    foreign = await client.get("/api/v1/open-data/schools.json?county=donnersbergkreis",
                               headers=world.auth("ludwigsburg_authority"))
    assert foreign.status_code == 404
    assert (await client.get("/api/v1/open-data/schools.json", headers=world.auth("school_contact"))).status_code == 403


async def test_school_network_section(client: httpx.AsyncClient, world: World, edges: Edges) -> None:
    school_id = edges.schools[FULL]
    uplink = edges.uplinks[FULL][0]
    await state(world, edges, FULL, AssetKind.UPLINK, uplink, reachable=True)
    for hours_ago, peak in ((30, 0.42), (29, 0.93), (2, 0.10)):
        await hourly(world, edges, FULL, AssetKind.UPLINK, uplink,
                     (NOW - dt.timedelta(hours=hours_ago)).replace(minute=0, second=0), utilisation_max=peak)
    response = await client.get(f"/dashboards/schools/{school_id}/network", headers=world.auth("admin"))
    assert response.status_code == 200
    html = response.text
    first = edges.access_points[FULL][0]
    assert f'data-testid="ap-{first}"' in html and "antwortet" in html
    assert html.count('class="chart sparkline"') == 2  # one per access point
    yesterday = TODAY - dt.timedelta(days=1)
    assert f"{yesterday.day}.{yesterday.month}.: 100,0\u00a0%" in html  # the sparkline's day with 288 of 288
    assert 'class="chart line"' in html and "<polyline" in html
    assert 'data-testid="live-coverage">100\u00a0%' in html
    down = await client.get(f"/dashboards/schools/{edges.schools[ALL_DOWN]}/network", headers=world.auth("admin"))
    assert "ausgefallen" in down.text and "B 1.01" in down.text
    # The school contact sees its own school's section, not another's; the inventory page loads it.
    own = world.schools["kib"]["id"]
    assert (await client.get(f"/dashboards/schools/{own}/network", headers=world.auth("school_contact"))
            ).status_code == 200
    other = await client.get(f"/dashboards/schools/{edges.schools[GIGABIT]}/network",
                             headers=world.auth("school_contact"))
    assert other.status_code == 404
    school_page = await client.get(f"/schools/{own}?section=network", headers=world.auth("school_contact"))
    assert f'hx-get="/dashboards/schools/{own}/network"' in school_page.text
