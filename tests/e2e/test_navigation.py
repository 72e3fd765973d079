"""In Chromium on the demo data: at phone width (390 px) the main menu is a disclosure "Menü", closed at
first, opened by click or keyboard (Escape closes it), its entries then visible and the page still not wider
than the screen; a list's filters are a disclosure "Filter", closed unless a filter is set ("Filter (2 aktiv)",
open). At 1366 px both are as they were: every menu entry and every filter shown, no "Menü" or "Filter" to
open. axe-core finds nothing serious in either state. Screenshots: tests/e2e/artifacts/navigation-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator

from playwright.sync_api import Page, expect

from tests.e2e.support import (
    PHONE,
    WIDE,
    assert_accessible,
    horizontal_overflow,
    logged_in_pages,
    look_at,
    menu_link,
    shot,
)


def logged_in(server: str, role: str, viewport: dict[str, int]) -> Iterator[Page]:
    for _, page in logged_in_pages(server, role, {"": viewport}):
        yield page


def menu_entries(page: Page) -> list[str]:
    return page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link").all_inner_texts()


def test_the_main_menu_is_a_disclosure_on_a_phone(server: str) -> None:
    for page in logged_in(server, "school", PHONE):
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        nav = page.get_by_role("navigation", name="Hauptnavigation")
        toggle = nav.get_by_text("Menü")
        devices = nav.get_by_role("link", name="Geräte")
        expect(toggle).to_be_visible()
        expect(devices).to_be_hidden()  # closed at first: the page starts with its own content
        assert page.get_by_role("heading", level=1).bounding_box()["y"] < 200
        look_at(page, "navigation-menu-closed-390")
        toggle.click()
        for name in ("Meine Schule", "Geräte", "Ausleihen", "Tickets"):
            expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
        assert horizontal_overflow(page) == 0
        assert_accessible(page, "the open menu at 390 px")
        shot(page, "navigation-menu-open-390")
        devices.click()
        expect(page.get_by_role("heading", name="Geräte", exact=True)).to_be_visible()
        expect(page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Geräte")).to_be_hidden()
        # by keyboard: the summary is a control of its own; Enter opens, Escape closes and keeps the focus there
        summary = page.locator("details.menu > summary")
        summary.focus()
        page.keyboard.press("Enter")
        expect(page.locator("details.menu")).to_have_attribute("open", "")
        page.keyboard.press("Tab")
        page.keyboard.press("Escape")
        expect(page.locator("details.menu")).not_to_have_attribute("open", "")
        expect(summary).to_be_focused()


def test_a_school_contacts_menu_leads_to_their_school(server: str) -> None:
    """A school contact's scope is one school: "Meine Schule" opens its page (marked in the menu), where no
    link leads back to a list of that one school."""
    for width, page in logged_in_pages(server, "school", {"1366": WIDE, "390": PHONE}):
        menu_link(page, "Meine Schule").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Berufsbildende Schule Kirchheimbolanden")
        expect(page.get_by_test_id("school-tabs")).to_be_visible()
        assert re.fullmatch(r".*/schools/\d+", page.url), page.url
        nav = page.get_by_role("navigation", name="Hauptnavigation")
        expect(nav.locator("a[aria-current=page]")).to_have_count(1)
        expect(nav.locator("a[aria-current=page]")).to_have_text("Meine Schule")
        expect(nav.get_by_role("link", name="Schulen", exact=True)).to_have_count(0)
        expect(page.locator("main a[href='/schools']")).to_have_count(0)
        look_at(page, f"navigation-my-school-{width}")


def test_the_main_menu_stays_a_row_of_links_on_a_wide_screen(server: str) -> None:
    for page in logged_in(server, "supporter", WIDE):
        expect(page.locator("details.menu > summary")).to_be_hidden()
        entries = menu_entries(page)
        assert "WLAN-Controller" in entries and "Tickets" in entries
        for name in entries:
            expect(page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
                "link", name=name, exact=True)).to_be_visible()
        look_at(page, "navigation-menu-1366")


def test_without_details_content_styling_the_script_opens_menu_and_filters_on_a_wide_screen(server: str) -> None:
    """Firefox before 143 (ESR 140) and Safari before 18.4 cannot style ::details-content: there app.js
    opens the disclosures wider than a phone. This Chromium is told it cannot either."""
    for page in logged_in(server, "supporter", WIDE):
        page.add_init_script("""(() => { const supports = CSS.supports.bind(CSS);
            CSS.supports = (...args) => !String(args[0]).includes("details-content") && supports(...args); })()""")
        page.goto("/devices")
        expect(page.locator("html.disclosures-opened")).to_have_count(1)
        expect(page.locator("details.menu")).to_have_attribute("open", "")
        expect(page.get_by_test_id("filter-box")).to_have_attribute("open", "")
        expect(page.locator("details.menu > summary")).to_be_hidden()
        expect(page.get_by_test_id("filter-box").locator("summary")).to_be_hidden()
        nav = page.get_by_role("navigation", name="Hauptnavigation")
        expect(nav.get_by_role("link", name="Tickets")).to_be_visible()
        expect(page.locator("form.filters")).to_be_visible()
        look_at(page, "navigation-fallback-1366")
        page.set_viewport_size(PHONE)  # narrower: the phone's layout (the script only ever opens)
        expect(page.locator("html.disclosures-opened")).to_have_count(0)
        expect(page.locator("details.menu > summary")).to_be_visible()
        look_at(page, "navigation-fallback-390")


def test_list_filters_are_folded_on_a_phone_unless_set(server: str) -> None:
    for page in logged_in(server, "supporter", PHONE):
        page.goto("/devices")
        box = page.get_by_test_id("filter-box")
        form = page.get_by_test_id("device-filters")
        expect(box.locator("summary")).to_have_text("Filter")
        expect(form).to_be_hidden()
        expect(page.get_by_test_id("device-list")).to_be_in_viewport()  # the first result on the first screen
        look_at(page, "navigation-filters-closed-390")
        box.locator("summary").click()
        expect(form.locator("select[name=status]")).to_be_visible()
        form.locator("select[name=status]").select_option(label="in Reparatur")
        form.get_by_role("button", name="Filtern").click()
        expect(box.locator("summary")).to_have_text("Filter (1 aktiv)")
        expect(form.locator("select[name=status]")).to_be_visible()  # set filters are shown
        page.goto("/loans?state=open")
        expect(page.get_by_test_id("filter-box").locator("summary")).to_have_text("Filter")
        expect(page.get_by_test_id("loans-print")).to_be_visible()  # printing is not behind the folded filters
        page.goto("/loans?state=open&q=S600")  # a tab is no filter, the search is one
        expect(page.get_by_test_id("filter-box").locator("summary")).to_have_text("Filter (1 aktiv)")
        look_at(page, "navigation-filters-open-390")


def test_the_next_page_of_a_long_list_is_on_the_first_screen_of_a_phone(server: str) -> None:
    """/loans shows 100 loans a page, as cards on a phone: the next page is linked above them, not only
    in the pager below the hundredth card."""
    for page in logged_in(server, "school", PHONE):
        page.goto("/loans?state=open")
        expect(page.get_by_test_id("list-range")).to_contain_text("1–100 von")
        expect(page.get_by_test_id("list-next")).to_be_in_viewport()
        page.get_by_test_id("list-next").click()
        expect(page.get_by_test_id("list-range")).to_contain_text("101–")
        look_at(page, "navigation-loans-page-2-390")


def test_list_filters_are_shown_as_they_are_on_a_wide_screen(server: str) -> None:
    for page in logged_in(server, "supporter", WIDE):
        for path in ("/devices", "/schools", "/loans", "/access-points", "/tickets"):
            page.goto(path)
            expect(page.get_by_test_id("filter-box").locator("summary")).to_be_hidden()
            expect(page.locator("form.filters")).to_be_visible()
            expect(page.locator("form.filters").get_by_role("button", name="Filtern")).to_be_visible()
        look_at(page, "navigation-filters-1366")
