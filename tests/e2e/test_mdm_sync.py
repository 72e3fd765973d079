"""In Chromium: admins and supporters upload a Jamf School export on the page "MDM-Abgleich", see a wrong file's
German error naming the row and column, the preview of a right one (matched, unknown to the inventory,
flagged), and a supporter syncs it, adopting the unknown iPad into a school; the device the MDM has not seen
for 45 days carries the badge on its page and is in the device list's filter. At 1366 and 390 px (a phone)
the pages fit the screen and axe-core finds no serious violation; authorities are not offered the page.
Screenshots: tests/e2e/artifacts/mdm-*.png."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from playwright.sync_api import expect

from tests.e2e.support import (
    ARTIFACTS,
    PHONE,
    ROLE_PASSWORD,
    WIDE,
    add_role_users,
    assert_accessible,
    chromium,
    demo_database,
    horizontal_overflow,
    menu_link,
    page_as,
)
from tests.support import running_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    with demo_database(tmp_path, email="ludwigsburg@e2e.example", name="Lu Amt", role="authority",
                       county="ludwigsburg", password=ROLE_PASSWORD) as env:
        add_role_users(env)
        with running_server(env, log_path=tmp_path / "server.log") as base:
            yield base, env["DATABASE_URL"]


def _serials(database_url: str) -> list[str]:
    """Two devices in stock of Donnersbergkreis (the supporter's arrangement's county)."""
    async def fetch() -> list[str]:
        connection = await asyncpg.connect(database_url)
        try:
            rows = await connection.fetch(
                "SELECT d.serial FROM device d JOIN county c ON c.id = d.county_id WHERE c.slug = 'donnersbergkreis' "
                "AND d.status = 'stock' ORDER BY d.serial LIMIT 2")
        finally:
            await connection.close()
        return [r["serial"] for r in rows]

    # Playwright's sync API runs an event loop in this thread: the database call goes to its own thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, fetch()).result()


def _export(fresh: str, silent: str) -> bytes:
    now = dt.datetime.now(dt.UTC)

    def device(serial: str, days: int, name: str) -> dict[str, Any]:
        return {"UDID": f"UDID-{serial}", "serialNumber": serial, "name": name, "isManaged": True,
                "model": {"name": "iPad (9th generation)"}, "os": {"prefix": "iOS", "version": "17.6.1"},
                "owner": {"name": "Lea Beispiel", "email": "lea@schule.example"},
                "lastCheckin": (now - dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")}

    return json.dumps({"code": 200, "devices": [device(fresh, 1, "iPad 7b-01"), device(silent, 45, "iPad 7b-02"),
                                                device("E2E-NEU-0001", 2, "iPad Lager")]}).encode()


def _fits(page: Any, what: str) -> None:
    assert horizontal_overflow(page) == 0, what
    assert_accessible(page, what)


def _upload(page: Any, name: str, content: bytes) -> None:
    page.set_input_files("input[name=file]", files=[{"name": name, "mimeType": "application/json",
                                                     "buffer": content}])
    page.get_by_role("button", name="Datei prüfen").click()


def test_mdm_sync_upload_preview_commit(server: tuple[str, str]) -> None:
    base, database_url = server
    fresh, silent = _serials(database_url)
    export = _export(fresh, silent)
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium() as browser:
        for role in ("admin", "supporter"):
            for width in (390, 1366):
                page = page_as(browser, base, role, {"width": width, "height": 900})
                page.goto("/")
                menu_link(page, "MDM-Abgleich").click()
                expect(page.get_by_role("heading", name="MDM-Abgleich", exact=True)).to_be_visible()
                _upload(page, "falsch.csv", b"Name;Seriennummer;Status;Letzte Verbindung\nA;X1Y2;Registriert;"
                                            b"gestern\n")
                expect(page.get_by_test_id("mdm-result")).to_contain_text(
                    "Zeile 2, Letzte Verbindung: kein Datum mit Uhrzeit")
                page.screenshot(path=str(ARTIFACTS / f"mdm-error-{role}-{width}.png"), full_page=True)
                _fits(page, f"mdm error {role} {width}")
                _upload(page, "geraete.json", export)
                expect(page.get_by_test_id("mdm-result")).to_contain_text("Noch nichts geschrieben")
                expect(page.get_by_test_id("mdm-unknown")).to_contain_text("E2E-NEU-0001")
                expect(page.get_by_test_id("mdm-flagged")).to_contain_text(silent)
                page.screenshot(path=str(ARTIFACTS / f"mdm-preview-{role}-{width}.png"), full_page=True)
                _fits(page, f"mdm preview {role} {width}")
                page.close()

        page = page_as(browser, base, "supporter", WIDE)
        page.goto("/mdm")
        _upload(page, "geraete.json", export)
        page.get_by_label("E2E-NEU-0001 übernehmen in").select_option(index=1)
        page.get_by_role("button", name="Jetzt abgleichen").click()
        expect(page.get_by_test_id("mdm-result")).to_contain_text("1 übernommen")
        expect(page.get_by_test_id("mdm-matched")).to_contain_text("E2E-NEU-0001")
        page.screenshot(path=str(ARTIFACTS / "mdm-synced-supporter-1366.png"), full_page=True)
        _fits(page, "mdm synced")
        page.get_by_test_id("mdm-flagged").get_by_role("link", name=silent).click()
        expect(page.get_by_test_id("mdm-silent")).to_contain_text("seit mehr als 30 Tagen nicht gesehen")
        page.screenshot(path=str(ARTIFACTS / "mdm-device-silent-supporter-1366.png"), full_page=True)
        _fits(page, "device page")
        page.goto("/devices?mdm_silent=yes")
        expect(page.locator("main")).to_contain_text(silent)
        phone = page_as(browser, base, "supporter", PHONE)
        phone.goto(page.url)
        phone.screenshot(path=str(ARTIFACTS / "mdm-device-list-silent-supporter-390.png"), full_page=True)
        _fits(phone, "device list filtered")

        authority = page_as(browser, base, "authority", WIDE)
        authority.goto("/")
        expect(authority.get_by_role("link", name="MDM-Abgleich")).to_have_count(0)
