"""In Chromium: the administrator adds, reorders and deactivates ticket categories, a bad position comes
back in German next to its field; a supporter is refused the page. At 1366 px and at 390 px (a phone)
the page fits the screen and axe-core finds nothing serious. Screenshots:
tests/e2e/artifacts/ticket-categories-*.png."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.support import PHONE, WIDE, chromium, look_at, page_as, role_server

PAGE = "/admin/ticket-categories"


def test_admin_edits_ticket_categories_and_a_supporter_is_refused(tmp_path: Path) -> None:
    with role_server(tmp_path) as base, chromium() as browser:
        for size, viewport in (("1366", WIDE), ("390", PHONE)):
            admin = page_as(browser, base, "admin", viewport)
            admin.goto(PAGE)
            expect(admin.locator("h1")).to_have_text("Ticket-Kategorien")
            look_at(admin, f"ticket-categories-admin-{size}")
            new = admin.locator("form").filter(has=admin.get_by_role("button", name="Hinzufügen"))
            new.get_by_label("Name").fill(f"Telefonie {size}")
            new.get_by_role("button", name="Hinzufügen").click()
            row = admin.locator("form").filter(has=admin.locator(f"input[value='Telefonie {size}']"))
            expect(row.get_by_label("Aktiv")).to_be_checked()
            row.get_by_label("Position").fill("drei")
            row.get_by_role("button", name="Speichern").click()
            expect(admin.locator(".flash.error")).to_have_text("Position: muss eine ganze Zahl sein")
            expect(admin.locator(".field-error[data-field=position]")).to_have_text("muss eine ganze Zahl sein")
            look_at(admin, f"ticket-categories-admin-error-{size}")
            row = admin.locator("form").filter(has=admin.locator(f"input[value='Telefonie {size}']"))
            row.get_by_label("Position").fill("9")
            row.get_by_label("Aktiv").uncheck()
            row.get_by_role("button", name="Speichern").click()
            row = admin.locator("form").filter(has=admin.locator(f"input[value='Telefonie {size}']"))
            expect(row.get_by_label("Position")).to_have_value("9")
            expect(row.get_by_label("Aktiv")).not_to_be_checked()
            admin.close()
            supporter = page_as(browser, base, "supporter", viewport)
            response = supporter.goto(PAGE)
            assert response is not None and response.status == 403
            look_at(supporter, f"ticket-categories-supporter-{size}")
            supporter.close()
