"""In Chromium on the demo data, as each role that sees them, at 1366 px and 390 px: the warranty page's counts
and sums stand right-aligned in their columns (as `td.num` does elsewhere), and the class return's table of
open loans uses the width of the page at 1366 px while its fields keep a form's width; a return dated before
a device was lent is refused with that lend day. No sideways scrolling at 390 px, axe-core clean, a
screenshot each (tests/e2e/artifacts/, git-ignored).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.support import WIDE, look_at, pages_at_both_widths

# A cell's text ends this close to the cell's right padding when it is right-aligned (sub-pixel rounding).
EDGE = 1.5


def text_gaps(page: Any, cells: str) -> list[float]:
    """For each cell matching `cells`: how far its text ends before the cell's right padding."""
    return [float(gap) for gap in page.locator(cells).evaluate_all("""cells => cells.map(cell => {
        const range = document.createRange();
        range.selectNodeContents(cell);
        const right = cell.getBoundingClientRect().right - parseFloat(getComputedStyle(cell).paddingRight);
        return right - range.getBoundingClientRect().right;
    })""")]


@pytest.mark.parametrize("role", ["admin", "supporter", "authority", "school"])
def test_the_warranty_page_aligns_counts_and_sums_right(server: str, role: str) -> None:
    for name, page in pages_at_both_widths(server, role):
        page.goto("/warranty")
        plan = page.get_by_test_id("warranty-plan")
        expect(plan).to_be_visible()
        if page.viewport_size == WIDE:
            headers = plan.locator("thead th").all_inner_texts()
            assert headers[-3:] == ["Anzahl", "Ersatz fällig", "Summe"], headers
            rows = plan.locator("tbody tr").count()
            assert rows >= 1 and "Keine." not in plan.inner_text()
            for column in (len(headers) - 2, len(headers)):  # the count and the sum (nth-child counts from 1)
                gaps = text_gaps(page, f"[data-testid=warranty-plan] tbody td:nth-child({column})")
                assert len(gaps) == rows and max(gaps) < EDGE, (role, headers[column - 1], gaps)
                header_gap = text_gaps(page, f"[data-testid=warranty-plan] thead th:nth-child({column})")
                assert max(header_gap) < EDGE, (role, headers[column - 1], header_gap)
            # a label column stays left: the county's name does not end at its cell's right edge
            assert max(text_gaps(page, "[data-testid=warranty-plan] tbody td:nth-child(1)")) > 10
        look_at(page, f"inventory-tables-{role} warranty {name}")


def open_class_return(page: Any, role: str) -> str:
    """Open the class return of the class of the first open loan listed; its school is chosen where the
    caller sees several. Answers the class's name."""
    page.goto("/loans?state=open")
    row = page.locator("table.cards-on-phone tbody tr").first
    class_name = row.locator("td[data-label=Klasse]").inner_text().strip()
    assert class_name and class_name != "–"
    school = row.locator("td[data-label=Schule]").inner_text().strip() if role != "school" else ""
    page.get_by_test_id("class-return-link").click()
    if school:
        choice = page.locator("select[name=school_id]")
        option = choice.locator("option", has_text=school).first
        choice.select_option(value=option.get_attribute("value"))
    page.locator("input[name=class_name]").fill(class_name)
    page.get_by_role("button", name="Offene Ausleihen zeigen").click()
    expect(page.get_by_test_id("class-loans")).to_be_visible()
    return class_name


@pytest.mark.parametrize("role", ["supporter", "school"])
def test_the_class_return_table_uses_the_width_and_names_the_lend_day(server: str, role: str) -> None:
    for name, page in pages_at_both_widths(server, role):
        open_class_return(page, role)
        table = page.get_by_test_id("class-loans").bounding_box()
        main = page.locator("main").evaluate("""m => m.getBoundingClientRect().width
            - parseFloat(getComputedStyle(m).paddingLeft) - parseFloat(getComputedStyle(m).paddingRight)""")
        assert table is not None
        if page.viewport_size == WIDE:
            assert table["width"] >= 0.95 * main, (role, table["width"], main)
            note = page.locator("textarea[name=condition_in]").bounding_box()
            assert note is not None and note["width"] <= 32 * 16, note  # the fields keep a form's width
        look_at(page, f"inventory-tables-{role} class return {name}")
        # The return dated the day before the first lend day listed is refused with that lend day.
        lent = page.locator("[data-testid=class-loans] td[data-label='Ausgeliehen am']").first.inner_text().strip()
        early = dt.datetime.strptime(lent, "%d.%m.%Y").date() - dt.timedelta(days=1)
        page.locator("input[name=ids]").first.check()
        page.locator("input[name=returned_on]").fill(early.isoformat())
        page.get_by_role("button", name="Rückgaben erfassen").click()
        expect(page.get_by_test_id("return-errors")).to_contain_text(f"Rückgabe vor der Ausgabe ({lent})")
        look_at(page, f"inventory-tables-{role} class return refused {name}")
