"""`schoolit sso providers|oidc|remove` against a fresh PostgreSQL, as an administrator's script would
run them: an OpenID Connect provider added and changed without the admin page, its client secret read
from standard input or a file, stored encrypted, and never printed nor audited; one line per bad field."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.support import run_cli, throwaway_cluster

SECRET = "Kreis-Client-Geheimnis-2026"
OTHER_SECRET = "Zweites-Geheimnis-aus-Datei"
KREIS = ["--label", "Kreisverwaltung", "--issuer", "https://login.kreis.example/realms/schule", "--client-id",
         "schoolit"]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with throwaway_cluster() as server:
        environment = {"DATABASE_URL": str(server.get_uri()), "DATA_DIR": str(tmp_path_factory.mktemp("data"))}
        assert run_cli("migrate", env=environment).returncode == 0
        yield environment


def ok(*args: str, env: dict[str, str], input_text: str | None = None) -> str:
    result = run_cli(*args, env=env, input_text=input_text)
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr and OTHER_SECRET not in result.stdout + result.stderr
    return result.stdout


def rows(env: dict[str, str], sql: str) -> list[dict[str, Any]]:
    async def query() -> list[dict[str, Any]]:
        conn = await asyncpg.connect(env["DATABASE_URL"])
        try:
            return [dict(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()
    return asyncio.run(query())


def stored_secret(env: dict[str, str]) -> str:
    (row,) = rows(env, "SELECT secret_encrypted FROM sign_in_provider WHERE name = 'kreis'")
    return str(row["secret_encrypted"])


def test_openid_provider_from_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    assert "no sign-in providers yet" in ok("sso", "providers", env=env)
    no_secret = run_cli("sso", "oidc", "kreis", *KREIS, env=env)
    assert no_secret.returncode == 1 and no_secret.stderr == "schoolit: error: secret: must not be empty\n"
    added = ok("sso", "oidc", "kreis", *KREIS, "--client-secret-file", "-", env=env, input_text=SECRET + "\n")
    assert added.startswith("added OpenID Connect provider kreis 'Kreisverwaltung' (issuer "
                            "https://login.kreis.example/realms/schule, client schoolit, enabled); client secret "
                            "stored encrypted")
    assert "/sso/oidc/kreis/callback" in added
    encrypted = stored_secret(env)
    assert encrypted and SECRET not in encrypted
    listing = ok("sso", "providers", env=env)
    assert "kreis" in listing and "oidc" in listing and "enabled" in listing and "secret stored" in listing

    # Options not given keep their value, and so does the secret.
    changed = ok("sso", "oidc", "kreis", "--disable", "--scopes", "openid email groups", env=env)
    assert "changed OpenID Connect provider kreis 'Kreisverwaltung'" in changed and "disabled" in changed
    assert "client secret kept" in changed and stored_secret(env) == encrypted
    (config,) = rows(env, "SELECT config::text AS config, enabled FROM sign_in_provider WHERE name = 'kreis'")
    assert '"scopes": "openid email groups"' in config["config"] and config["enabled"] is False

    secret_file = tmp_path / "client-secret"
    secret_file.write_text(OTHER_SECRET + "\n", encoding="utf-8")
    ok("sso", "oidc", "kreis", "--enable", "--client-secret-file", str(secret_file), env=env)
    assert stored_secret(env) != encrypted and OTHER_SECRET not in stored_secret(env)

    bad = run_cli("sso", "oidc", "kreis", "--issuer", "http://login.kreis.example", "--scopes", "email", env=env)
    assert bad.returncode == 1
    assert sorted(bad.stderr.splitlines()) == ["schoolit: error: issuer: must be an https:// address",
                                               "schoolit: error: scopes: must contain openid"]
    unreadable = run_cli("sso", "oidc", "kreis", "--client-secret-file", str(tmp_path / "missing"), env=env)
    assert unreadable.returncode == 1 and unreadable.stderr.startswith("schoolit: error: client-secret-file: ")
    ldap_name = run_cli("sso", "oidc", "Kreis Portal", *KREIS, "--client-secret-file", "-", env=env,
                        input_text=SECRET)
    assert ldap_name.returncode == 1 and "name: must be 1-40 lower-case letters" in ldap_name.stderr

    audit = rows(env, "SELECT action, actor_label, before::text AS before, after::text AS after FROM audit_log "
                      "WHERE object_type = 'sign_in_provider' ORDER BY id")
    assert [(a["action"], a["actor_label"]) for a in audit] == [
        ("sign_in_provider.create", "cli"), ("sign_in_provider.update", "cli"), ("sign_in_provider.update", "cli")]
    assert SECRET not in str(audit) and OTHER_SECRET not in str(audit)

    assert "removed sign-in provider kreis" in ok("sso", "remove", "kreis", env=env)
    assert "no sign-in providers yet" in ok("sso", "providers", env=env)
    again = run_cli("sso", "remove", "kreis", env=env)
    assert again.returncode == 1 and again.stderr == "schoolit: error: unknown sign-in provider\n"
