"""In Chromium, against `schoolit serve`, a real OpenLDAP and a real OpenID provider: an admin sets up a
directory and an OpenID provider with their group mappings on the admin page; a supporter signs in
through the OpenID redirect flow and logs out; a county employee signs in with the directory login;
the directory drops her group and `schoolit sso sync` ends her access; a person without a mapped
group sees the German refusal page. Screenshots (1366 and 390 px) go to tests/e2e/artifacts/.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ldap3
import pgserver
import pytest
from playwright.sync_api import Page, expect

from schoolit.accounts.demo import DEMO_ARRANGEMENT_SLUG
from schoolit.accounts.sso.ldap import VerifiedTls
from tests.e2e.support import ARTIFACTS, chromium
from tests.sso import oidc
from tests.sso.slapd import (
    BASE,
    PASSWORD,
    ROOT_DN,
    ROOT_PASSWORD,
    SERVICE_DN,
    SERVICE_PASSWORD,
    SUPPORT_GROUP,
    USERS,
    Directory,
    running_directory,
)
from tests.support import run_cli, running_server

ADMIN = "admin@sign-in.test.example"
ADMIN_PASSWORD = "ein langes Admin-Passwort"
IDP_PASSWORD = "IdP-Passwort-2026"


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    """A migrated database with the demo data and an admin, `schoolit serve`, slapd and oidc-provider."""
    with tempfile.TemporaryDirectory(prefix="schoolit-sign-in-") as root:
        workdir = Path(root)
        db = pgserver.get_server(workdir / "pg", cleanup_mode="delete")
        env = {"DATABASE_URL": str(db.get_uri()), "DATA_DIR": str(workdir / "data")}
        try:
            for args, stdin in ((("migrate",), None), (("seed", "--demo"), None),
                                (("user", "create", "--email", ADMIN, "--name", "Ada Admin", "--role", "admin",
                                  "--password-stdin"), ADMIN_PASSWORD + "\n")):
                result = run_cli(*args, env=env, input_text=stdin)
                assert result.returncode == 0, result.stderr
            accounts = {"paula": oidc.account(IDP_PASSWORD, "paula@portal.test.example", "Paula Portal",
                                              ["Schul-IT-Support"]),
                        "otto": oidc.account(IDP_PASSWORD, "otto@portal.test.example", "Otto Ohnegruppe", [])}
            (workdir / "slapd").mkdir()
            # The server's address (PUBLIC_URL defaults to it) is the redirect address at the provider.
            with running_directory(workdir / "slapd") as directory, running_server(
                    env, log_path=workdir / "server.log") as base, oidc.running_provider(
                    [oidc.client(oidc.HONEST, f"{base}/sso/oidc/landesportal/callback")],
                    accounts, workdir / "idp.log") as issuer:
                yield {"base": base, "issuer": issuer, "directory": directory, "env": env}
        finally:
            db.cleanup()


def shots(page: Page, name: str) -> None:
    """The page at 1366 and at 390 px wide."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"sign-in-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def log_in_locally(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Anmelden").click()


def add_provider(page: Page, fields: dict[str, str], kind: str) -> None:
    page.goto("/admin/sign-in")
    form = page.get_by_test_id("provider-form")
    form.locator("select[name=kind]").select_option(kind)
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    form.get_by_role("button", name="Anmeldedienst hinzufügen").click()
    expect(page.get_by_test_id("providers")).to_contain_text(fields["label"])


def add_mapping(page: Page, provider: str, group: str) -> None:
    form = page.get_by_test_id("mapping-form")
    form.locator("select[name=provider]").select_option(label=provider)
    form.locator("input[name=group_name]").fill(group)
    form.locator("select[name=role]").select_option("supporter")
    form.locator("select[name=arrangement]").select_option(DEMO_ARRANGEMENT_SLUG)
    form.get_by_role("button", name="Zuordnung hinzufügen").click()
    expect(page.get_by_test_id("mappings")).to_contain_text(group)


def test_admin_sets_up_sign_in_and_people_sign_in_through_it(world: dict[str, Any]) -> None:
    directory: Directory = world["directory"]
    with chromium() as browser:
        admin = browser.new_page(base_url=world["base"])
        log_in_locally(admin, ADMIN, ADMIN_PASSWORD)
        admin.goto("/admin/sign-in")
        expect(admin.get_by_role("heading", name="Anmeldedienste")).to_be_visible()
        add_provider(admin, {"name": "landesportal", "label": "Landesportal Schule", "secret": oidc.CLIENT_SECRET,
                             "issuer": world["issuer"], "client_id": oidc.HONEST,
                             "scopes": "openid email profile groups"}, "oidc")
        add_provider(admin, {"name": "kreis", "label": "Kreisverwaltung (AD)", "secret": SERVICE_PASSWORD,
                             "url": directory.ldap_url, "ca_pem": directory.certificates.ca_pem,
                             "bind_dn": SERVICE_DN, "base_dn": USERS, "group_base_dn": BASE}, "ldap")
        add_mapping(admin, "Landesportal Schule (landesportal)", "Schul-IT-Support")
        add_mapping(admin, "Kreisverwaltung (AD) (kreis)", SUPPORT_GROUP)
        # The secrets are never shown again, not even in the page's source.
        assert oidc.CLIENT_SECRET not in admin.content() and SERVICE_PASSWORD not in admin.content()
        shots(admin, "admin")

        # OpenID Connect: the whole redirect flow in the browser.
        paula = browser.new_context(base_url=world["base"]).new_page()
        paula.goto("/login?next=/tickets")
        shots(paula, "login")
        paula.get_by_test_id("sign-in-landesportal").click()
        expect(paula.get_by_role("heading", name="Test identity provider")).to_be_visible()
        paula.fill("input[name=login]", "paula")
        paula.fill("input[name=password]", IDP_PASSWORD)
        paula.get_by_role("button", name="Sign in at the IdP").click()
        expect(paula.get_by_role("heading", name="Ticket-Warteschlange")).to_be_visible()
        assert paula.url == f"{world['base']}/tickets"
        shots(paula, "oidc-signed-in")
        paula.get_by_role("button", name="Abmelden").click()
        paula.goto("/tickets")
        expect(paula.get_by_role("heading", name="Anmelden", exact=True)).to_be_visible()

        # No mapped group: refused with a German page, no session.
        otto = browser.new_context(base_url=world["base"]).new_page()
        otto.goto("/sso/oidc/landesportal/start")
        otto.fill("input[name=login]", "otto")
        otto.fill("input[name=password]", IDP_PASSWORD)
        otto.get_by_role("button", name="Sign in at the IdP").click()
        expect(otto.get_by_test_id("refusal")).to_contain_text("keiner Ihrer Gruppen")
        shots(otto, "refused")
        otto.goto("/tickets")
        expect(otto.get_by_role("heading", name="Anmelden", exact=True)).to_be_visible()

        # The directory login form; then the directory drops her group and the sync ends her access.
        sabine = browser.new_context(base_url=world["base"]).new_page()
        sabine.goto("/login")
        sabine.get_by_test_id("sign-in-kreis").click()
        sabine.fill("input[name=login]", "sabine")
        sabine.fill("input[name=password]", PASSWORD)
        shots(sabine, "ldap-form")
        sabine.get_by_role("button", name="Anmelden").click()
        sabine.goto("/tickets")
        expect(sabine.get_by_role("heading", name="Ticket-Warteschlange")).to_be_visible()
        drop_from_group(directory, "CN=Sabine Support,OU=Users," + BASE)
        sync = run_cli("sso", "sync", env=world["env"])
        assert sync.returncode == 0, sync.stderr
        assert "directory accounts checked: 1; disabled: 1" in sync.stdout
        sabine.goto("/tickets")
        expect(sabine.get_by_role("heading", name="Anmelden", exact=True)).to_be_visible()
        users = run_cli("user", "list", env=world["env"]).stdout
        assert any("sabine.support@kreis.test.example" in line and "disabled" in line
                   for line in users.splitlines()), users


def drop_from_group(directory: Directory, dn: str) -> None:
    server = ldap3.Server(directory.ldaps_url, use_ssl=True, get_info=ldap3.NONE,
                          tls=VerifiedTls(ca_certs_data=directory.certificates.ca_pem))
    connection = ldap3.Connection(server, ROOT_DN, ROOT_PASSWORD, auto_bind=True)
    assert connection.modify(SUPPORT_GROUP, {"member": [(ldap3.MODIFY_DELETE, [dn])]}), connection.result
    connection.unbind()
