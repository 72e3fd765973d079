"""In Chromium, a supporter's day on the demo data: the start page lists their queue; they write a text
module with placeholders, open an unassigned ticket from the start page, claim it, follow its links,
insert the text module into a comment (placeholders filled in for the ticket), log time and resolve it
with the status control (allowed changes only, in the workflow's order, none preselected). axe-core
checks every page on the way.

Runs `schoolit serve` on a free loopback port against a fresh database with the demo data and one person
per role. Screenshots go to tests/e2e/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.support import (
    ROLE_USERS,
    WIDE,
    assert_accessible,
    chromium,
    page_as,
    shot,
)

MODULE_BODY = "Guten Tag {name}, der Access Point an der {schule} ist neu gestartet ({ticket})."


def test_claim_comment_with_text_module_log_time_resolve(server: str) -> None:
    with chromium() as browser:
        page = page_as(browser, server, "supporter", WIDE)
        expect(page.get_by_test_id("start-unassigned")).to_be_visible()
        expect(page.get_by_test_id("start-mine")).to_contain_text("Ihnen ist kein Ticket zugewiesen.")
        expect(page.get_by_test_id("start-outages")).to_be_visible()
        assert_accessible(page, "the supporter's start page")
        shot(page, "supporter-1-start")

        page.get_by_role("link", name="Textbausteine").click()
        form = page.get_by_test_id("new-text-module")
        form.get_by_label("Titel").fill("Neustart")
        form.get_by_label("Text").fill(MODULE_BODY)
        form.get_by_role("button", name="Hinzufügen").click()
        expect(page.get_by_test_id("text-module")).to_have_count(1)
        assert_accessible(page, "the text modules page")

        page.goto("/")
        first = page.get_by_test_id("start-unassigned").locator("li a").first
        number = first.inner_text()
        first.click()
        expect(page.get_by_role("heading", name=re.compile(number))).to_be_visible()
        page.get_by_test_id("claim").click()
        expect(page.get_by_test_id("assignee")).to_have_text(ROLE_USERS["supporter"][1])
        school_link = page.get_by_test_id("school-link")
        school = school_link.inner_text()
        assert re.fullmatch(r"/schools/\d+", school_link.get_attribute("href") or "")
        expect(page.get_by_test_id("reporter-history")).to_be_visible()
        # The status control: the allowed changes in the workflow's order, and no change chosen yet.
        status = page.get_by_test_id("status-select")
        assert status.input_value() == ""
        options = status.locator("option").evaluate_all("els => els.map(e => e.value)")
        order = ["", "new", "assigned", "in_progress", "waiting", "resolved", "closed"]
        assert options == sorted(options, key=order.index) and "resolved" in options, options

        page.get_by_test_id("text-module-select").select_option(label="Neustart")
        page.get_by_test_id("text-module-insert").click()
        text = page.get_by_test_id("comment-body").input_value()
        assert f"an der {school} ist neu gestartet ({number})" in text, text
        assert "{" not in text, text
        assert_accessible(page, "the ticket page")
        page.get_by_test_id("comment-submit").click()
        expect(page.locator(".timeline")).to_contain_text(f"ist neu gestartet ({number})")

        page.get_by_test_id("time-minutes").fill("25")
        page.get_by_role("button", name="Zeit erfassen").click()
        expect(page.get_by_text("25 Minuten erfasst")).to_be_visible()

        page.get_by_test_id("status-select").select_option("resolved")
        page.get_by_test_id("set-status").click()
        expect(page.get_by_test_id("status")).to_have_text("Gelöst")
        shot(page, "supporter-2-resolved")

        # The way back: the school page lists the ticket in its tickets section.
        page.get_by_test_id("school-link").click()
        page.get_by_test_id("tab-tickets").click()
        expect(page.get_by_test_id("school-tickets")).to_contain_text(number)
