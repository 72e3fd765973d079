"""What the browser tests share: a fresh database with the demo data and one user, and Chromium.

Screenshots go to tests/e2e/artifacts/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pgserver

from tests.support import run_cli

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
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


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, as the tests drive it."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def log_in(page: Any, email: str, password: str) -> None:
    """Log in through the login form, as a person would."""
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Anmelden").click()
