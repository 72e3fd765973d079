"""In Chromium on the demo data: a supporter requests a device's disposal (Aussonderung) on its page with the
data-wipe certificate; a file that only claims to be a PDF is refused, naming the field; the school
authority of the county approves it on "Aussonderungen" with a note, and the device is gone from the
device list but keeps its page, marked "ausgesondert". The disposals page and the device page with its
disposal section as each role that sees them, at 1366 and 390 px: no sideways scrolling at 390 px, no
serious or critical axe-core violation, a screenshot each (tests/e2e/artifacts/disposal-*.png)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.support import (
    PHONE,
    ROLE_PASSWORD,
    ROLE_USERS,
    WIDE,
    launch_chromium,
    log_in,
    look_at,
    pages_at_both_widths,
    role_server,
)

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
DISPOSED: dict[str, str] = {}  # the device the flow disposed of: its page, for the per-role test


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with role_server(tmp_path_factory.mktemp("disposal")) as base:
        yield base




def test_supporter_requests_and_the_authority_approves(server: str) -> None:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(base_url=server, viewport=WIDE)
            log_in(page, ROLE_USERS["supporter"][0], ROLE_PASSWORD)
            page.goto("/devices?status=stock&sort=serial")
            filters = page.get_by_test_id("device-filters")
            filters.locator("select[name=county_id]").select_option(label="Donnersbergkreis")
            filters.get_by_role("button", name="Filtern").click()
            expect(page).to_have_url(re.compile(r"county_id="))
            link = page.get_by_test_id("device-list").locator("tbody tr a[href^='/devices/']").first
            serial = link.inner_text().strip()
            link.click()
            device_url = page.url
            page.get_by_text("Aussonderung beantragen", exact=True).first.click()
            form = page.get_by_test_id("disposal-form")
            form.locator("select[name=reason]").select_option(label="veraltet")
            form.locator("textarea[name=note]").fill("Akku verschlissen, Ersatz beschafft")
            # A program named like a PDF: refused by its bytes, the field named in German.
            form.locator("input[name=certificate]").set_input_files(
                {"name": "Loeschprotokoll.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00 program"})
            form.get_by_role("button", name="Aussonderung beantragen").click()
            error = page.locator("[data-field=certificate]")
            expect(error).to_contain_text("Datenlöschnachweis")
            look_at(page, "disposal-supporter certificate refused 1366")
            form = page.get_by_test_id("disposal-form")
            form.locator("input[name=certificate]").set_input_files(
                {"name": "Loeschprotokoll.pdf", "mimeType": "application/pdf", "buffer": PDF})
            form.get_by_role("button", name="Aussonderung beantragen").click()
            expect(page).to_have_url(re.compile(r"done=disposal-requested"))
            expect(page.get_by_test_id("device-disposals")).to_contain_text("wartet auf Genehmigung")
            look_at(page, "disposal-supporter requested 1366")
            page.close()

            page = browser.new_page(base_url=server, viewport=PHONE)
            log_in(page, ROLE_USERS["authority"][0], ROLE_PASSWORD)
            page.goto("/disposals")
            row = page.get_by_test_id("disposals-pending").locator("tr", has_text=serial)
            expect(row).to_contain_text(ROLE_USERS["supporter"][0])  # who requested it
            look_at(page, "disposal-authority pending 390")
            row.locator("textarea[name=note]").fill("Löschprotokoll geprüft")
            row.get_by_role("button", name="Genehmigen").click()
            expect(page.get_by_test_id("disposal-done")).to_contain_text("Aussonderung genehmigt")
            expect(page.get_by_test_id("disposals-decided").locator("tr", has_text=serial)).to_contain_text(
                "Löschprotokoll geprüft")
            look_at(page, "disposal-authority approved 390")
            page.goto(device_url)
            expect(page.get_by_test_id("disposed-on")).to_be_visible()
            expect(page.locator("dl.details")).to_contain_text("ausgesondert")
            DISPOSED["url"] = device_url
            page.goto("/devices?q=" + serial)
            expect(page.get_by_test_id("device-list")).not_to_contain_text(serial)
        finally:
            browser.close()


@pytest.mark.parametrize("role", ["admin", "supporter", "authority", "school"])
def test_disposal_pages_as_each_role(server: str, role: str) -> None:
    for name, page in pages_at_both_widths(server, role):
        page.goto("/disposals")
        expect(page.get_by_role("heading", name="Aussonderungen", exact=True)).to_be_visible()
        look_at(page, f"disposal-{role} list {name}")
        if role != "school" and DISPOSED:
            page.goto(DISPOSED["url"])
            expect(page.get_by_test_id("disposal")).to_be_visible()
            look_at(page, f"disposal-{role} disposed device {name}")
        if role in ("admin", "supporter"):  # the request form, opened, on a device in stock
            page.goto("/devices?status=stock&sort=serial")
            page.get_by_test_id("device-list").locator("tbody tr a[href^='/devices/']").first.click()
            page.get_by_text("Aussonderung beantragen", exact=True).first.click()
            expect(page.get_by_test_id("disposal-form")).to_be_visible()
            look_at(page, f"disposal-{role} request form {name}")
