"""In Chromium on the demo data: the access point's edit form, derived from its description, has the
mounting location (Montageort); a supporter fills it in and it is saved. A refused form — the new access
point sent empty on a phone, one with a bad MAC and management address at 1366 px, the uplink's — comes back
swapped in place with its error summary ("Bitte korrigieren: …") in the window and focused, each of its links
moving the focus to its field; a browser without JavaScript lands at the summary too. The forms as each role
that may edit access points, at 1366 and 390 px — no sideways scrolling at 390 px, no serious or critical
axe-core violation, a screenshot each (tests/e2e/artifacts/, git-ignored).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.support import (
    PHONE,
    WIDE,
    chromium,
    look_at,
    page_as,
    pages_at_both_widths,
)


def first_access_point_form(page: Page) -> str:
    """The edit form of the first access point of the first school the caller sees."""
    page.goto("/schools")
    schools = page.eval_on_selector_all("a[href^='/schools/']", "els => els.map(e => e.getAttribute('href'))")
    school = next(href for href in schools if re.fullmatch(r"/schools/\d+", href))
    page.goto(f"{school}?section=network")
    aps = page.eval_on_selector_all("a[href^='/access-points/']", "els => els.map(e => e.getAttribute('href'))")
    return next(href for href in aps if re.fullmatch(r"/access-points/\d+", href)) + "/edit"


@pytest.mark.parametrize("role", ["admin", "supporter"])  # school contacts may not edit access points
def test_mounting_location_in_the_access_point_form(server: str, role: str) -> None:
    for name, page in pages_at_both_widths(server, role):
        form = first_access_point_form(page)
        page.goto(form)
        field = page.get_by_label("Montageort")
        expect(field).to_be_visible()
        look_at(page, f"access-point-form {role} {name}")
        if role == "supporter" and name == "1366":
            field.fill("Decke über der Tür")
            page.get_by_role("button", name=re.compile("Speichern")).click()
            page.wait_for_url(re.compile(r"/access-points/\d+(#.*)?$"))
            page.goto(form)
            expect(page.get_by_label("Montageort")).to_have_value("Decke über der Tür")


def first_school(page: Page) -> str:
    """The page of the first school the caller sees."""
    page.goto("/schools")
    schools = page.eval_on_selector_all("a[href^='/schools/']", "els => els.map(e => e.getAttribute('href'))")
    return next(href for href in schools if re.fullmatch(r"/schools/\d+", href))


def refused_at_the_button(page: Page) -> Locator:
    """Send the opened form from its "Speichern" button, far down the page; the error summary that comes back
    is in the window and has the focus (where the reader is taken). The summary."""
    page.get_by_role("button", name="Speichern").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("Bitte korrigieren:")
    return summary


def links_lead_to_their_fields(page: Page, summary: Locator) -> list[str]:
    """Each link of the summary moves the focus to its field, which is then in the window; the fields' names."""
    names = []
    for i in range(summary.get_by_role("link").count()):
        link = summary.get_by_role("link").nth(i)
        field = page.locator(link.get_attribute("href") or "")
        link.click()
        expect(field).to_be_focused()
        expect(field).to_be_in_viewport()
        names.append(field.get_attribute("name") or "")
        summary.scroll_into_view_if_needed()
    return names


@pytest.mark.parametrize("role", ["admin", "supporter"])
def test_a_refused_form_shows_its_summary_where_the_reader_is(server: str, role: str) -> None:
    for name, page in pages_at_both_widths(server, role):
        school = first_school(page)
        page.goto(f"{school}/access-points/new")
        if name == "390":  # sent empty on a phone: the serial or MAC is missing
            summary = refused_at_the_button(page)
            assert page.evaluate("() => window.scrollY") < 400  # taken up from the button
            look_at(page, f"access-point-form refused {role} {name}")
            assert "serial" in links_lead_to_their_fields(page, summary)
        else:  # a bad MAC and management address, typed in
            page.get_by_label("Seriennummer").fill("APNEU4711")
            page.get_by_label("MAC-Adresse").fill("00:1a:zz")
            page.get_by_label("Management-IP").fill("10.999.0.1")
            summary = refused_at_the_button(page)
            expect(summary).to_contain_text("keine IP-Adresse")
            look_at(page, f"access-point-form refused {role} {name}")
            assert links_lead_to_their_fields(page, summary) == ["mac", "management_ip"]
            expect(page.get_by_label("Seriennummer")).to_have_value("APNEU4711")  # what was typed stays
        page.goto(f"{school}/uplinks/new")
        summary = refused_at_the_button(page)
        look_at(page, f"uplink-form refused {role} {name}")
        assert links_lead_to_their_fields(page, summary)


def test_without_javascript_the_refused_form_lands_at_its_summary(server: str) -> None:
    with chromium() as browser:
        for viewport in (PHONE, WIDE):
            page = page_as(browser, server, "supporter", viewport, java_script_enabled=False)
            page.goto(f"{first_school(page)}/access-points/new")
            page.get_by_role("button", name="Speichern").click()
            summary = page.locator("[data-error-summary]")
            expect(summary).to_be_focused()  # its autofocus, with no script
            expect(summary).to_be_in_viewport()
            expect(summary).to_contain_text("Seriennummer")
            page.close()
