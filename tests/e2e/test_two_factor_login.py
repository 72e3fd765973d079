"""In Chromium: an admin of an installation that requires a second factor for admins logs in, is sent
to the enrolment, scans nothing but types the shown key into pyotp, confirms with a first code, sees
the ten recovery codes once, and later logs in with password and a code computed by pyotp.

Runs `schoolit serve` with REQUIRE_TOTP_ROLES=admin,supporter on a free loopback port against a fresh
database. Screenshots (1366 and 390 px wide) go to tests/e2e/artifacts/ (git-ignored).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import ARTIFACTS, chromium, demo_database
from tests.support import run_cli, running_server

PASSWORD = "ein langes Passwort für den Test"
ADMIN = "admin@kreis.test.example"
SUPPORTER = "support@ahrweiler.test.example"
WIDTHS = (1366, 390)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with demo_database(tmp_path, email=SUPPORTER, name="Sabine Support", role="supporter",
                       county="ahrweiler", password=PASSWORD) as env:
        created = run_cli("user", "create", "--email", ADMIN, "--name", "Anna Admin", "--role", "admin",
                          "--password-stdin", env=env, input_text=PASSWORD + "\n")
        assert created.returncode == 0, created.stderr
        env = {**env, "REQUIRE_TOTP_ROLES": "admin,supporter"}
        with running_server(env, log_path=tmp_path / "server.log") as base:
            yield base


def shots(page: Page, name: str) -> None:
    """The page at both widths, whole."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"2fa-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def log_in(page: Page, email: str) -> None:
    page.goto("/login?next=/admin/users")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def test_enrol_then_log_in_with_a_code(server: str) -> None:
    with chromium() as browser:
        page = browser.new_page(base_url=server)
        log_in(page, ADMIN)
        expect(page.get_by_role("heading", name="Zwei-Faktor-Anmeldung")).to_be_visible()
        assert page.url.endswith("/account/two-factor?next=%2Fadmin%2Fusers")
        expect(page.locator(".qr svg")).to_be_visible()
        secret = page.get_by_test_id("totp-secret").inner_text()
        shots(page, "enrol")
        page.goto("/admin/users")  # half logged in: nothing else opens
        expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
        page.goto("/account/two-factor?next=/admin/users")
        assert page.get_by_test_id("totp-secret").inner_text() == secret  # a reload keeps the key
        page.fill("input[name=code]", pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Bestätigen").click()
        codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
        assert len(codes) == 10
        shots(page, "recovery-codes")
        page.get_by_role("link", name="Weiter").click()
        expect(page.get_by_role("heading", name="Benutzer", exact=True)).to_be_visible()
        shots(page, "users")
        page.get_by_role("button", name="Abmelden").click()

        log_in(page, ADMIN)
        expect(page.get_by_role("heading", name="Zweiter Schritt")).to_be_visible()
        page.fill("input[name=code]", "000000")
        page.get_by_role("button", name="Anmelden").click()
        expect(page.get_by_role("alert")).to_have_text("Der Code ist falsch oder wurde schon verwendet.")
        shots(page, "code")
        # The enrolment used this time step's code: the next step's is accepted (clock drift window).
        page.fill("input[name=code]", pyotp.TOTP(secret).at(time.time() + 30))
        page.get_by_role("button", name="Anmelden").click()
        expect(page.get_by_role("heading", name="Benutzer", exact=True)).to_be_visible()
        page.get_by_role("link", name="Anna Admin").click()
        expect(page.get_by_role("heading", name="Mein Konto")).to_be_visible()
        shots(page, "account")

        # The admin's user page: role and scope by name, a one-time reset link for the supporter.
        page.goto("/admin/users")
        page.get_by_role("link", name=SUPPORTER).first.click()
        expect(page.get_by_role("heading", name="Sabine Support")).to_be_visible()
        assert page.locator("select[name=county] option[selected]").inner_text() == "Landkreis Ahrweiler"
        page.get_by_role("button", name="Link zum Zurücksetzen des Passworts erzeugen").click()
        link = page.get_by_test_id("reset-link").inner_text()
        shots(page, "user")

        holder = browser.new_page(base_url=server)
        holder.goto(link)
        expect(holder.get_by_role("heading", name="Neues Passwort setzen")).to_be_visible()
        shots(holder, "password-reset")
        new = "das neue Passwort von Sabine"
        holder.fill("input[name=password]", new)
        holder.fill("input[name=repeat_password]", new)
        holder.get_by_role("button", name="Passwort speichern").click()
        expect(holder.get_by_role("status")).to_contain_text("Ihr neues Passwort ist gesetzt")
        # The supporter's role requires a second factor too: the login leads to the enrolment.
        holder.goto("/login")
        holder.fill("input[name=email]", SUPPORTER)
        holder.fill("input[name=password]", new)
        holder.get_by_role("button", name="Anmelden").click()
        expect(holder.get_by_text("Ihre Rolle verlangt einen zweiten Faktor")).to_be_visible()
        shots(holder, "enrol-supporter")
