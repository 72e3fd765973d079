"""The accounts commands and the demo logins, end to end: CLI against a fresh PostgreSQL, then the
printed secrets used against a running server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.support import run_cli, running_server, throwaway_cluster


@pytest.fixture
def fresh_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with throwaway_cluster() as server:
        env = {"DATABASE_URL": str(server.get_uri()), "DATA_DIR": str(tmp_path / "data")}
        assert run_cli("migrate", env=env).returncode == 0
        yield env


def _login(base: str, email: str, password: str) -> httpx.Client:
    http = httpx.Client(base_url=base, timeout=10)
    form = http.get("/login")
    if form.status_code != 200:
        http.close()
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    assert token
    response = http.post("/login", data={"email": email, "password": password, "_csrf_token": token.group(1)})
    assert response.status_code == 303, response.text[:300]
    return http


def test_demo_seed_prints_one_working_login_per_role(fresh_env: dict[str, str]) -> None:
    demo_env = {**fresh_env, "SCHOOLIT_DEMO": "1"}
    result = run_cli("seed", "--demo", env=demo_env)
    assert result.returncode == 0, result.stderr
    logins = re.findall(r"^\s+(\w+)\s+(\S+@\S+)\s+(demo-\w+)", result.stdout, re.MULTILINE)
    assert {role for role, _, _ in logins} == {"admin", "supporter", "authority", "school"}
    emails = {email for _, email, _ in logins}
    assert "support@verbund.demo.schoolit.example" in emails
    assert "schultraeger@ludwigsburg.demo.schoolit.example" in emails
    assert run_cli("seed", "--demo", env=demo_env).stdout == result.stdout  # idempotent, same passwords
    with running_server(demo_env) as base:
        for role, email, password in logins:
            with closing(_login(base, email, password)) as http:
                me = http.get("/api/v1/me").json()
            assert me["role"] == role and me["label"] == email
        with closing(_login(base, "support@verbund.demo.schoolit.example",
                            next(p for _, e, p in logins if e.startswith("support@verbund")))) as verbund:
            counties = {c["name"] for c in verbund.get("/api/v1/counties").json()["items"]}
        assert counties == {"Donnersbergkreis", "Landkreis Kaiserslautern", "Landkreis Kusel"}


def test_user_token_and_probe_commands(fresh_env: dict[str, str]) -> None:
    assert run_cli("seed", "--demo", env=fresh_env).returncode == 0  # no demo mode: no demo logins
    created = run_cli("user", "create", "--email", "Leitung@KIB.example", "--name", "Frau Beispiel",
                      "--role", "authority", "--county", "donnersbergkreis", "--password-stdin",
                      env=fresh_env, input_text="ein langes sicheres Passwort\n")
    assert created.returncode == 0, created.stderr
    assert "password (shown once)" not in created.stdout
    generated = run_cli("user", "create", "--email", "admin@kreis.example", "--name", "Admin", "--role", "admin",
                        env=fresh_env)
    assert re.search(r"password \(shown once\): \S{20,}", generated.stdout)
    bad = run_cli("user", "create", "--email", "x@kreis.example", "--name", "X", "--role", "school",
                  "--school", "99999", env=fresh_env)
    assert bad.returncode == 1 and "school: unknown school number" in bad.stderr
    token_out = run_cli("token", "create", "--user", "leitung@kib.example", "--name", "Auswertung",
                        "--expires-days", "30", env=fresh_env)
    token = re.search(r"token \(shown once\): (sit_\S+)", token_out.stdout)
    assert token, token_out.stdout + token_out.stderr
    probe_out = run_cli("probe", "register", "--name", "Sonde KIB", "--county", "donnersbergkreis", env=fresh_env)
    probe_token = re.search(r"token \(shown once\): (sit_\S+)", probe_out.stdout)
    assert probe_token, probe_out.stderr
    listing = run_cli("token", "list", env=fresh_env).stdout
    assert token.group(1) not in listing and token.group(1)[:12] in listing
    with running_server(fresh_env) as base:
        me = httpx.get(base + "/api/v1/me", headers={"authorization": f"Bearer {token.group(1)}"}).json()
        assert me["role"] == "authority" and me["label"] == "leitung@kib.example"
        probe = httpx.get(base + "/api/v1/me", headers={"authorization": f"Bearer {probe_token.group(1)}"}).json()
        assert probe["role"] == "probe" and probe["actor_kind"] == "probe"
        token_id = re.search(r"token (\d+) 'Auswertung'", token_out.stdout)
        assert token_id
        assert run_cli("token", "revoke", token_id.group(1), env=fresh_env).returncode == 0
        revoked = httpx.get(base + "/api/v1/me", headers={"authorization": f"Bearer {token.group(1)}"})
        assert revoked.status_code == 401
        _login(base, "leitung@kib.example", "ein langes sicheres Passwort").close()
        assert run_cli("user", "disable", "leitung@kib.example", env=fresh_env).returncode == 0
        users = run_cli("user", "list", env=fresh_env).stdout
        assert re.search(r"leitung@kib.example\s+authority\s+county \d+\s+disabled", users)
