"""What the browser tests share: a fresh database with the demo data and one user, Chromium, and the
axe-core accessibility check.

axe-core comes from the npm registry: `tests/e2e/node/package.json` (and its lock file) pin it and
`axe_script()` runs `npm ci` there the first time (node_modules is git-ignored), as the single sign-on
tests do for oidc-provider. Screenshots go to tests/e2e/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pgserver

from tests.support import run_cli, running_server

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
NODE_DIR = Path(__file__).with_name("node")
AXE_JS = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# The impacts that fail a test: axe-core's "serious" and "critical" (minor and moderate are reported only).
FAILING_IMPACTS = ("serious", "critical")
# Without the background-networking flag Chromium keeps calling out, which this machine refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def demo_database(tmp_path: Path, *, email: str, name: str, role: str, county: str,
                  password: str) -> Iterator[dict[str, str]]:
    """A throw-away PostgreSQL, migrated, with the demo data and one user; yields the server's settings."""
    db = pgserver.get_server(tmp_path / "pg", cleanup_mode="delete")
    env = {"DATABASE_URL": str(db.get_uri()), "DATA_DIR": str(tmp_path / "data")}
    try:
        for args, stdin in ((("migrate",), None), (("seed", "--demo"), None),
                            (("user", "create", "--email", email, "--name", name, "--role", role,
                              "--county", county, "--password-stdin"), password + "\n")):
            result = run_cli(*args, env=env, input_text=stdin)
            assert result.returncode == 0, result.stderr
        yield env
    finally:
        db.cleanup()


# One person per role on the demo data, for the tests that walk every role's pages: the arrangement's
# supporter and the first demo school of Donnersbergkreis (a member county) see demo tickets and loans.
ROLE_PASSWORD = "ein langes Passwort für alle Rollen"
ROLE_USERS = {
    "admin": ("admin@e2e.example", "Ada Admin", ()),
    "supporter": ("support@e2e.example", "Sabine Support", ("--arrangement", "verbund-donnersberg-kl-kus")),
    "authority": ("amt@e2e.example", "Anna Amt", ("--county", "donnersbergkreis")),
    "school": ("schule@e2e.example", "Stefan Schule", ("--school", "51600")),
}


def add_role_users(env: dict[str, str]) -> None:
    """Create ROLE_USERS (password ROLE_PASSWORD) in the database of `env`."""
    for email, name, where in ROLE_USERS.values():
        role = next(r for r, user in ROLE_USERS.items() if user[0] == email)
        result = run_cli("user", "create", "--email", email, "--name", name, "--role", role, *where,
                         "--password-stdin", env=env, input_text=ROLE_PASSWORD + "\n")
        assert result.returncode == 0, result.stderr


@contextmanager
def role_server(tmp_path: Path) -> Iterator[str]:
    """`schoolit serve` on the demo data with ROLE_USERS; yields its base URL (one per test module)."""
    with demo_database(tmp_path, email="ludwigsburg@e2e.example", name="Lu Amt", role="authority",
                       county="ludwigsburg", password=ROLE_PASSWORD) as env:
        add_role_users(env)
        with running_server(env, log_path=tmp_path / "server.log") as base:
            yield base


def shot(page: Any, name: str) -> None:
    """A full-page screenshot into tests/e2e/artifacts/NAME.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, as the tests drive it."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def log_in(page: Any, email: str, password: str) -> None:
    """Log in through the login form, as a person would."""
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Anmelden").click()


def menu_link(page: Any, name: str) -> Any:
    """The main menu's entry `name`, ready to click at any width: on a phone the menu ("Menü", closed at
    first) is opened."""
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    summary = nav.locator("details.menu > summary")
    if summary.is_visible() and nav.locator("details.menu[open]").count() == 0:
        summary.click()
    return nav.get_by_role("link", name=name, exact=True)


def axe_script() -> str:
    """axe-core's browser bundle, installed from the npm registry on first use (a lock file pins it)."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is missing: install Node.js (Debian packages nodejs and npm)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True,
                       timeout=300, capture_output=True)
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of the page as it is now (WCAG 2.1 A and AA rules).

    The script is evaluated in the page (not added as a <script> tag), so the app's Content-Security-
    Policy, which allows no inline script, needs no exception for the test.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_script())
    result = page.evaluate("""async () => {
        const r = await window.axe.run(document, {runOnly: {type: "tag",
            values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary)}));
    }""")
    return [v for v in result if v["impact"] in FAILING_IMPACTS]


def assert_accessible(page: Any, what: str = "") -> None:
    """Fail with axe-core's findings when the page has a serious or critical violation."""
    violations = axe_violations(page)
    assert not violations, f"axe-core on {what or page.url}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in violations)


WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def look_at(page: Any, name: str) -> None:
    """The page as a person gets it: no sideways scrolling at phone width, axe-core clean, a screenshot
    `NAME.png` to look at."""
    page.wait_for_load_state("networkidle")
    if page.viewport_size and page.viewport_size["width"] <= PHONE["width"]:
        assert horizontal_overflow(page) == 0, f"{name} scrolls sideways at {page.viewport_size['width']} px"
    assert_accessible(page, name)
    shot(page, re.sub(r"\W+", "-", name))


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched Chromium (`launch_chromium`) for the block, closed after it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


def page_as(browser: Any, server: str, role: str | None, viewport: dict[str, int],
            **new_page_options: Any) -> Any:
    """A new page of `server` in `browser` at `viewport`, logged in as `role`'s user of ROLE_USERS (None: a
    visitor, not logged in); further options go to `browser.new_page` (e.g. accept_downloads=True)."""
    page = browser.new_page(base_url=server, viewport=viewport, **new_page_options)
    if role is not None:
        log_in(page, ROLE_USERS[role][0], ROLE_PASSWORD)
    return page


def logged_in_pages(server: str, role: str | None,
                    viewports: dict[str, dict[str, int]]) -> Iterator[tuple[str, Any]]:
    """A page of `server` logged in as `role`'s user (None: a visitor, not logged in) for each named viewport
    in turn, each closed when the loop moves on; the browser closes after the last."""
    with chromium() as browser:
        for name, viewport in viewports.items():
            page = page_as(browser, server, role, viewport)
            yield name, page
            page.close()


def pages_at_both_widths(server: str, role: str | None) -> Iterator[tuple[str, Any]]:
    """`logged_in_pages` first at 1366 px ("1366") and then at 390 px ("390")."""
    return logged_in_pages(server, role, {"1366": WIDE, "390": PHONE})


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scrolling)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))
