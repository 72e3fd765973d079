"""The county dashboard against hand-built schools on the edges of every light: JSON, page, CSV, scope."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from schoolit.dashboards import services
from schoolit.dashboards.schemas import CountyDashboard
from tests.integration.dashboards.edges import (
    ALL_DOWN,
    ALMOST,
    ASYMMETRIC,
    FULL,
    GIGABIT,
    NO_PUPILS,
    NO_ROOMS,
    NO_UPLINK,
    NOW,
    PLANNED,
    Edges,
    build_edges,
    row,
)
from tests.integration.world import World

API = "/api/v1/dashboards/counties/donnersbergkreis"


@pytest.fixture
async def edges(world: World) -> Edges:
    return await build_edges(world)


async def dashboard(world: World, actor: str = "donnersberg_authority") -> CountyDashboard:
    from schoolit.accounts.tokens import scope_for_token

    scope = await scope_for_token(world.tokens[actor])
    assert scope is not None
    return await services.county_dashboard(scope, "donnersbergkreis", now=NOW)


async def test_uplink_lights_on_the_edges(client: httpx.AsyncClient, world: World, edges: Edges) -> None:
    response = await client.get(API, headers=world.auth("donnersberg_authority"))
    assert response.status_code == 200
    body = response.json()
    assert body["county_name"] == "Donnersbergkreis"
    expected = {GIGABIT: ("green", 1000, 1000), ALMOST: ("amber", 999, 1000), ASYMMETRIC: ("amber", 1000, 100),
                NO_UPLINK: ("red", None, None), PLANNED: ("red", 1000, 1000)}
    for number, (light, down, up) in expected.items():
        school = row(body, number)
        figures = (school["uplink_light"], school["uplink_down_mbps"], school["uplink_up_mbps"])
        assert figures == (light, down, up), number
    assert row(body, PLANNED)["uplink_status"] == "planned"
    assert row(body, NO_UPLINK)["uplink_status"] is None


async def test_coverage_devices_loans_on_the_edges(client: httpx.AsyncClient, world: World, edges: Edges) -> None:
    body = (await client.get(API, headers=world.auth("donnersberg_authority"))).json()
    no_rooms = row(body, NO_ROOMS)
    assert (no_rooms["coverage_light"], no_rooms["teaching_rooms"], no_rooms["live_coverage"]) == ("grey", 0, None)
    down = row(body, ALL_DOWN)
    assert (down["coverage_light"], down["live_coverage"], down["planned_coverage"]) == ("red", 0.0, 1.0)
    assert down["rooms_without_wlan"] == ["B 1.01", "B 1.02", "B 1.03"]
    full = row(body, FULL)
    assert (full["coverage_light"], full["live_coverage"], full["rooms_without_wlan"]) == ("green", 1.0, [])
    assert (full["devices_available"], full["devices_per_pupil"], full["devices_light"]) == (7, 0.7, "amber")
    assert (full["loans_open"], full["loans_overdue"]) == (2, 1)
    assert (row(body, NO_PUPILS)["devices_light"], row(body, NO_PUPILS)["devices_per_pupil"]) == ("grey", None)
    # The world's schools: one of two teaching rooms covered as planned, no probe has polled them yet: live
    # coverage is not known (no data), where the school whose access points are all down is 0 % (red).
    kib = row(body, "41001")
    assert (kib["planned_coverage"], kib["live_coverage"], kib["coverage_light"]) == (0.5, None, "grey")
    assert kib["rooms_without_wlan"] == []


async def test_availability_utilisation_and_tickets(world: World, edges: Edges) -> None:
    full = next(s for s in (await dashboard(world)).schools if s.school_number == FULL)
    assert full.ap_availability_30d == pytest.approx((288 + 270) / 576)
    assert (full.ap_samples_30d, full.availability_light) == (576, "amber")
    assert (full.uplink_utilisation_peak_30d, full.utilisation_light) == (pytest.approx(0.85), "amber")
    assert (full.tickets_open, full.tickets_breaching, full.tickets_resolved_90d) == (2, 1, 3)
    assert full.median_resolution_hours == 10.0
    gigabit = next(s for s in (await dashboard(world)).schools if s.school_number == GIGABIT)
    assert gigabit.ap_availability_30d is None
    assert (gigabit.availability_light, gigabit.utilisation_light) == ("grey", "grey")


async def test_totals_are_the_sums_of_the_rows(world: World, edges: Edges) -> None:
    result = await dashboard(world)
    rows, totals = result.schools, result.totals
    assert totals.schools == len(rows) == 11  # the world's two Donnersberg schools and nine edges
    for name in ("pupils", "teaching_rooms", "live_covered_rooms", "planned_covered_rooms", "devices_available",
                 "loans_open", "loans_overdue", "ap_samples_30d", "tickets_open", "tickets_breaching",
                 "tickets_resolved_90d"):
        assert getattr(totals, name) == sum(getattr(r, name) for r in rows), name
    # Live coverage counts the schools where it is known (measured, or without access points): not the
    # world's two schools whose access points no probe has polled yet.
    known = [r for r in rows if r.live_coverage is not None]
    assert 0 < len(known) < len(rows)
    assert totals.live_coverage == (sum(r.live_covered_rooms for r in known) / sum(r.teaching_rooms for r in known))
    assert totals.devices_per_pupil == totals.devices_available / totals.pupils
    assert totals.ap_availability_30d == pytest.approx((288 + 270) / 576)  # the only school with samples
    assert totals.uplink_utilisation_peak_30d == pytest.approx(0.85)
    for kind in ("uplink", "coverage", "devices", "availability", "utilisation"):
        assert sum(totals.lights[kind].values()) == len(rows)
        for light, count in totals.lights[kind].items():
            assert count == sum(1 for r in rows if getattr(r, f"{kind}_light") == light)
    # The world's schools have a gigabit line each, the edges one: three green.
    assert totals.lights["uplink"] == {"green": 4, "amber": 2, "red": 5, "grey": 0}
    # The county's median is over all its tickets resolved in 90 days (only FULL's: 2, 10, 30 h).
    assert totals.median_resolution_hours == 10.0


async def test_page_shows_the_lights_of_the_data(client: httpx.AsyncClient, world: World, edges: Edges) -> None:
    page = await client.get("/dashboards/counties/donnersbergkreis", headers=world.auth("donnersberg_authority"))
    assert page.status_code == 200
    html = page.text
    body = (await client.get(API, headers=world.auth("donnersberg_authority"))).json()
    for school in body["schools"]:
        for kind in ("uplink", "coverage", "devices", "availability", "utilisation"):
            marker = f'data-testid="{kind}-{school["school_number"]}" data-light="{school[kind + "_light"]}"'
            assert marker in html, marker
    assert "Kennzahlen Donnersbergkreis" in html and "keine Unterrichtsräume erfasst" in html
    assert "B 1.02" in html  # the rooms without working WLAN are listed
    assert "96,88\u00a0%" in html  # German number format
    assert "<svg" in html and 'role="img"' in html
    # An authority of one county gets that county's dashboard at /dashboards.
    home = await client.get("/dashboards", headers=world.auth("donnersberg_authority"))
    assert home.status_code == 200 and "Kennzahlen Donnersbergkreis" in home.text


async def test_page_counts_one_device_and_several(client: httpx.AsyncClient, world: World, edges: Edges) -> None:
    """German forms for one and for more: "1 Gerät", "7 Geräte", "von 4 Räumen" (dative), "11 Schulen"."""
    html = (await client.get("/dashboards/counties/donnersbergkreis", headers=world.auth("donnersberg_authority"))).text

    def school(number: str) -> str:
        return html.split(f'<tr data-testid="school-{number}">')[1].split("</tr>")[0]

    assert "1 Gerät · " in school(NO_PUPILS) and "Geräte" not in school(NO_PUPILS)
    assert "7 Geräte · " in school(FULL) and "4 von 4 Räumen" in school(FULL)
    assert "0 von 3 Räumen" in school(ALL_DOWN)
    assert "11 Schulen · Stand" in html
    # Access points no probe has polled: no data, and no list of rooms "without working WLAN".
    assert "Access Points noch von keiner Sonde abgefragt" in school("41001")
    assert "ohne funktionierendes WLAN" not in school("41001") and "ohne funktionierendes WLAN" in school(ALL_DOWN)
    english = await client.get("/dashboards/counties/donnersbergkreis",
                               headers={**world.auth("donnersberg_authority"), "cookie": "lang=en"})
    assert "1 device · " in english.text and "7 devices · " in english.text and "11 schools · as of" in english.text


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


async def test_csv_has_the_json_figures(client: httpx.AsyncClient, world: World, edges: Edges) -> None:
    auth = world.auth("donnersberg_authority")
    body = (await client.get(API, headers=auth)).json()
    english = await client.get(API + ".csv?lang=en", headers=auth)
    assert english.status_code == 200 and english.headers["content-type"].startswith("text/csv")
    rows = _csv_rows(english.content)
    assert len(rows) == len(body["schools"]) + 1
    by_number = {r["school_number"]: r for r in rows}
    for school in body["schools"]:
        line = by_number[school["school_number"]]
        assert line["uplink_light"] == school["uplink_light"]
        assert line["devices_available"] == str(school["devices_available"])
        assert line["tickets_open"] == str(school["tickets_open"])
        share = school["live_coverage"]
        assert line["live_coverage_percent"] == ("" if share is None else f"{share * 100:.1f}")
        assert line["rooms_without_wlan"] == ", ".join(school["rooms_without_wlan"])
    total = rows[-1]
    assert total["name"] == "Total" and total["pupils"] == str(body["totals"]["pupils"])
    german = _csv_rows((await client.get(API + ".csv", headers=auth)).content)
    full = next(r for r in german if r["Schulnummer"] == FULL)
    assert full["Geräte je Schüler"] == "0,70" and full["AP-Verfügbarkeit 30 Tage (%)"] == "96,9"
    assert full["Anbindung Ampel"] == "grün" and german[-1]["Schule"] == "Gesamt"


async def test_scope(client: httpx.AsyncClient, world: World, edges: Edges) -> None:
    for path in (API, API + ".csv", "/dashboards/counties/donnersbergkreis"):
        foreign = await client.get(path, headers=world.auth("ludwigsburg_authority"))
        assert foreign.status_code == 404, path
        assert "Gigabit-Gymnasium" not in foreign.text
        assert (await client.get(path, headers=world.auth("ludwigsburg_supporter"))).status_code == 404
        assert (await client.get(path, headers=world.auth("school_contact"))).status_code == 403
        assert (await client.get(path, headers=world.auth("verbund_supporter"))).status_code == 200
        assert (await client.get(path, headers=world.auth("admin"))).status_code == 200
    assert (await client.get("/api/v1/dashboards/counties/atlantis", headers=world.auth("admin"))).status_code == 404
    own = await client.get("/api/v1/dashboards/counties/ludwigsburg", headers=world.auth("ludwigsburg_authority"))
    assert own.status_code == 200 and [s["school_number"] for s in own.json()["schools"]] == ["41004"]
