"""In Chromium: a teacher reports a fault on the public form; a supporter logs in, claims the ticket,
comments publicly and resolves it (the history names the teacher and the supporter, never an address); the
teacher's tracking page shows the comment and the status, and names no supporter.

Runs `schoolit serve` on a free loopback port against a fresh database. Screenshots go to
tests/e2e/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.support import assert_accessible, chromium, demo_database, horizontal_overflow, shot
from tests.support import running_server

PASSWORD = "ein langes Passwort für den Test"
SUPPORTER = "support@ahrweiler.test.example"
SCHOOL_NUMBER = "50000"  # the first demo school of Landkreis Ahrweiler, a county without demo tickets


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with demo_database(tmp_path, email=SUPPORTER, name="Sabine Support", role="supporter", county="ahrweiler",
                       password=PASSWORD) as env, running_server(env, log_path=tmp_path / "server.log") as base:
        yield base


def test_report_claim_comment_resolve_and_track(server: str) -> None:
    with chromium() as browser:
        reporter = browser.new_page(base_url=server)
        reporter.goto("/login")
        reporter.get_by_test_id("login-report-link").click()
        expect(reporter.get_by_role("heading", name="Störung melden")).to_be_visible()
        assert_accessible(reporter, "the fault form")
        reporter.goto(f"/report?school={SCHOOL_NUMBER}")
        # The category is chosen by the reporter, not preselected.
        assert reporter.locator("select[name=category_id]").input_value() == ""
        reporter.get_by_label("Kategorie").select_option(label="WLAN/Netzwerk")
        reporter.select_option("select[name=urgency]", "high")
        reporter.fill("textarea[name=description]", "Das WLAN im Raum B 2.04 ist seit der ersten Stunde weg.")
        reporter.fill("input[name=name]", "Frau Weber")
        reporter.fill("input[name=email]", "lehrkraft@schule.example")
        reporter.check("input[name=consent]")
        reporter.get_by_role("button", name="Meldung absenden").click()
        number = reporter.get_by_test_id("ticket-number").inner_text()
        assert re.fullmatch(r"SIT-\d{4}-\d{5}", number)
        tracking = reporter.get_by_test_id("tracking-link").get_attribute("href")
        assert tracking and tracking.startswith("/track/")
        shot(reporter, "1-reported")

        supporter = browser.new_page(base_url=server)
        supporter.goto("/login")
        supporter.fill("input[name=email]", SUPPORTER)
        supporter.fill("input[name=password]", PASSWORD)
        supporter.get_by_role("button", name="Anmelden").click()
        supporter.goto("/tickets")
        expect(supporter.get_by_role("heading", name="Ticket-Warteschlange")).to_be_visible()
        expect(supporter.get_by_role("link", name=number)).to_be_visible()
        supporter.get_by_test_id("claim-next").click()
        expect(supporter.get_by_role("heading", name=re.compile(number))).to_be_visible()
        expect(supporter.get_by_test_id("status")).to_have_text("Zugewiesen")
        expect(supporter.get_by_test_id("assignee")).to_have_text("Sabine Support")
        supporter.get_by_test_id("comment-body").fill("Der Access Point wurde neu gestartet, das WLAN läuft.")
        supporter.get_by_test_id("comment-submit").click()
        supporter.get_by_test_id("status-select").select_option("resolved")
        supporter.get_by_test_id("set-status").click()
        expect(supporter.get_by_test_id("status")).to_have_text("Gelöst")
        # The history names people, never their addresses: the reporter by the name they gave.
        timeline = supporter.locator(".timeline")
        expect(timeline.locator("li").first).to_contain_text("Frau Weber · gemeldet")
        expect(timeline).to_contain_text("Sabine Support · Status geändert")
        expect(timeline).not_to_contain_text("@")
        shot(supporter, "2-resolved")

        reporter.goto(tracking)
        expect(reporter.get_by_test_id("status")).to_have_text("Gelöst")
        expect(reporter.get_by_test_id("own-description")).to_have_text(
            "Das WLAN im Raum B 2.04 ist seit der ersten Stunde weg.")
        assert_accessible(reporter, "the tracking page")
        expect(reporter.get_by_text("Der Access Point wurde neu gestartet, das WLAN läuft.")).to_be_visible()
        expect(reporter.locator("main")).not_to_contain_text("Sabine Support")  # the team, not a person
        expect(reporter.locator("main")).not_to_contain_text("@")
        shot(reporter, "3-tracking")

        # At phone width, a reply of blanks comes back with the reason at the field; a real one reopens.
        reporter.set_viewport_size({"width": 390, "height": 844})
        reporter.locator("textarea[name=body]").fill("   ")
        reporter.get_by_role("button", name="Antwort senden").click()
        expect(reporter.locator("#error-body")).to_have_text("darf nicht leer sein")
        expect(reporter.locator("textarea[name=body]")).to_have_attribute("aria-invalid", "true")
        assert horizontal_overflow(reporter) == 0
        assert_accessible(reporter, "the tracking page with a refused reply")
        shot(reporter, "4-tracking-refused-reply")
        reporter.locator("textarea[name=body]").fill("Seit heute früh ist das WLAN wieder weg.")
        reporter.get_by_role("button", name="Antwort senden").click()
        expect(reporter.get_by_test_id("status")).not_to_have_text("Gelöst")
        expect(reporter.get_by_text("Seit heute früh ist das WLAN wieder weg.")).to_be_visible()
