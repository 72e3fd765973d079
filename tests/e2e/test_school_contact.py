"""In Chromium at phone width (390 px), a school contact's day on the demo data: the start page with its
"Störung melden" button and the loans due; the fault form with their school and name filled in; their
school's ticket list, where the ticket they reported is theirs ("Von mir gemeldet"); a ticket of their
school; lending a device from the loan list (a scanned serial opens its lend form), the loan agreement and
its print view; returning the device. No page of theirs scrolls sideways, and axe-core finds no serious or
critical violation on any of them.

Runs `schoolit serve` on a free loopback port against a fresh database with the demo data and one person
per role. Screenshots go to tests/e2e/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.support import (
    PHONE,
    ROLE_USERS,
    WIDE,
    assert_accessible,
    chromium,
    horizontal_overflow,
    menu_link,
    page_as,
    shot,
)

EMAIL, NAME, _ = ROLE_USERS["school"]


def check(page: Page, what: str) -> None:
    """The page fits the phone's width and passes axe-core; a screenshot for people to look at."""
    page.wait_for_load_state("networkidle")
    assert horizontal_overflow(page) == 0, f"{what} scrolls sideways at 390 px"
    assert_accessible(page, what)
    shot(page, "school-" + re.sub(r"\W+", "-", what))


def test_report_lend_print_and_return_at_phone_width(server: str) -> None:
    with chromium() as browser:
        page = page_as(browser, server, "school", PHONE)
        expect(page.get_by_test_id("start-loans")).to_be_visible()
        expect(page.get_by_test_id("start-school-tickets")).to_be_visible()
        check(page, "start page")

        page.get_by_test_id("start-report").click()
        expect(page.get_by_role("heading", name="Störung melden")).to_be_visible()
        assert page.locator("input[name=school_number]").input_value() == "51600"
        assert page.locator("input[name=name]").input_value() == NAME
        assert page.locator("input[name=email]").input_value() == EMAIL
        assert page.locator("select[name=category_id]").input_value() == ""
        check(page, "fault form")
        page.get_by_label("Kategorie").select_option(label="Endgerät")
        page.fill("textarea[name=description]", "Das Tablet im Klassensatz 7b lädt nicht mehr.")
        page.check("input[name=consent]")
        page.get_by_role("button", name="Meldung absenden").click()
        expect(page.get_by_test_id("ticket-number")).to_have_text(re.compile(r"SIT-\d{4}-\d{5}"))
        number = page.get_by_test_id("ticket-number").inner_text()

        # Their list: their school's tickets, those they reported among them; nothing of the supporters'
        # queue (tickets assigned to them, unassigned ones, counties, saved views).
        menu_link(page, "Tickets").click()
        expect(page.get_by_role("heading", name="Tickets unserer Schule")).to_be_visible()
        views = page.get_by_role("navigation", name="Ansichten").get_by_role("link")
        expect(views).to_have_text(["Offen", "Von mir gemeldet", "Alle, auch geschlossene"])
        expect(page.get_by_label("Landkreis")).to_have_count(0)
        expect(page.get_by_test_id("save-view")).to_have_count(0)
        views.get_by_text("Von mir gemeldet").click()
        expect(page.locator("#queue-rows tbody tr")).to_have_count(1)
        expect(page.locator("#queue-rows tbody")).to_contain_text(number)
        check(page, "tickets reported by me")

        page.goto("/")
        page.get_by_test_id("start-school-tickets").locator("li a").first.click()
        expect(page.get_by_test_id("status")).to_be_visible()
        check(page, "ticket")

        menu_link(page, "Meine Schule").click()  # their school's page, not a list of one
        page.get_by_test_id("tab-devices").click()
        check(page, "school page, devices and loans")

        # Lending starts where the loans are: the list's "Gerät ausleihen" offers the school's devices in
        # stock, and a scanned serial opens the lend form straight away.
        page.goto("/loans")
        check(page, "loans")
        page.get_by_test_id("lend-device").click()
        expect(page.get_by_role("heading", name="Gerät ausleihen")).to_be_visible()
        check(page, "lend a device from the loans")
        serial = page.get_by_test_id("lend-pick-devices").locator("tbody code").first.inner_text()
        page.get_by_test_id("lend-pick-q").fill(serial)
        page.get_by_test_id("lend-pick-q").press("Enter")
        expect(page).to_have_url(re.compile(r"/devices/\d+/lend$"))
        expect(page.locator("main")).to_contain_text(serial)
        check(page, "lend form")
        page.get_by_label("Schülerkennung").fill("7b-14")
        page.get_by_label("Klasse", exact=True).fill("7b")
        page.get_by_label("Zustand bei Ausgabe").fill("")  # not looked at: nothing to state on paper
        page.get_by_role("button", name="Ausleihen", exact=True).click()

        expect(page.get_by_role("heading", name="Leihvertrag über ein Schülerendgerät")).to_be_visible()
        expect(page.get_by_text("7b-14").first).to_be_visible()
        # No condition was recorded: a line to fill in by hand, never a condition nobody saw.
        expect(page.get_by_test_id("agreement-condition").get_by_test_id("fill-in").first).to_be_visible()
        expect(page.get_by_test_id("agreement")).not_to_contain_text("neuwertig")
        expect(page.locator("[data-action=print]")).to_be_visible()
        check(page, "agreement")
        page.emulate_media(media="print")
        expect(page.locator("[data-action=print]")).to_be_hidden()
        shot(page, "school-agreement-print")
        page.emulate_media(media="screen")

        page.get_by_role("link", name="Zurück zum Gerät").click()
        page.locator("main a[href$='/return']").first.click()
        expect(page.get_by_role("heading", name="Gerät zurücknehmen")).to_be_visible()
        check(page, "return form")
        page.get_by_role("button", name="Rückgabe erfassen").click()
        expect(page.locator("main")).to_contain_text("im Lager")
        check(page, "device after the return")


# The lines a link's text is set on (1: it does not wrap).
TEXT_LINES = """element => { const range = document.createRange(); range.selectNodeContents(element);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }"""


def test_report_a_fault_stays_one_line_in_the_top_bar(server: str) -> None:
    """"Störung melden" in the top bar of every page of a school contact (and a visitor's) keeps its words on
    one line beside the name and "Abmelden" at 390 px, without the page scrolling sideways, as at 1366 px."""
    with chromium() as browser:
        for width, viewport in (("390", PHONE), ("1366", WIDE)):
            visitor = page_as(browser, server, None, viewport)
            visitor.goto("/login")
            assert visitor.get_by_test_id("report-link").evaluate(TEXT_LINES) == 1, width
            visitor.close()
            page = page_as(browser, server, "school", viewport)
            for path in ("/", "/devices", "/tickets", "/report"):
                page.goto(path)
                link = page.get_by_test_id("report-link")
                expect(link).to_have_text("Störung melden")
                assert link.evaluate(TEXT_LINES) == 1, (width, path)
                assert horizontal_overflow(page) == 0, (width, path)
            page.goto("/")
            shot(page, f"school-report-link-{width}")
            page.close()


def test_boxes_keep_their_size_and_long_words_wrap_at_phone_width(server: str) -> None:
    """The fault form's consent box is a box a finger can tick, not a dot squeezed by its long label; a
    comment with a pasted link or a very long word wraps inside the ticket's history instead of making the
    page scroll sideways."""
    with chromium() as browser:
        page = page_as(browser, server, "school", PHONE)
        page.goto("/report")
        consent = page.locator("input[name=consent]").bounding_box()
        assert consent and consent["width"] >= 16 and consent["height"] >= 16, consent

        page.goto("/")
        page.get_by_test_id("start-school-tickets").locator("li a").first.click()
        link = "https://portal.schule.example/support/anleitungen/wlan/" + "ZugangsdatenFuerSchuelerTablets" * 4
        page.get_by_test_id("comment-body").fill(f"Siehe {link}\n{'x' * 400}")
        page.get_by_test_id("comment-submit").click()
        expect(page.get_by_text(link, exact=False)).to_be_visible()
        check(page, "ticket with a long link")
