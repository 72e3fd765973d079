"""In Chromium: a supporter, a school contact, an authority and an admin each open their notification
settings (at 1366 and 390 px; from the menu or from their account page) and see the choices of their
role; the supporter changes two and the language, and the page shows them saved; the admin registers a
webhook and sees its secret once.
Screenshots: tests/e2e/artifacts/notifications-<role>-<width>.png, webhooks-<width>.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import ARTIFACTS, chromium, demo_database, log_in, menu_link
from tests.support import run_cli, running_server

PASSWORD = "ein langes Passwort für Benachrichtigungen"
PEOPLE = {
    "supporter": ("sabine@ahrweiler.test.example", ("--county", "ahrweiler")),
    "school": ("sekretariat@schule51600.test.example", ("--school", "51600")),
    "authority": ("amt@donnersberg.test.example", ("--county", "donnersbergkreis")),
    "admin": ("admin@kreis.test.example", ()),
}
# A choice each role sees, and one it must not.
SEES = {"supporter": ("Eine ganze Schule ist offline", "Wochenübersicht meines Landkreises"),
        "school": ("Eine Störung an meiner Schule beginnt oder ist behoben", "Ein neues Ticket in meinen Landkreisen"),
        "authority": ("Wochenübersicht meines Landkreises", "SLA verletzt"),
        "admin": ("Mir wurde ein Ticket zugewiesen", "Ein neues Ticket in meinen Landkreisen")}


def open_notifications(page: Page, role: str) -> None:
    """Supporters and admins open their notifications from the menu (on a phone behind "Menü"); school
    contacts and authorities, whose menu leaves settings out, from their account page."""
    if role in ("supporter", "admin"):
        menu_link(page, "Benachrichtigungen").click()
    else:
        page.get_by_role("link", name=f"Person {role}").click()
        page.get_by_role("link", name="Welche E-Mails Sie von schoolit erhalten, und in welcher Sprache.").click()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    email, scope = PEOPLE["supporter"]
    with demo_database(tmp_path, email=email, name="Sabine Support", role="supporter", county=scope[1],
                       password=PASSWORD) as env:
        for role in ("school", "authority", "admin"):
            email, scope = PEOPLE[role]
            result = run_cli("user", "create", "--email", email, "--name", f"Person {role}", "--role", role, *scope,
                             "--password-stdin", env=env, input_text=PASSWORD + "\n")
            assert result.returncode == 0, result.stderr
        with running_server(env, log_path=tmp_path / "server.log") as base:
            yield base


def test_each_role_chooses_its_notifications(server: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium() as browser:
        for role, (email, _scope) in PEOPLE.items():
            for width in (1366, 390):
                page = browser.new_page(base_url=server, viewport={"width": width, "height": 900})
                log_in(page, email, PASSWORD)
                open_notifications(page, role)
                expect(page.get_by_role("heading", name="Benachrichtigungen")).to_be_visible()
                shown, hidden = SEES[role]
                expect(page.get_by_role("rowheader", name=shown)).to_be_visible()
                expect(page.get_by_role("rowheader", name=hidden)).to_have_count(0)
                page.screenshot(path=str(ARTIFACTS / f"notifications-{role}-{width}.png"), full_page=True)
                overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
                assert not overflow, f"{role} at {width} px scrolls sideways"
                page.close()

        email, _scope = PEOPLE["supporter"]
        page = browser.new_page(base_url=server, viewport={"width": 390, "height": 900})
        log_in(page, email, PASSWORD)
        page.goto("/account/notifications")
        page.get_by_role("group", name="Ein neues Ticket in meinen Landkreisen").get_by_label(
            "tägliche Zusammenfassung").check()
        page.get_by_role("group", name="SLA verletzt").get_by_label("aus").check()
        page.get_by_label("Sprache der E-Mails").select_option("en")
        page.get_by_role("button", name="Speichern").click()
        expect(page.get_by_role("status")).to_have_text("Ihre Auswahl ist gespeichert.")
        expect(page.get_by_role("group", name="Ein neues Ticket in meinen Landkreisen").get_by_label(
            "tägliche Zusammenfassung")).to_be_checked()
        expect(page.get_by_role("group", name="SLA verletzt").get_by_label("aus")).to_be_checked()
        expect(page.get_by_label("Sprache der E-Mails")).to_have_value("en")
        page.screenshot(path=str(ARTIFACTS / "notifications-saved-390.png"), full_page=True)
        page.close()

        email, _scope = PEOPLE["admin"]
        for width in (1366, 390):
            page = browser.new_page(base_url=server, viewport={"width": width, "height": 900})
            log_in(page, email, PASSWORD)
            menu_link(page, "Webhooks").click()
            expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
            page.get_by_label("Name").fill(f"Matrix {width}")
            page.get_by_label("URL").fill("https://matrix.kreis.example/hooks/schoolit-support-team-2026")
            page.get_by_label("Schule offline").check()
            page.get_by_label("Ticket erstellt").check()
            page.get_by_role("button", name="Registrieren").click()
            expect(page.get_by_test_id("webhook-secret")).to_contain_text("whsec_")
            expect(page.get_by_role("heading", name=f"Matrix {width}")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / f"webhooks-{width}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"webhooks at {width} px scrolls sideways"
            page.close()
