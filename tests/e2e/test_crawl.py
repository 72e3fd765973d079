"""In Chromium, as each role on the demo data: follow every link of the role's navigation and the links
on those pages, one page per kind of address (`/schools/12` and `/schools/40` are one kind), and fail on
any 4xx or 5xx answer and on any serious or critical axe-core violation.

Bounded: at most MAX_PAGES pages per role and MAX_SECONDS per role, two levels from the navigation. One
server for the module (`schoolit serve` on a free loopback port, the demo data and one person per role),
which also serves the admin's CSV import in the browser: a file with a bad row, checked, fixed, imported.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import (
    ROLE_USERS,
    WIDE,
    axe_violations,
    chromium,
    page_as,
    shot,
)

MAX_PAGES = 40
MAX_SECONDS = 75
DEPTH = 2
# Addresses a crawler must not open: they act (log out) or leave the HTML pages (files, the API, languages).
SKIP = re.compile(r"^/(logout|language/|api/|static/|metrics|health|tickets/attachments/)|\.(csv|json|pdf)$")


def kind_of(href: str) -> str:
    """The kind of an address: numbers in the path as {id}, its query's names and word values."""
    parts = urlsplit(href)
    path = re.sub(r"/\d+(?=/|$)", "/{id}", parts.path)
    # A query value that is a word (a tab, a view, a state) makes a page of its own; numbers do not.
    keys = sorted({key if value.isdigit() or not value else f"{key}={value}" for key, value in parse_qsl(parts.query)
                   if key not in ("offset", "page", "loan_page")})
    return path + ("?" + "&".join(keys) if keys else "")


def local_links(page: Page) -> list[str]:
    # Files to download (a list's CSV: `download`, `?format=csv`) are no pages to visit.
    hrefs = page.eval_on_selector_all("a[href]:not([download])", "els => els.map(e => e.getAttribute('href'))")
    found = []
    for href in hrefs:
        if not href or href.startswith(("#", "mailto:", "http:", "https:", "//")):
            continue
        href = href.split("#", 1)[0]
        parts = urlsplit(href)
        if href.startswith("/") and not SKIP.search(parts.path) and "format=csv" not in parts.query:
            found.append(href)
    return found


def crawl(page: Page, role: str) -> tuple[list[str], list[str]]:
    """Visit the role's pages breadth first; returns the visited addresses and the problems found."""
    page.goto("/")
    nav = page.eval_on_selector_all("header nav a[href]", "els => els.map(e => e.getAttribute('href'))")
    queue: list[tuple[str, int]] = [("/", 0)] + [(href, 1) for href in nav]
    seen_kinds: set[str] = set()
    visited: list[str] = []
    problems: list[str] = []
    deadline = time.monotonic() + MAX_SECONDS
    while queue and len(visited) < MAX_PAGES and time.monotonic() < deadline:
        href, depth = queue.pop(0)
        kind = kind_of(href)
        if kind in seen_kinds:
            continue
        seen_kinds.add(kind)
        response = page.goto(href)
        visited.append(href)
        status = response.status if response else 0
        if status >= 400:
            problems.append(f"{role} {href}: HTTP {status}")
            continue
        page.wait_for_load_state("networkidle")
        for violation in axe_violations(page):
            problems.append(f"{role} {href}: axe {violation['id']} ({violation['impact']}): {violation['help']} "
                            f"at {violation['nodes'][:2]}")
        if depth < DEPTH:
            queue += [(link, depth + 1) for link in local_links(page)]
    return visited, problems


@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_every_page_of_the_role_answers_and_passes_axe(server: str, role: str) -> None:
    with chromium() as browser:
        page = page_as(browser, server, role, WIDE)
        page.wait_for_url(re.compile(r"/$"))
        visited, problems = crawl(page, role)
    assert len(visited) >= 5, visited
    assert not problems, "\n".join(problems)


def test_anonymous_pages_answer_and_pass_axe(server: str) -> None:
    with chromium() as browser:
        page = page_as(browser, server, None, WIDE)
        problems = []
        for href in ("/", "/login", "/report"):
            response = page.goto(href)
            assert response is not None and response.status == 200, href
            problems += [f"{href}: {v['id']} {v['nodes'][:2]}" for v in axe_violations(page)]
        page.goto("/")
        assert page.get_by_test_id("report-link").get_attribute("href") == "/report"
    assert not problems, "\n".join(problems)


BAD_ROOMS = ("Schulnummer;Gebäude;Raum;Etage;Unterrichtsraum\n"
             "51600;Erweiterung;Z 9.91;3;ja\n"
             "99999;Erweiterung;Z 9.92;3;ja\n")


def test_admin_imports_a_csv_with_a_bad_row_fixes_it_and_commits(server: str) -> None:
    with chromium() as browser:
        page = page_as(browser, server, "admin", WIDE)
        page.get_by_role("link", name="CSV-Import").click()
        page.get_by_label("Die Datei enthält").select_option("rooms")
        page.get_by_label("CSV-Datei").set_input_files(
            files=[{"name": "raeume.csv", "mimeType": "text/csv", "buffer": BAD_ROOMS.encode()}])
        page.get_by_role("button", name="Datei prüfen").click()
        expect(page.get_by_test_id("error-row-3")).to_contain_text("Schulnummer")
        expect(page.get_by_test_id("import-result")).to_contain_text("es wurde nichts geschrieben")
        expect(page.get_by_test_id("import-commit")).to_have_count(0)
        assert not [v["id"] for v in axe_violations(page)]

        page.get_by_label("CSV-Datei").set_input_files(files=[{
            "name": "raeume.csv", "mimeType": "text/csv", "buffer": BAD_ROOMS.replace("99999", "51600").encode()}])
        page.get_by_label("Die Datei enthält").select_option("rooms")
        page.get_by_role("button", name="Datei prüfen").click()
        expect(page.get_by_test_id("import-result")).to_contain_text("würde 2 anlegen")
        page.get_by_role("button", name="Jetzt importieren").click()
        expect(page.get_by_test_id("import-result")).to_contain_text("2 Zeilen importiert: 2 angelegt")
        shot(page, "admin-import")
