"""In Chromium: after `schoolit setup`, the administrator creates a second county and an arrangement
through the admin pages, adds the county to it, and sees refusals in German (a wrong share, retiring the lead
county); at 1366 px and at
390 px (a phone) the pages fit the screen. Screenshots: tests/e2e/artifacts/tenants-*.png."""

from __future__ import annotations

from pathlib import Path

import pgserver
from playwright.sync_api import expect

from tests.e2e.support import ARTIFACTS, chromium
from tests.support import run_cli, running_server

ADMIN = "it@kreis-kusel.example"
PASSWORD = "ein-langes-passwort-2026"


def test_admin_sets_up_counties_and_an_arrangement_in_the_browser(tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db = pgserver.get_server(tmp_path / "pg", cleanup_mode="delete")
    env = {"DATABASE_URL": str(db.get_uri()), "DATA_DIR": str(tmp_path / "data")}
    try:
        setup = run_cli("setup", "--yes", "--admin-email", ADMIN, "--admin-name", "Petra Admin",
                        "--admin-password-stdin", "--county-name", "Landkreis Kusel", "--county-slug", "kusel",
                        "--county-ags", "07336", "--arrangement-name", "Schul-IT-Verbund Westpfalz",
                        env=env, input_text=PASSWORD + "\n")
        assert setup.returncode == 0, setup.stderr
        with running_server(env) as base, chromium() as browser:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(base + "/login")
            page.fill("input[name=email]", ADMIN)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.click("nav >> text=Landkreise")
            expect(page.locator("h1")).to_have_text("Landkreise")
            page.fill("input[name=name]", "Landkreis Kaiserslautern")
            page.fill("input[name=slug]", "kusel")  # taken
            page.fill("input[name=ags]", "07335")
            page.click("button:has-text('Landkreis anlegen')")
            expect(page.locator(".field-error")).to_have_text("bereits vergeben")
            page.screenshot(path=str(ARTIFACTS / "tenants-counties-error-1366.png"), full_page=True)
            page.fill("input[name=slug]", "kaiserslautern")
            page.click("button:has-text('Landkreis anlegen')")
            expect(page.locator(".flash")).to_contain_text("Landkreis angelegt")
            page.screenshot(path=str(ARTIFACTS / "tenants-county-1366.png"), full_page=True)
            page.click("nav >> text=Verbünde")
            page.click("text=Schul-IT-Verbund Westpfalz")
            page.select_option("select[name=county]", label="Landkreis Kaiserslautern")
            page.click("button:has-text('Landkreis hinzufügen')")
            expect(page.locator(".flash")).to_contain_text("sehen ihn ab sofort")
            page.select_option("select[name=share_rule]", "fixed")
            page.click("button:has-text('Speichern')")
            expect(page.locator(".flash.error")).to_contain_text("zusammen 100")
            page.screenshot(path=str(ARTIFACTS / "tenants-arrangement-1366.png"), full_page=True)
            for path, name in (("/admin/counties", "counties"), ("/admin/arrangements", "arrangements")):
                page.goto(base + path)
                page.screenshot(path=str(ARTIFACTS / f"tenants-{name}-1366.png"), full_page=True)
            # The lead county cannot be retired: the refusal names its arrangement, as the API words it.
            page.goto(base + "/admin/counties")
            page.click("text=Landkreis Kusel")
            page.click("button:has-text('Landkreis stilllegen')")
            expect(page.locator(".flash.error")).to_contain_text(
                "Der Landkreis ist federführend im Verbund „Schul-IT-Verbund Westpfalz“; machen Sie zuerst ein anderes")
            page.screenshot(path=str(ARTIFACTS / "tenants-county-refused-1366.png"), full_page=True)
            phone = browser.new_page(viewport={"width": 390, "height": 844})
            phone.context.add_cookies(page.context.cookies())
            for path, name in (("/admin/counties", "counties"), ("/admin/arrangements", "arrangements"),
                               ("/admin/arrangements/1", "arrangement"), ("/admin/counties/2", "county")):
                phone.goto(base + path)
                phone.screenshot(path=str(ARTIFACTS / f"tenants-{name}-390.png"), full_page=True)
                assert phone.evaluate("document.documentElement.scrollWidth") <= 390, name
            phone.goto(base + "/admin/counties")
            phone.click("text=Landkreis Kusel")
            phone.click("button:has-text('Landkreis stilllegen')")
            expect(phone.locator(".flash.error")).to_contain_text("federführend im Verbund")
            phone.screenshot(path=str(ARTIFACTS / "tenants-county-refused-390.png"), full_page=True)
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        db.cleanup()
