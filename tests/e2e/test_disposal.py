"""In Chromium on the demo data: a supporter requests a device's disposal (Aussonderung) on its page with the
data-wipe certificate; a file that only claims to be a PDF is refused, naming the field; the school
authority of the county approves it on "Aussonderungen" with a note, and the device is gone from the
device list but keeps its page, marked "ausgesondert". An access point the same way: its page refuses the
request while it is active, the supporter retires it and requests it with the record of its factory reset,
the authority approves it beside the devices, and it leaves the access point list. The disposals page and
the pages of a device and an access point with their disposal section as each role that sees them, at 1366
and 390 px: no sideways scrolling at 390 px, no serious or critical axe-core violation, a screenshot each
(tests/e2e/artifacts/disposal-*.png)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.support import (
    PHONE,
    ROLE_USERS,
    WIDE,
    chromium,
    logged_in_pages,
    look_at,
    page_as,
    pages_at_both_widths,
)

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
DISPOSED: dict[str, str] = {}  # the pages of the device and the access point the flows disposed of


def _send_request(page: Page, filename: str, content: bytes) -> None:
    """Attach the certificate to the opened request form and send it."""
    form = page.get_by_test_id("disposal-form")
    form.locator("input[name=certificate]").set_input_files(
        {"name": filename, "mimeType": "application/pdf", "buffer": content})
    form.get_by_role("button", name="Aussonderung beantragen").click()


def _summary_in_view(page: Page) -> Locator:
    """The refused request's summary: in the window and focused, though the page was loaded anew at its top."""
    summary = page.get_by_test_id("disposal-error")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    return summary


def _requested(page: Page, name: str) -> None:
    """The asset's page after the request: it awaits approval."""
    expect(page).to_have_url(re.compile(r"done=disposal-requested"))
    expect(page.get_by_test_id("asset-disposals")).to_contain_text("wartet auf Genehmigung")
    look_at(page, name)


def _approve(browser: Browser, server: str, has_text: str, kind: str, done: str, url: str, shot: str) -> Page:
    """The authority on a phone approves the pending disposal of the row with `has_text` (an asset of `kind`,
    as the list names it, whose page is `url`): the list says `done`, the asset's page keeps it, marked with
    the day of its disposal. The page, on the asset's."""
    page = page_as(browser, server, "authority", PHONE)
    page.goto("/disposals")
    row = page.get_by_test_id("disposals-pending").locator("tr", has_text=has_text)
    expect(row).to_contain_text(ROLE_USERS["supporter"][0])  # who requested it
    expect(row).to_contain_text(kind)
    look_at(page, f"disposal-authority {shot}pending 390")
    row.locator("textarea[name=note]").fill("Nachweis geprüft")
    row.get_by_role("button", name="Genehmigen").click()
    expect(page.get_by_test_id("disposal-done")).to_contain_text(done)
    expect(page.get_by_test_id("disposals-decided").locator("tr", has_text=has_text)).to_contain_text(
        "Nachweis geprüft")
    look_at(page, f"disposal-authority {shot}approved 390")
    page.goto(url)
    expect(page.get_by_test_id("disposed-on")).to_be_visible()
    expect(page.locator("dl.details")).to_contain_text("ausgesondert")
    return page


def test_supporter_requests_and_the_authority_approves(server: str) -> None:
    with chromium() as browser:
        page = page_as(browser, server, "supporter", WIDE)
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
        # A program named like a PDF: refused by its bytes. The page comes back at its top; the reader is
        # taken to the form's summary, which names the field in German and leads to it.
        _send_request(page, "Loeschprotokoll.pdf", b"MZ\x90\x00 program")
        summary = _summary_in_view(page)
        expect(summary).to_contain_text("Bitte korrigieren: Datenlöschnachweis:")
        expect(page.locator("[data-field=certificate]")).to_be_visible()
        look_at(page, "disposal-supporter certificate refused 1366")
        summary.get_by_role("link", name="Datenlöschnachweis").click()
        expect(page.get_by_test_id("disposal-form").locator("input[name=certificate]")).to_be_focused()
        _send_request(page, "Loeschprotokoll.pdf", PDF)
        _requested(page, "disposal-supporter requested 1366")
        page.close()

        page = _approve(browser, server, serial, "Schülergerät", "Aussonderung genehmigt", device_url, "")
        DISPOSED["url"] = device_url
        page.goto("/devices?q=" + serial)
        expect(page.get_by_test_id("device-list")).not_to_contain_text(serial)


def _first_active_access_point(page: Page) -> str:
    """Open the first active access point of the Donnersbergkreis from the list; its name."""
    page.goto("/access-points?status=active&sort=name")
    filters = page.locator("form.filters")
    filters.locator("select[name=county_id]").select_option(label="Donnersbergkreis")
    filters.get_by_role("button", name="Filtern").click()
    expect(page).to_have_url(re.compile(r"county_id="))
    link = page.locator("table tbody tr a[href^='/access-points/']").first
    name = link.inner_text().strip()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    return name


def test_supporter_retires_and_requests_an_access_point_and_the_authority_approves(server: str) -> None:
    with chromium() as browser:
        page = page_as(browser, server, "supporter", WIDE)
        name = _first_active_access_point(page)
        ap_url = page.url
        # Still hanging: the page says why it cannot be disposed of yet.
        expect(page.get_by_test_id("disposal-blocked")).to_contain_text("zuerst abbauen")
        expect(page.get_by_test_id("disposal-form")).to_have_count(0)
        look_at(page, "disposal-supporter access point active 1366")
        page.get_by_role("button", name="Ausmustern").click()
        page.get_by_text("Aussonderung beantragen", exact=True).first.click()
        form = page.get_by_test_id("disposal-form")
        expect(form).to_contain_text("Werkseinstellungen")
        form.locator("select[name=reason]").select_option(label="sonstiges (siehe Notiz)")
        _send_request(page, "Werksreset.pdf", PDF)
        # "other" needs a note: the field says so in German, and the chosen reason stays.
        expect(page.locator("[data-field=note]")).to_contain_text("Notiz")
        look_at(page, "disposal-supporter access point note missing 1366")
        page.get_by_test_id("disposal-form").locator("textarea[name=note]").fill(
            "Ersetzt durch Wi-Fi-6-Modell, abgebaut am Vormittag")
        _send_request(page, "Werksreset.pdf", PDF)
        _requested(page, "disposal-supporter access point requested 1366")
        page.close()

        page = _approve(browser, server, name, "WLAN-Access-Point", "der Access Point ist ausgesondert", ap_url,
                        "access point ")
        DISPOSED["ap_url"] = ap_url
        page.goto("/access-points?q=" + name)
        expect(page.locator("table tbody")).not_to_contain_text(name)


def test_a_device_lent_meanwhile_is_refused_where_the_supporter_is(server: str) -> None:
    """The request form opened on a phone, the device lent from another tab before it is sent: the refusal
    ("Das Gerät ist verliehen …: zuerst zurücknehmen") is in the window and focused, not below the fold of the
    page loaded anew."""
    for _, page in logged_in_pages(server, "supporter", {"390": PHONE}):
        page.goto("/devices?status=stock&sort=-serial")
        page.get_by_test_id("device-list").locator("tbody tr a[href^='/devices/']").first.click()
        device_url = page.url
        page.get_by_text("Aussonderung beantragen", exact=True).first.click()
        page.get_by_test_id("disposal-form").locator("select[name=reason]").select_option(label="veraltet")
        browser = page.context.browser
        assert browser is not None
        other = page_as(browser, server, "supporter", PHONE)  # the supporter's second window
        other.goto(device_url + "/lend")
        other.get_by_label("Schülerkennung").fill("9c-17")
        other.get_by_role("button", name="Ausleihen").click()
        expect(other).to_have_url(re.compile(r"/(devices|loans)/\d+"))
        other.close()
        _send_request(page, "Loeschprotokoll.pdf", PDF)
        summary = _summary_in_view(page)
        expect(summary).to_contain_text("Das Gerät ist verliehen (Ausleihe vom ")
        expect(summary).to_contain_text("zuerst zurücknehmen")
        expect(page.get_by_test_id("disposal-form").locator("select[name=reason]")).to_have_value("obsolete")
        look_at(page, "disposal-supporter lent meanwhile refused 390")


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
        if role != "school" and "ap_url" in DISPOSED:
            page.goto(DISPOSED["ap_url"])
            expect(page.get_by_test_id("disposal")).to_be_visible()
            look_at(page, f"disposal-{role} disposed access point {name}")
        if role == "school":  # an access point of their school, its disposal section read-only
            page.goto("/schools")
            page.locator("table tbody tr a[href^='/schools/']").first.click()
            page.goto(page.url.split("?")[0] + "?section=network")
            page.locator("a[href^='/access-points/']").first.click()
            expect(page.get_by_test_id("disposal")).to_be_visible()
            expect(page.get_by_test_id("disposal-form")).to_have_count(0)
            look_at(page, f"disposal-{role} access point {name}")
        if role in ("admin", "supporter"):  # the request form, opened, on a device in stock
            page.goto("/devices?status=stock&sort=serial")
            page.get_by_test_id("device-list").locator("tbody tr a[href^='/devices/']").first.click()
            page.get_by_text("Aussonderung beantragen", exact=True).first.click()
            expect(page.get_by_test_id("disposal-form")).to_be_visible()
            look_at(page, f"disposal-{role} request form {name}")
            # and on an access point, once it is taken down
            _first_active_access_point(page)
            page.get_by_role("button", name="Ausmustern").click()
            page.get_by_text("Aussonderung beantragen", exact=True).first.click()
            expect(page.get_by_test_id("disposal-form")).to_contain_text("Werkseinstellungen")
            look_at(page, f"disposal-{role} access point request form {name}")
