"""In Chromium, as each role that sees them, at 1366 px and 390 px: lists keep to the width of the page.

One long value (a pasted URL as a ticket's subject) wraps instead of pushing the queue's other columns off
the screen; the screen-reader text of a sorted column ("(aufsteigend sortiert)") never widens the page; the
school page's network tab shows its tables as cards on a phone, as the other lists do; a pill ("in Betrieb")
never wraps inside; an empty list shows its empty-state text without a CSV link or pager.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.support import (
    PHONE,
    WIDE,
    chromium,
    horizontal_overflow,
    logged_in_pages,
    look_at,
    page_as,
    pages_at_both_widths,
)

SCHOOL_NUMBER = "51600"  # Donnersbergkreis: the supporter's arrangement, the authority's county, the contact's school
WIDE_UPLINK = "51602"  # fibre to the building, gigabit symmetric: its uplink row has the most to show
# 200 characters without a space: a pasted link with a log line behind it.
LONG_SUBJECT = ("https://portal.schule.example/support/protokoll?zeile=" + "Verbindungsabbruch" * 10)[:200]


def report_long_subject(server: str) -> None:
    """A teacher reports a fault on the public form with LONG_SUBJECT as its subject."""
    with chromium() as browser:
        page = page_as(browser, server, None, WIDE)
        page.goto(f"/report?school={SCHOOL_NUMBER}")
        page.get_by_label("Kategorie").select_option(label="WLAN/Netzwerk")
        page.locator("input[name=subject]").fill(LONG_SUBJECT)
        page.fill("textarea[name=description]", "Im Protokoll steht nur diese eine Zeile.")
        page.fill("input[name=email]", "lehrkraft@schule.example")
        page.check("input[name=consent]")
        page.get_by_role("button", name="Meldung absenden").click()
        expect(page.get_by_test_id("ticket-number")).to_be_visible()


def right_edge(locator: Any) -> float:
    box = locator.bounding_box()
    assert box is not None, locator
    return float(box["x"] + box["width"])


def assert_one_line_pills(page: Any, where: str) -> None:
    """Every pill on the page is one line high (a pill that wraps is about twice its font size high)."""
    tall = page.locator(".badge").evaluate_all("""els => els.filter(e => e.offsetParent !== null).filter(e =>
        e.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(e).fontSize)).map(e => e.innerText)""")
    assert not tall, f"{where}: pills wrapped inside: {tall}"


def test_a_long_subject_wraps_and_the_due_column_stays_on_screen(server: str) -> None:
    report_long_subject(server)
    for role in ("supporter", "authority"):
        for width, page in pages_at_both_widths(server, role):
            # the default sort, and sorted by the last column (its hidden "sorted" text at the far right)
            for path in ("/tickets", "/tickets?sort=due"):
                page.goto(path)
                row = page.locator("#queue-rows tbody tr", has_text=LONG_SUBJECT[:40])
                expect(row).to_have_count(1)
                assert horizontal_overflow(page) == 0, (role, width, path)
                due = row.locator("td[data-label='Fällig']")
                expect(due).to_be_visible()
                assert right_edge(due) <= page.viewport_size["width"], (role, width, path, due.bounding_box())
                if width == "1366":
                    box = page.locator("#queue-rows .table-box")
                    assert box.evaluate("b => b.scrollWidth <= b.clientWidth"), (role, path, "the queue scrolls")
                    assert right_edge(page.locator("#queue-rows th", has_text="Fällig")) <= right_edge(box)
                assert_one_line_pills(page, f"{role} {width} {path}")
            look_at(page, f"list-layout-{role}-{width}-long-subject")


def test_sorting_the_school_list_never_widens_the_page_on_a_phone(server: str) -> None:
    """Each sortable column of /schools, one way and then the other, at 390 px, as every role that has the
    list."""
    for role in ("admin", "supporter", "authority", "school"):
        for _width, page in logged_in_pages(server, role, {"390": PHONE}):
            page.goto("/schools")
            sorts = page.locator("th a.sort").evaluate_all("links => links.map(a => a.getAttribute('href'))")
            assert len(sorts) >= 5, (role, sorts)
            for href in sorts:
                page.goto(href)
                sorted_by = page.locator("th[aria-sort=ascending], th[aria-sort=descending]")
                expect(sorted_by).to_have_count(1)
                direction = sorted_by.get_attribute("aria-sort")
                assert horizontal_overflow(page) == 0, (role, href, direction)
                sorted_by.locator("a.sort").click()  # and the other way round
                toggled = "descending" if direction == "ascending" else "ascending"
                expect(page.locator(f"th[aria-sort={toggled}]")).to_have_count(1)
                assert horizontal_overflow(page) == 0, (role, page.url, toggled)


def school_page(page: Any, number: str) -> str:
    """The address of a school's page, as the role finds it in the school list."""
    page.goto(f"/schools?q={number}")
    href = page.locator(".table-box tbody a").first.get_attribute("href")
    assert href and re.fullmatch(r"/schools/\d+", href), href
    return href


def test_pills_never_wrap_inside(server: str) -> None:
    """"in Betrieb" in the uplink table of a school with a wide uplink row, the deadline pills of the queue."""
    for _width, page in logged_in_pages(server, "supporter", {"1366": WIDE}):
        page.goto(school_page(page, WIDE_UPLINK) + "?section=network")
        expect(page.locator("#uplink .badge").first).to_be_visible()
        assert_one_line_pills(page, "the network tab")
        page.goto("/tickets")
        expect(page.locator("#queue-rows .badge.sla-breached").first).to_be_visible()
        assert_one_line_pills(page, "the ticket queue")


def test_the_network_tab_turns_into_cards_on_a_phone(server: str) -> None:
    for role in ("admin", "supporter", "authority", "school"):
        for width, page in pages_at_both_widths(server, role):
            # the contact's own school; the others look at the one whose uplink table is the widest
            page.goto(school_page(page, SCHOOL_NUMBER if role == "school" else WIDE_UPLINK) + "?section=network")
            expect(page.get_by_test_id("network-status")).to_be_visible()  # loaded by htmx
            for table in ("uplinks", "access-points", "network-status"):
                found = page.get_by_test_id(table)
                cells = found.locator("tbody tr").first.locator("td[data-label]")
                assert cells.count() >= 5, (role, table)
                if width == "390":
                    expect(found.locator("thead")).to_be_hidden()  # each row a card, each value with its name
                    for i in range(cells.count()):
                        assert right_edge(cells.nth(i)) <= PHONE["width"], (role, table, cells.nth(i).inner_text())
                else:
                    expect(found.locator("thead")).to_be_visible()
            mac = page.get_by_test_id("access-points").locator("tbody tr").first.locator("code").nth(1)
            assert re.fullmatch(r"[0-9a-f:]{17}", mac.inner_text()), mac.inner_text()
            assert right_edge(mac) <= page.viewport_size["width"], (role, width, "the MAC address is cut")
            assert_one_line_pills(page, f"{role} {width} network tab")
            look_at(page, f"list-layout-{role}-{width}-network")


def test_an_empty_list_shows_its_text_without_csv_link_or_pager(server: str) -> None:
    for width, page in pages_at_both_widths(server, "supporter"):
        page.goto("/tickets?view=mine")  # the supporter has claimed nothing
        expect(page.get_by_text("Keine passenden Tickets.")).to_be_visible()
        expect(page.get_by_test_id("list-csv")).to_have_count(0)
        expect(page.get_by_test_id("list-range")).to_have_count(0)
        expect(page.locator("nav.list-pager")).to_have_count(0)
        look_at(page, f"list-layout-supporter-{width}-empty-queue")
