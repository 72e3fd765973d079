"""In Chromium on the demo data: the SNMP profile pages (list, new and edit form, derived from the
profile's description) as each role that sees them (admin, supporter), at 1366 and 390 px — no sideways
scrolling at 390 px, no serious or critical axe-core violation, a screenshot each (tests/e2e/artifacts/,
git-ignored). A supporter enters a v3 profile that names a privacy protocol without its key: the form
says so next to the field, in German; with the key it is saved, and no page shows a secret.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import (
    look_at,
    pages_at_both_widths,
)

DEMO_SECRETS = ("demo-auth-passphrase", "demo-priv-passphrase")
TYPED = ("e2e-auth-passphrase", "e2e-priv-passphrase")


def _no_secret(page: Page) -> None:
    html = page.content()
    assert [s for s in (*DEMO_SECRETS, *TYPED) if s in html] == []


def _enter_profile(page: Page) -> None:
    page.goto("/snmp-profiles/new")
    page.get_by_label(re.compile("^Landkreis")).select_option(label="Donnersbergkreis")
    page.get_by_label(re.compile("^Name")).fill("E2E v3")
    page.get_by_label("Benutzer (v3)").fill("e2e-monitor")
    page.get_by_label(re.compile("^Authentifizierungsschlüssel")).fill(TYPED[0])
    page.get_by_label(re.compile("^Verschlüsselungsprotokoll")).select_option("AES-256")
    page.get_by_role("button", name=re.compile("Speichern")).click()
    error = page.locator("[data-field=priv_key]")
    expect(error).to_have_text("Pflichtfeld")  # the probe could not poll it: privacy without its key
    _no_secret(page)
    page.get_by_label(re.compile("^Authentifizierungsschlüssel")).fill(TYPED[0])
    page.get_by_label(re.compile("^Verschlüsselungsschlüssel")).fill(TYPED[1])
    page.get_by_role("button", name=re.compile("Speichern")).click()
    page.wait_for_url(re.compile(r"/snmp-profiles$"))
    expect(page.get_by_role("cell", name="E2E v3")).to_be_visible()


@pytest.mark.parametrize("role", ["admin", "supporter"])  # authorities and school contacts do not see profiles
def test_snmp_profile_pages(server: str, role: str) -> None:
    for name, page in pages_at_both_widths(server, role):
        if role == "supporter" and name == "1366":
            _enter_profile(page)
        page.goto("/snmp-profiles")
        expect(page.get_by_role("heading", name="SNMP-Profile")).to_be_visible()
        look_at(page, f"snmp-profiles {role} {name}")
        _no_secret(page)
        page.goto("/snmp-profiles/new")
        look_at(page, f"snmp-profile-new {role} {name}")
        page.goto("/snmp-profiles")
        page.get_by_role("link", name="Bearbeiten").first.click()
        expect(page.get_by_label(re.compile("^Authentifizierungsschlüssel"))).to_have_value("")
        look_at(page, f"snmp-profile-edit {role} {name}")
        _no_secret(page)
