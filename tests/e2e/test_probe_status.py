"""In Chromium: an admin (from the start page's panel) and a supporter (from the navigation) open the probes'
status page; each probe of the county shows its last run, its targets answered and failed, refused samples,
its spool, how long it has been silent and the link to its open silence ticket, at 1366 px and at 390 px (a
phone) without sideways scrolling. The silent probe's ticket is opened by the real job (`schoolit
maintenance silent-probes`). Screenshots: tests/e2e/artifacts/probes-<role>-<width>.png (git-ignored).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from playwright.sync_api import expect

from tests.e2e.support import ARTIFACTS, assert_accessible, chromium, demo_database, horizontal_overflow, log_in
from tests.support import run_cli, running_server

PASSWORD = "ein langes Passwort für die Sonden"
SUPPORTER = "support@ahrweiler.test.example"
ADMIN = "admin@ahrweiler.test.example"
COUNTY = "ahrweiler"

# Three probes of the county: one reporting (some targets fail, some samples were refused, batches came
# late from its spool), one silent for three hours at a school (the job opens its ticket), one never seen.
PROBES = """
WITH the_county AS (SELECT id FROM county WHERE slug = $1),
     the_school AS (SELECT s.id FROM school s JOIN county c ON c.id = s.county_id WHERE c.slug = $1
                ORDER BY s.school_number LIMIT 1),
     probes AS (
       INSERT INTO probe (name, county_id, school_id, active, last_seen_at, created_at)
       SELECT v.name, (SELECT id FROM the_county), CASE WHEN v.at_school THEN (SELECT id FROM the_school) END, true,
              now() - v.seen, now()
         FROM (VALUES ('Sonde Kreisverwaltung', false, interval '2 minutes'),
                      ('Sonde Gymnasium', true, interval '3 hours'),
                      ('Sonde Ersatzgerät', false, NULL)) AS v(name, at_school, seen)
       RETURNING id, name, last_seen_at)
INSERT INTO probe_run (probe_id, started_at, reported_at, duration_s, targets, reachable, failed, spool_replayed,
                       spool_damaged, samples_refused, version)
SELECT id, last_seen_at - interval '40 seconds', last_seen_at, 38.4,
       CASE WHEN name = 'Sonde Kreisverwaltung' THEN 212 ELSE 35 END,
       CASE WHEN name = 'Sonde Kreisverwaltung' THEN 205 ELSE 35 END,
       CASE WHEN name = 'Sonde Kreisverwaltung' THEN 7 ELSE 0 END,
       CASE WHEN name = 'Sonde Kreisverwaltung' THEN 3 ELSE 0 END,
       CASE WHEN name = 'Sonde Kreisverwaltung' THEN 1 ELSE 0 END,
       CASE WHEN name = 'Sonde Kreisverwaltung' THEN 2 ELSE 0 END, '0.1.0'
  FROM probes WHERE last_seen_at IS NOT NULL
"""


async def _probes(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(PROBES, COUNTY)
    finally:
        await connection.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with demo_database(tmp_path, email=SUPPORTER, name="Sven Support", role="supporter", county=COUNTY,
                       password=PASSWORD) as env:
        admin = run_cli("user", "create", "--email", ADMIN, "--name", "Ada Admin", "--role", "admin",
                        "--password-stdin", env=env, input_text=PASSWORD + "\n")
        assert admin.returncode == 0, admin.stderr
        asyncio.run(_probes(env["DATABASE_URL"]))
        silent = run_cli("maintenance", "silent-probes", env=env)
        assert silent.returncode == 0 and "tickets opened: 1" in silent.stdout + silent.stderr, silent.stderr
        with running_server(env, log_path=tmp_path / "server.log") as base:
            yield base


@pytest.mark.parametrize("role, email", [("admin", ADMIN), ("supporter", SUPPORTER)])
def test_the_probes_page_in_the_browser(server: str, role: str, email: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(base_url=server, viewport={"width": 1366, "height": 900})
        log_in(page, email, PASSWORD)
        if role == "admin":  # the start page's probes panel links the page
            panel = page.get_by_test_id("start-probes")
            expect(panel).to_contain_text("Sonde Gymnasium")
            panel.get_by_role("link").click()
        else:
            expect(page.get_by_test_id("start-probes")).to_have_count(0)
            page.get_by_role("navigation").get_by_role("link", name="Sonden").click()
        expect(page.get_by_role("heading", name="Sonden", exact=True)).to_be_visible()
        reporting = page.locator("li[data-state=failing]", has_text="Sonde Kreisverwaltung")
        expect(reporting).to_contain_text("205 von 212 haben geantwortet, 7 ohne Antwort")
        expect(reporting).to_contain_text("3 Pakete nachgeliefert, 1 beschädigter Eintrag beiseitegelegt")
        expect(reporting).to_contain_text("vor 2 Minuten")
        expect(reporting).to_contain_text("keins offen")
        silent = page.locator("li[data-state=silent]", has_text="Sonde Gymnasium")
        expect(silent).to_contain_text("seit 3 Stunden stumm")
        expect(page.locator("li[data-state=never]", has_text="Sonde Ersatzgerät")).to_contain_text(
            "hat sich noch nie gemeldet")
        expect(page.locator("ul.probes > li").first).to_have_attribute("data-state", "silent")  # first
        assert_accessible(page, "the probes page")
        page.screenshot(path=str(ARTIFACTS / f"probes-{role}-1366.png"), full_page=True)
        phone = browser.new_page(base_url=server, viewport={"width": 390, "height": 844})
        phone.context.add_cookies(page.context.cookies())
        phone.goto("/probes")
        expect(phone.locator("li[data-state=silent]")).to_be_visible()
        assert horizontal_overflow(phone) == 0
        assert_accessible(phone, "the probes page on a phone")
        phone.screenshot(path=str(ARTIFACTS / f"probes-{role}-390.png"), full_page=True)
        # The silence ticket opened by the job is linked, and opens.
        silent.get_by_role("link").click()
        expect(page.locator("body")).to_contain_text("meldet sich nicht mehr")
