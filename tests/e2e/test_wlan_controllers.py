"""In Chromium: an admin enters the county's WLAN controller through its form (an address outside every
school's management network) and sees it listed; after a poll that reported an access point the
inventory does not know, a supporter opens the adoption list and adopts it into a school and one of its
rooms (the room choice follows the school chosen). Admins and supporters import controllers from a CSV
file on the import page. At 1366 and 390 px (a phone) the pages fit the screen and axe-core finds no
serious violation. Screenshots: tests/e2e/artifacts/wlc-*.png."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
from playwright.sync_api import expect

from tests.e2e.support import ARTIFACTS, axe_violations, chromium, demo_database, log_in
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
    with chromium() as browser:
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
        for who, email in (("admin", ADMIN), ("supporter", SUPPORTER)):
            for width in (390, 1366):
                page = browser.new_page(base_url=base, viewport={"width": width, "height": 900})
                log_in(page, email, PASSWORD)
                page.goto("/wlan-controllers")
                expect(page.get_by_role("cell", name="C9800 Kreishaus C9800-40")).to_be_visible()
                page.screenshot(path=str(ARTIFACTS / f"wlc-list-{who}-{width}.png"), full_page=True)
                page.get_by_role("link", name="Access Points zur Übernahme").click()
                expect(page.get_by_role("cell", name=UNKNOWN_AP["mac"])).to_be_visible()
                expect(page).to_have_title("Access Points zur Übernahme · schoolit")
                page.screenshot(path=str(ARTIFACTS / f"wlc-adoption-{who}-{width}.png"), full_page=True)
                _fits(page)
        row = page.get_by_role("row").filter(has_text=UNKNOWN_AP["mac"])
        rooms = row.get_by_label("Raum")
        expect(rooms.locator("option")).to_have_count(1)  # a county's controller: no school chosen yet
        row.get_by_label("Schule").select_option(index=1)
        expect(rooms.locator("option").nth(1)).to_be_attached()  # htmx brought the school's rooms
        room = rooms.locator("option").nth(1).inner_text()
        rooms.select_option(index=1)
        page.screenshot(path=str(ARTIFACTS / "wlc-adoption-room-supporter-1366.png"), full_page=True)
        _fits(page)
        row.locator("input[name=serial]").fill("FGL2233X04")
        row.get_by_role("button", name="Übernehmen").click()
        expect(page.get_by_role("status")).to_contain_text("Übernommen.")
        expect(page.get_by_role("cell", name=UNKNOWN_AP["mac"])).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "wlc-adopted-supporter-1366.png"), full_page=True)
        page.get_by_role("link", name="Access Point öffnen").click()
        expect(page.locator("body")).to_contain_text("00:3a:7d:10:00:04")
        expect(page.locator("body")).to_contain_text(room.split(" · ")[-1])
        page.screenshot(path=str(ARTIFACTS / "wlc-adopted-ap-supporter-1366.png"), full_page=True)


CONTROLLERS_CSV = ("Landkreis;Name;Controller-Typ;Modell;Management-IP;SNMP-Port\n"
                   "ahrweiler;WLC LANCOM Kreishaus;lancom-wlc;WLC-4006+;172.16.40.20;\n"
                   "ahrweiler;VC Instant;fritzbox;;172.16.40.21;1161\n")


def test_admins_and_supporters_import_controllers_from_csv(server: tuple[str, str]) -> None:
    base, _database_url = server
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium() as browser:
        for who, email in (("admin", ADMIN), ("supporter", SUPPORTER)):
            for width in (390, 1366):
                page = browser.new_page(base_url=base, viewport={"width": width, "height": 900})
                log_in(page, email, PASSWORD)
                page.goto("/import")
                page.get_by_label("Die Datei enthält").select_option(label="WLAN-Controller")
                wrong = CONTROLLERS_CSV.replace("WLC LANCOM Kreishaus", f"WLC {who} {width}").replace(
                    "172.16.40.2", f"172.16.{width % 256}.{2 if who == 'admin' else 3}")
                page.set_input_files("input[name=file]", files=[{
                    "name": "controller.csv", "mimeType": "text/csv", "buffer": wrong.encode()}])
                page.get_by_role("button", name="Datei prüfen").click()
                expect(page.get_by_test_id("error-row-3")).to_contain_text("Controller-Typ")
                page.screenshot(path=str(ARTIFACTS / f"wlc-import-error-{who}-{width}.png"), full_page=True)
                _fits(page)
                right = wrong.replace("fritzbox", "aruba-os")
                page.set_input_files("input[name=file]", files=[{
                    "name": "controller.csv", "mimeType": "text/csv", "buffer": right.encode()}])
                page.get_by_label("Die Datei enthält").select_option(label="WLAN-Controller")
                page.get_by_role("button", name="Datei prüfen").click()
                page.get_by_role("button", name="Jetzt importieren").click()
                expect(page.get_by_test_id("import-result")).to_contain_text("2 angelegt")
                page.screenshot(path=str(ARTIFACTS / f"wlc-import-done-{who}-{width}.png"), full_page=True)
                _fits(page)
                page.goto("/wlan-controllers")
                expect(page.get_by_role("cell", name=f"WLC {who} {width} WLC-4006+")).to_be_visible()
