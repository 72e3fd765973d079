"""In Chromium on the demo data: the access point's edit form, derived from its description, has the
mounting location (Montageort); a supporter fills it in and it is saved. The form as each role that may
edit access points, at 1366 and 390 px — no sideways scrolling at 390 px, no serious or critical
axe-core violation, a screenshot each (tests/e2e/artifacts/, git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import (
    look_at,
    pages_at_both_widths,
    role_server,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with role_server(tmp_path_factory.mktemp("access-point-form")) as base:
        yield base


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
