"""In Chromium on the demo data: a supporter lists "all devices in repair in my county" with one filter on
the device list and sets two of them back to stock in bulk; a school contact returns a class's open loans
at phone width (390 px); the device list and the class return as each role that sees them, at 1366 and
390 px — no sideways scrolling at 390 px, no serious or critical axe-core violation, a screenshot each.

Screenshots go to tests/e2e/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import (
    PHONE,
    WIDE,
    chromium,
    look_at,
    page_as,
    pages_at_both_widths,
)


def total(page: Page) -> int:
    text = page.get_by_test_id("list-range").first.inner_text()
    match = re.search(r"von ([\d.]+)", text)
    return int(match.group(1).replace(".", "")) if match else 0


def test_supporter_sets_devices_in_repair_back_to_stock(server: str) -> None:
    with chromium() as browser:
        page = page_as(browser, server, "supporter", WIDE)
        page.get_by_role("link", name="Geräte", exact=True).click()
        expect(page.get_by_role("heading", name="Geräte", exact=True)).to_be_visible()
        filters = page.get_by_test_id("device-filters")
        filters.locator("select[name=county_id]").select_option(label="Donnersbergkreis")
        filters.locator("select[name=status]").select_option(label="in Reparatur")
        filters.get_by_role("button", name="Filtern").click()
        expect(page).to_have_url(re.compile(r"status=repair"))
        in_repair = total(page)
        assert in_repair >= 2
        statuses = page.get_by_test_id("device-list").locator("td[data-label=Status]").all_inner_texts()
        assert statuses and set(statuses) == {"in Reparatur"}
        look_at(page, "device-lists-supporter devices in repair 1366")

        boxes = page.get_by_test_id("device-list").locator("input[name=ids]")
        serials = [page.get_by_test_id("device-list").locator("tbody tr").nth(i).locator("code").inner_text()
                   for i in range(2)]
        boxes.nth(0).check()
        boxes.nth(1).check()
        bulk = page.get_by_test_id("device-bulk")
        bulk.locator("select[name=status]").select_option(label="im Lager")
        bulk.get_by_role("button", name="Status setzen").click()
        expect(page.get_by_test_id("bulk-result")).to_have_text("2 Geräte geändert")
        assert total(page) == in_repair - 2
        for serial in serials:
            expect(page.get_by_test_id("device-list")).not_to_contain_text(serial)
        page.goto("/devices?q=" + serials[0])
        expect(page.get_by_test_id("device-list").locator("td[data-label=Status]")).to_have_text("im Lager")

        # "select all on this page" ticks every row; a lent device among them blocks, naming it
        page.goto("/devices?status=lent&sort=serial")
        page.get_by_test_id("select-all").check()
        assert page.locator("input[name=ids]:checked").count() == page.locator("input[name=ids]").count() > 0
        page.get_by_test_id("device-bulk").get_by_role("button", name="Status setzen").click()
        expect(page.get_by_test_id("bulk-errors")).to_contain_text("Es wurde nichts geändert")
        look_at(page, "device-lists-supporter bulk refused 1366")


def test_school_contact_returns_a_class_at_phone_width(server: str) -> None:
    with chromium() as browser:
        page = page_as(browser, server, "school", PHONE)
        page.goto("/loans?state=open")
        class_name = page.locator("td[data-label=Klasse]").first.inner_text().strip()
        assert class_name and class_name != "–"
        page.get_by_test_id("class-return-link").click()
        page.locator("input[name=class_name]").fill(class_name)
        page.get_by_role("button", name="Offene Ausleihen zeigen").click()
        loans = page.get_by_test_id("class-loans").locator("input[name=ids]")
        count = loans.count()
        assert count >= 1 and page.locator("input[name=ids]:checked").count() == 0  # ticked as they come back
        look_at(page, "device-lists-school class return 390")
        page.get_by_role("button", name="Rückgaben erfassen").click()
        expect(page.get_by_test_id("return-errors")).to_contain_text("Bitte die Geräte anhaken")
        look_at(page, "device-lists-school class return nothing ticked 390")
        page.get_by_label("Alle der Klasse anhaken").check()
        assert page.locator("input[name=ids]:checked").count() == count
        # A day before the devices were lent: refused, each ticked row marked with its reason, the ticks kept.
        returned_on = page.locator("input[name=returned_on]")
        today = returned_on.input_value()
        returned_on.fill("2000-01-01")
        page.get_by_role("button", name="Rückgaben erfassen").click()
        expect(page.get_by_test_id("blocked-loan")).to_have_count(count)
        expect(page.get_by_test_id("blocked-loan").first).to_contain_text("Rückgabe vor der Ausgabe")
        assert page.locator("input[name=ids]:checked").count() == count
        page.get_by_test_id("return-errors").get_by_role("link", name="Angehakte Geräte").click()
        expect(page.locator("#field-ids")).to_be_focused()  # the first row that blocks it
        expect(page.locator("#field-ids")).to_be_in_viewport()
        look_at(page, "device-lists-school class return refused 390")
        page.locator("input[name=returned_on]").fill(today)
        page.locator("textarea[name=condition_in]").fill("vollständig, ohne Schäden")
        page.get_by_role("button", name="Rückgaben erfassen").click()
        expect(page).to_have_url(re.compile(r"/loans\?state=returned"))
        look_at(page, "device-lists-school class returned 390")
        page.goto(f"/loans/return?class_name={class_name}")
        expect(page.get_by_test_id("no-class-loans")).to_be_visible()


@pytest.mark.parametrize("role", ["admin", "supporter", "authority", "school"])
def test_device_list_and_class_return_as_each_role(server: str, role: str) -> None:
    for name, page in pages_at_both_widths(server, role):
        page.goto("/devices")
        expect(page.get_by_test_id("device-list")).to_be_visible()
        assert total(page) > 0
        look_at(page, f"device-lists-{role} devices {name}")
        if role != "authority":  # authorities do not lend or return
            page.goto("/loans/return?class_name=7b")
            look_at(page, f"device-lists-{role} class return page {name}")
