"""In Chromium: an admin enters the county's WLAN controller through its form (an address outside every
school's management network) and sees it listed; after a poll that reported an access point the
inventory does not know, a supporter opens the adoption list and adopts it into a school in one click.
At 1366 and 390 px (a phone) the pages fit the screen and axe-core finds no serious violation.
Screenshots: tests/e2e/artifacts/wlc-*.png."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.support import ARTIFACTS, axe_violations, demo_database, launch_chromium, log_in
from tests.support import run_cli, running_server

PASSWORD = "ein langes Passwort für Controller"
SUPPORTER = "sabine@ahrweiler.test.example"
ADMIN = "admin@kreis.test.example"
UNKNOWN_AP = {"mac": "00:3a:7d:10:00:04", "name": "APF01D.2E33.0001", "model": "C9120AXI-E", "up": True}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    with demo_database(tmp_path, email=SUPPORTER, name="Sabine Support", role="supporter", county="ahrweiler",
                       password=PASSWORD) as env:
        result = run_cli("user", "create", "--email", ADMIN, "--name", "Petra Admin", "--role", "admin",
                         "--password-stdin", env=env, input_text=PASSWORD + "\n")
        assert result.returncode == 0, result.stderr
        with running_server(env, log_path=tmp_path / "server.log") as base:
            yield base, env["DATABASE_URL"]


def _reported(database_url: str, controller_name: str) -> None:
    """What ingest keeps after a poll of the controller (probe_controller_state), as the probe reports it."""
    async def store() -> None:
        connection = await asyncpg.connect(database_url)
        try:
            controller = await connection.fetchrow("SELECT id, county_id FROM wlan_controller WHERE name = $1",
                                                   controller_name)
            await connection.execute(
                "INSERT INTO probe_controller_state (controller_id, county_id, polled_at, reachable, listed, matched, "
                "unknown) VALUES ($1, $2, now(), true, 1, 0, $3::jsonb)",
                controller["id"], controller["county_id"], json.dumps([UNKNOWN_AP]))
        finally:
            await connection.close()

    # Playwright's sync API runs an event loop in this thread: the database call goes to its own thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, store()).result()


def _fits(page: object) -> None:
    """No sideways scrolling, and no serious or critical axe-core violation."""
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")  # type: ignore[attr-defined]
    assert axe_violations(page) == []


def test_admin_enters_a_controller_and_a_supporter_adopts_its_unknown_access_point(server: tuple[str, str]) -> None:
    base, database_url = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(base_url=base, viewport={"width": 1366, "height": 900})
            log_in(page, ADMIN, PASSWORD)
            page.get_by_role("link", name="WLAN-Controller").first.click()
            expect(page.get_by_role("heading", name="WLAN-Controller")).to_be_visible()
            page.get_by_role("link", name="Neuer WLAN-Controller").click()
            page.fill("input[name=name]", "C9800 Kreishaus")
            page.select_option("select[name=profile]", label="Cisco Catalyst 9800")
            page.fill("input[name=model]", "C9800-40")
            page.select_option("select[name=county_id]", label="Landkreis Ahrweiler")
            page.fill("input[name=management_ip]", "224.0.0.5")  # multicast: refused
            page.get_by_role("button", name="Speichern").click()
            expect(page.locator(".field-error")).to_contain_text("keine Adresse eines einzelnen Geräts")
            page.screenshot(path=str(ARTIFACTS / "wlc-form-error-admin-1366.png"), full_page=True)
            page.fill("input[name=management_ip]", "172.16.40.10")
            page.get_by_role("button", name="Speichern").click()
            expect(page.get_by_role("cell", name="C9800 Kreishaus C9800-40")).to_be_visible()
            expect(page.get_by_role("cell", name="Landkreis Ahrweiler (kreisweit)")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "wlc-list-admin-1366.png"), full_page=True)
            phone = browser.new_page(base_url=base, viewport={"width": 390, "height": 844})
            log_in(phone, ADMIN, PASSWORD)
            for path, name in (("/wlan-controllers", "list"), ("/wlan-controllers/new", "form")):
                phone.goto(path)
                phone.screenshot(path=str(ARTIFACTS / f"wlc-{name}-admin-390.png"), full_page=True)
                _fits(phone)

            _reported(database_url, "C9800 Kreishaus")
            for width in (390, 1366):
                page = browser.new_page(base_url=base, viewport={"width": width, "height": 900})
                log_in(page, SUPPORTER, PASSWORD)
                page.goto("/wlan-controllers")
                expect(page.get_by_role("cell", name="C9800 Kreishaus C9800-40")).to_be_visible()
                page.screenshot(path=str(ARTIFACTS / f"wlc-list-supporter-{width}.png"), full_page=True)
                page.get_by_role("link", name="Access Points zur Übernahme").click()
                expect(page.get_by_role("cell", name=UNKNOWN_AP["mac"])).to_be_visible()
                page.screenshot(path=str(ARTIFACTS / f"wlc-adoption-supporter-{width}.png"), full_page=True)
                _fits(page)
            row = page.get_by_role("row").filter(has_text=UNKNOWN_AP["mac"])
            row.locator("select[name=school_id]").select_option(index=1)
            row.locator("input[name=serial]").fill("FGL2233X04")
            row.get_by_role("button", name="Übernehmen").click()
            expect(page.get_by_role("status")).to_contain_text("Übernommen.")
            expect(page.get_by_role("cell", name=UNKNOWN_AP["mac"])).to_have_count(0)
            page.screenshot(path=str(ARTIFACTS / "wlc-adopted-supporter-1366.png"), full_page=True)
            page.get_by_role("link", name="Access Point öffnen").click()
            expect(page.locator("body")).to_contain_text("00:3a:7d:10:00:04")
            page.screenshot(path=str(ARTIFACTS / "wlc-adopted-ap-supporter-1366.png"), full_page=True)
        finally:
            browser.close()
