"""In Chromium: a school authority logs in and opens its county dashboard; the traffic lights on the page
are those of the schools imported for the test (the edges: 1,000/1,000, 999/1,000, 1,000/100, no uplink, a
planned line, no rooms, access points that never answered) and agree with the JSON figures for every school.

Runs `schoolit serve` on a free loopback port against a fresh database with the demo data, the edge
schools imported with `schoolit import`, and 30 days of rollups written for the county's access points.
The screenshots go to tests/e2e/artifacts/ (git-ignored): county-dashboard.png, its print view, and
the network section of a school page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from playwright.sync_api import expect

from tests.e2e.support import ARTIFACTS, chromium, demo_database, log_in
from tests.support import run_cli, running_server

PASSWORD = "ein langes Passwort für die Kennzahlen"
AUTHORITY = "schultraeger@ahrweiler.test.example"
COUNTY = "ahrweiler"
FILES = {
    "schools": "school_number;name;school_type;county;city;pupils\n"
               "69001;Gigabit-Gymnasium Sinzig;gymnasium;ahrweiler;Sinzig;900\n"
               "69002;Realschule plus Remagen;realschule_plus;ahrweiler;Remagen;600\n"
               "69003;BBS Adenau;bbs;ahrweiler;Adenau;1200\n"
               "69004;Förderschule Bad Breisig;foerderschule;ahrweiler;Bad Breisig;150\n"
               "69005;IGS Grafschaft;igs;ahrweiler;Grafschaft;700\n"
               "69006;Gymnasium Calvarienberg;gymnasium;ahrweiler;Bad Neuenahr-Ahrweiler;800\n",
    "uplinks": "school_number;provider;line_id;technology;down_mbps;up_mbps;status\n"
               "69001;Deutsche Glasfaser;E2E-1;fttb;1000;1000;live\n"
               "69002;Telekom;E2E-2;fttb;999;1000;live\n"
               "69003;Vodafone;E2E-3;cable;1000;100;live\n"
               "69005;Deutsche Glasfaser;E2E-5;fttb;1000;1000;planned\n"
               "69006;Telekom;E2E-6;vdsl;250;40;live\n",
    "rooms": "school_number;building;room;floor;teaching_room\n"
             "69006;Altbau;A 0.01;EG;ja\n69006;Altbau;A 0.02;EG;ja\n69006;Neubau;N 1.10;1;ja\n",
    "access-points": "school_number;building;room;name;vendor;serial;status;covers\n"
                     "69006;Altbau;A 0.01;AP Altbau;aruba;E2EAP0001;active;Altbau: A 0.01, Altbau: A 0.02\n"
                     "69006;Neubau;N 1.10;AP Neubau;aruba;E2EAP0002;active;Neubau: N 1.10\n",
}
# What the page must show for the imported schools (uplink light, WLAN light).
EXPECTED = {
    "69001": ("green", "grey"), "69002": ("amber", "grey"), "69003": ("amber", "grey"), "69004": ("red", "grey"),
    "69005": ("red", "grey"), "69006": ("amber", "red"),
}
KINDS = ("uplink", "coverage", "devices", "availability", "utilisation")

# 30 days of daily rollups for the county's active access points (a few with outages), their current
# state, and uplink peaks: so that the availability and utilisation columns show real figures.
ROLLUPS = """
INSERT INTO probe_rollup_daily (asset_kind, asset_id, day, county_id, school_id, samples, up_samples, clients_sum,
                                rate_samples, in_mbps_sum, out_mbps_sum, utilisation_max)
SELECT 1, a.id, d::date, a.county_id, a.school_id, 288, 288 - (CASE WHEN a.id % 7 = 0 THEN 20 ELSE a.id % 3 END),
       0, 0, 0, 0, NULL
FROM access_point a JOIN county c ON c.id = a.county_id, generate_series(current_date - 29, current_date, '1 day') d
WHERE c.slug = $1 AND a.status = 'active' AND a.name NOT LIKE 'AP %bau'
UNION ALL
SELECT 2, u.id, d::date, u.county_id, u.school_id, 288, 288, 0, 288, 0, 0, 0.35 + (u.id % 6) * 0.1
FROM uplink u JOIN county c ON c.id = u.county_id, generate_series(current_date - 29, current_date, '1 day') d
WHERE c.slug = $1 AND u.status = 'live'
"""
STATES = """
INSERT INTO probe_asset_state (asset_kind, asset_id, county_id, school_id, last_polled_at, reachable,
                               consecutive_failures, reboots, updated_at)
SELECT 1, a.id, a.county_id, a.school_id, now(), a.id % 11 <> 0 OR a.name LIKE 'AP %bau', 0, 0, now()
FROM access_point a JOIN county c ON c.id = a.county_id WHERE c.slug = $1 AND a.status = 'active'
ON CONFLICT (asset_kind, asset_id) DO NOTHING
"""
# The edge school's access points are down (as many failed polls as open an outage ticket): none of its
# rooms has working WLAN.
DOWN = ("UPDATE probe_asset_state SET reachable = false, consecutive_failures = 3 "
        "WHERE asset_kind = 1 AND asset_id IN (SELECT id FROM access_point WHERE name LIKE 'AP %bau')")


async def _probe_data(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(ROLLUPS, COUNTY)
        await connection.execute(STATES, COUNTY)
        await connection.execute(DOWN)
    finally:
        await connection.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with demo_database(tmp_path, email=AUTHORITY, name="Anna Amt", role="authority", county=COUNTY,
                       password=PASSWORD) as env:
        for kind in ("schools", "uplinks", "rooms", "access-points"):
            path = tmp_path / f"{kind}.csv"
            path.write_text(FILES[kind], encoding="utf-8")
            result = run_cli("import", kind, str(path), env=env)
            assert result.returncode == 0, result.stdout + result.stderr
        asyncio.run(_probe_data(env["DATABASE_URL"]))
        with running_server(env, log_path=tmp_path / "server.log") as base:
            yield base


def test_authority_sees_the_county_dashboard(server: str) -> None:
    with chromium() as browser:
        page = browser.new_page(base_url=server, viewport={"width": 1360, "height": 900})
        log_in(page, AUTHORITY, PASSWORD)
        page.get_by_role("link", name="Kennzahlen").click()
        expect(page.get_by_role("heading", name="Kennzahlen Landkreis Ahrweiler")).to_be_visible()
        for number, (uplink, coverage) in EXPECTED.items():
            expect(page.get_by_test_id(f"uplink-{number}")).to_have_attribute("data-light", uplink)
            expect(page.get_by_test_id(f"coverage-{number}")).to_have_attribute("data-light", coverage)
        expect(page.get_by_test_id("uplink-69001")).to_contain_text("gut")
        expect(page.get_by_test_id("coverage-69005")).to_contain_text("keine Daten")
        expect(page.get_by_test_id("school-69005")).to_contain_text("keine Unterrichtsräume erfasst")
        expect(page.get_by_test_id("rooms-69006")).to_contain_text("N 1.10", use_inner_text=False)
        # Every row's lights are the JSON figures' lights (same session, same service).
        figures = page.request.get(f"/api/v1/dashboards/counties/{COUNTY}").json()
        assert len(figures["schools"]) >= 10
        for school in figures["schools"]:
            for kind in KINDS:
                light = page.get_by_test_id(f"{kind}-{school['school_number']}").get_attribute("data-light")
                assert light == school[f"{kind}_light"], (school["name"], kind)
        assert any(s["availability_light"] in ("green", "amber", "red") for s in figures["schools"])
        expect(page.get_by_test_id("totals")).to_contain_text(str(figures["totals"]["schools"]))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "county-dashboard.png"), full_page=True)
        page.emulate_media(media="print")
        page.screenshot(path=str(ARTIFACTS / "county-dashboard-print.png"), full_page=True)
        page.emulate_media(media="screen")
        # A school with measurements: its page loads the network section (htmx) with a sparkline per
        # access point and the uplink chart.
        measured = next(s for s in figures["schools"] if s["availability_light"] != "grey")
        page.get_by_role("link", name=measured["name"], exact=True).first.click()
        expect(page.get_by_role("heading", name="Netzwerkstatus")).to_be_visible()
        expect(page.locator("svg.sparkline").first).to_be_visible()
        expect(page.get_by_test_id("live-coverage")).not_to_have_text("–")
        page.locator("section#network").screenshot(path=str(ARTIFACTS / "school-network.png"))
