"""A real installation: `schoolit serve` with REQUIRE_TOTP_ROLES=admin against a fresh PostgreSQL, users
made with the CLI. An admin must enrol at the next login before anything else works; the CLI keeps
the last admin and hands out one-time reset links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyotp
import pytest

from tests.support import run_cli, running_server, throwaway_cluster

PASSWORD = "ein langes Passwort für den Test"


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[dict[str, str]]:
    with throwaway_cluster() as server:
        env = {"DATABASE_URL": str(server.get_uri()), "DATA_DIR": str(tmp_path / "data"),
               "SECRET_KEY": "a-test-secret-key-that-is-long-enough-for-schoolit", "REQUIRE_TOTP_ROLES": "admin"}
        assert run_cli("migrate", env=env).returncode == 0
        for email, role in (("chef@kreis.example", "admin"), ("zweite@kreis.example", "admin")):
            created = run_cli("user", "create", "--email", email, "--name", email.split("@")[0], "--role", role,
                              "--password-stdin", env=env, input_text=PASSWORD + "\n")
            assert created.returncode == 0, created.stderr
        yield env


def _csrf(http: httpx.Client, path: str) -> str:
    token = re.search(r'name="_csrf_token" value="([^"]+)"', http.get(path).text)
    assert token, path
    return token.group(1)


def test_cli_keeps_the_last_admin_and_enables_and_resets(installation: dict[str, str]) -> None:
    env = installation
    assert run_cli("user", "disable", "zweite@kreis.example", env=env).returncode == 0
    last = run_cli("user", "disable", "chef@kreis.example", env=env)
    assert last.returncode == 1
    assert last.stderr.strip() == ("schoolit: error: This is the last active administrator: make another user "
                                   "an administrator first.")
    enabled = run_cli("user", "enable", "zweite@kreis.example", env=env)
    assert enabled.returncode == 0 and "enabled zweite@kreis.example" in enabled.stdout
    assert run_cli("user", "disable", "chef@kreis.example", env=env).returncode == 0
    assert run_cli("user", "enable", "chef@kreis.example", env=env).returncode == 0
    reset = run_cli("user", "reset-password", "chef@kreis.example", env=env)
    assert reset.returncode == 0, reset.stderr
    link = re.search(r"link \(shown once\): http://[^/]+(/password-reset/\S+)", reset.stdout)
    assert link
    unknown = run_cli("user", "reset-password", "niemand@kreis.example", env=env)
    assert unknown.returncode == 1 and unknown.stderr.startswith("schoolit: error:")
    with running_server(env) as base, httpx.Client(base_url=base, timeout=10) as http:
        assert http.get(link.group(1)).status_code == 200
        new = "das neue Passwort des Chefs"
        done = http.post(link.group(1), data={"_csrf_token": _csrf(http, link.group(1)), "password": new,
                                              "repeat_password": new})
        assert done.status_code == 200
        assert http.get(link.group(1)).status_code == 410  # used up


def test_required_role_enrols_at_next_login_before_anything_else(installation: dict[str, str]) -> None:
    with running_server(installation) as base, httpx.Client(base_url=base, timeout=10) as http:
        response = http.post("/login", data={"_csrf_token": _csrf(http, "/login"), "email": "chef@kreis.example",
                                             "password": PASSWORD, "next": "/admin/users"})
        assert response.status_code == 303
        assert response.headers["location"] == "/account/two-factor?next=%2Fadmin%2Fusers"
        for path in ("/admin/users", "/account", "/api/v1/me", "/audit"):
            assert http.get(path, headers={"accept": "text/html"}).status_code in (401, 303), path
        page = http.get("/account/two-factor?next=/admin/users")
        assert page.status_code == 200 and "Ihre Rolle verlangt einen zweiten Faktor" in page.text
        secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page.text)
        assert secret
        done = http.post("/account/two-factor", data={"_csrf_token": _csrf(http, "/account/two-factor"),
                                                      "code": pyotp.TOTP(secret.group(1)).now(),
                                                      "next": "/admin/users"})
        assert done.status_code == 200 and len(re.findall(r"<li>[a-z0-9-]{19}</li>", done.text)) == 10
        assert http.get("/admin/users").status_code == 200  # enrolled: the login is complete
