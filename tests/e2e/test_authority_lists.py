"""In Chromium: a school authority logs in, opens its county dashboard, goes to the schools list, filters
it, sorts it by clicking a column header (and again, descending), and downloads the CSV of the list:
its rows are the rows the page shows, in the same order. The list also works at 390 px without sideways
scrolling, and axe-core finds no serious or critical violation (shared list view, schoolit/lists.py).
"""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import Page, expect

from tests.e2e.support import (
    PHONE,
    WIDE,
    assert_accessible,
    chromium,
    horizontal_overflow,
    page_as,
    shot,
)


def shown_rows(page: Page) -> list[list[str]]:
    """The cell texts of the list's rows as the page shows them."""
    return page.locator(".table-box tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))")


def test_authority_filters_sorts_and_downloads_the_schools_list(server: str) -> None:
    with chromium() as browser:
        page = page_as(browser, server, "authority", WIDE, accept_downloads=True)
        page.get_by_role("link", name="Kennzahlen").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Kennzahlen")
        page.get_by_role("link", name="Schulen", exact=True).click()
        expect(page.get_by_role("heading", name="Schulen", exact=True)).to_be_visible()

        page.get_by_label("Schulart").select_option(label="Gymnasium")
        page.get_by_role("button", name="Filtern").click()
        expect(page).to_have_url(re.compile(r"school_type=gymnasium"))
        page.get_by_role("link", name="Ort", exact=True).click()
        expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Ort")
        # again: descending (the link's name says how the list is sorted now)
        page.get_by_role("link", name="Ort (aufsteigend sortiert)", exact=True).click()
        header = page.locator("th[aria-sort=descending]")
        expect(header).to_contain_text("Ort")
        expect(header).to_contain_text("absteigend sortiert", use_inner_text=False)
        assert "school_type=gymnasium" in page.url and "sort=-city" in page.url
        rows = shown_rows(page)
        assert len(rows) >= 2
        cities = [row[2] for row in rows]
        assert cities == sorted(cities, key=str.lower, reverse=True)
        range_text = page.get_by_test_id("list-range").inner_text()
        assert range_text == f"1–{len(rows)} von {len(rows)}", range_text
        assert_accessible(page, "schools list (authority, 1366 px)")
        shot(page, "authority-schools-1366")

        with page.expect_download() as download_info:
            page.get_by_test_id("list-csv").click()
        download = download_info.value
        assert download.suggested_filename == "schulen.csv"
        text = download.path().read_bytes().decode("utf-8-sig")
        lines = list(csv.reader(io.StringIO(text), delimiter=";"))
        headers = page.locator(".table-box thead th").evaluate_all(
            "cells => cells.map(c => c.querySelector('a') ? c.querySelector('a').childNodes[0].textContent.trim()"
            " : c.innerText.trim())")
        assert lines[0] == [*headers[:2], "Schulart", *headers[2:]]
        file_rows = lines[1:]
        assert [r[0] for r in file_rows] == [r[0] for r in rows]  # school numbers, in the page's order
        assert [r[3] for r in file_rows] == cities
        assert all(r[2] == "Gymnasium" for r in file_rows)

        page.set_viewport_size(PHONE)
        page.reload()
        page.wait_for_load_state("networkidle")
        assert horizontal_overflow(page) == 0, "the schools list scrolls sideways at 390 px"
        assert_accessible(page, "schools list (authority, 390 px)")
        shot(page, "authority-schools-390")
