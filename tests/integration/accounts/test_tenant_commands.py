"""`schoolit county|arrangement|school|sso …` against a fresh PostgreSQL, as an administrator would type
them: counties, an arrangement and a school without SQL, one line per bad field, exit codes; an OpenID
Connect provider added and changed without the admin page, its client secret read from standard input
or a file, stored encrypted, and never printed nor audited."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.support import run_cli, throwaway_cluster


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with throwaway_cluster() as server:
        environment = {"DATABASE_URL": str(server.get_uri()), "DATA_DIR": str(tmp_path_factory.mktemp("data"))}
        assert run_cli("migrate", env=environment).returncode == 0
        yield environment


def ok(*args: str, env: dict[str, str]) -> str:
    result = run_cli(*args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_counties_arrangement_and_school_without_sql(env: dict[str, str]) -> None:
    assert "no counties yet" in ok("county", "list", env=env)
    created = ok("county", "create", "--name", "Donnersbergkreis", "--slug", "donnersbergkreis", "--ags", "07333",
                 "--seat", "Kirchheimbolanden", env=env)
    assert created.startswith("created county donnersbergkreis 'Donnersbergkreis' (AGS 07333")
    ok("county", "create", "--name", "Landkreis Kusel", "--slug", "kusel", "--ags", "07336", env=env)
    taken = run_cli("county", "create", "--name", "Kusel", "--slug", "kusel", "--ags", "0733", env=env)
    assert taken.returncode == 1
    assert sorted(taken.stderr.splitlines()) == [
        "schoolit: error: ags: five digits (Amtlicher Gemeindeschlüssel of the district)",
        "schoolit: error: slug: already in use"]
    assert "renamed" not in ok("county", "rename", "kusel", "Landkreis Kusel (Pfalz)", env=env)
    made = ok("arrangement", "create", "--name", "Schul-IT-Verbund", "--slug", "verbund", "--lead",
              "donnersbergkreis", env=env)
    assert "led by Donnersbergkreis" in made
    added = ok("arrangement", "add-county", "verbund", "kusel", env=env)
    assert added.strip() == "kusel added to verbund; members now: donnersbergkreis, kusel"
    outside = run_cli("arrangement", "set-rule", "verbund", "fixed", "--shares", "donnersbergkreis=50", env=env)
    assert outside.returncode == 1 and "shares:" in outside.stderr
    ok("arrangement", "set-rule", "verbund", "fixed", "--shares", "donnersbergkreis=60,kusel=40", env=env)
    lead = run_cli("arrangement", "remove-county", "verbund", "donnersbergkreis", env=env)
    assert lead.returncode == 1 and "lead county must be a member" in lead.stderr
    listing = ok("arrangement", "list", env=env)
    assert "rule fixed" in listing and "member kusel 40.00 %" in listing and "member donnersbergkreis (lead)" in listing
    ok("county", "create", "--name", "Landkreis Bad Kreuznach", "--slug", "bad-kreuznach", "--ags", "07133", env=env)
    ok("arrangement", "create", "--name", "Verbund Nahe", "--slug", "nahe", "--lead", "bad-kreuznach", env=env)
    ok("user", "create", "--email", "support@nahe.test.example", "--name", "Support Nahe", "--role", "supporter",
       "--arrangement", "nahe", env=env)
    busy = run_cli("arrangement", "dissolve", "nahe", env=env)
    assert busy.returncode == 1 and busy.stderr.startswith("schoolit: error: users scoped to the arrangement: 1;")
    ok("county", "create", "--name", "Landkreis Birkenfeld", "--slug", "birkenfeld", "--ags", "07134", env=env)
    ok("arrangement", "create", "--name", "Verbund Hunsrück", "--slug", "hunsrueck", "--lead", "birkenfeld", env=env)
    dissolved = ok("arrangement", "dissolve", "hunsrueck", env=env)
    assert dissolved.strip() == "dissolved arrangement hunsrueck; its counties belong to none now: birkenfeld"
    assert "hunsrueck" not in ok("arrangement", "list", env=env)
    assert "nahe" in ok("arrangement", "list", env=env)
    # A retired county takes no new users, schools or probes: one line naming the field.
    ok("school", "create", "--county", "birkenfeld", "--number", "41090", "--name", "IGS Birkenfeld", "--type", "igs",
       env=env)
    assert ok("school", "list", "--county", "birkenfeld", env=env).splitlines()[-1] == "1 school"
    retired = ok("county", "retire", "birkenfeld", env=env)
    assert retired.strip() == "retired county birkenfeld: 0 users and 0 probes disabled; its data is kept"
    for args, field in ((("user", "create", "--email", "x@birkenfeld.test.example", "--name", "X", "--role",
                          "authority", "--county", "birkenfeld"), "county"),
                        (("user", "create", "--email", "igs@birkenfeld.test.example", "--name", "IGS", "--role",
                          "school", "--school", "41090"), "school"),
                        (("school", "create", "--county", "birkenfeld", "--number", "41091", "--name", "Neu",
                          "--type", "igs"), "county_id"),
                        (("probe", "register", "--name", "Sonde", "--county", "birkenfeld"), "county"),
                        (("probe", "register", "--name", "Sonde", "--school", "41090"), "school")):
        refused = run_cli(*args, env=env)
        assert refused.returncode == 1 and refused.stderr == f"schoolit: error: {field}: the county is retired\n", args
    school = ok("school", "create", "--county", "kusel", "--number", "41003", "--name", "Realschule plus Kusel",
                "--type", "realschule_plus", "--pupils", "420", env=env)
    assert school.startswith("created school 41003 'Realschule plus Kusel' in Landkreis Kusel (Pfalz)")
    bad = run_cli("school", "create", "--county", "kusel", "--number", "41003", "--name", "Doppelt",
                  "--type", "igs", "--postal-code", "6686", env=env)
    assert bad.returncode == 1 and bad.stderr == "schoolit: error: postal_code: five digits\n"
    twice = run_cli("school", "create", "--county", "kusel", "--number", "41003", "--name", "Doppelt",
                    "--type", "igs", env=env)
    assert twice.returncode == 1 and twice.stderr == "schoolit: error: school_number: already in use\n"
    assert "41003  realschule_plus" in ok("school", "list", "--county", "kusel", env=env)
    counties = ok("county", "list", env=env)
    assert "verbund" in counties and "Landkreis Kusel (Pfalz)" in counties
    unknown = run_cli("county", "retire", "gibt-es-nicht", env=env)
    assert unknown.returncode == 1 and unknown.stderr.strip() == "schoolit: error: unknown county 'gibt-es-nicht'"
    led = run_cli("county", "retire", "donnersbergkreis", env=env)
    assert led.returncode == 1 and "leads the arrangement" in led.stderr


SECRET = "Kreis-Client-Geheimnis-2026"
OTHER_SECRET = "Zweites-Geheimnis-aus-Datei"
KREIS = ["--label", "Kreisverwaltung", "--issuer", "https://login.kreis.example/realms/schule", "--client-id",
         "schoolit"]


def sso_ok(*args: str, env: dict[str, str], input_text: str | None = None) -> str:
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
    assert "no sign-in providers yet" in sso_ok("sso", "providers", env=env)
    no_secret = run_cli("sso", "oidc", "kreis", *KREIS, env=env)
    assert no_secret.returncode == 1 and no_secret.stderr == "schoolit: error: secret: must not be empty\n"
    added = sso_ok("sso", "oidc", "kreis", *KREIS, "--client-secret-file", "-", env=env, input_text=SECRET + "\n")
    assert added.startswith("added OpenID Connect provider kreis 'Kreisverwaltung' (issuer "
                            "https://login.kreis.example/realms/schule, client schoolit, enabled); client secret "
                            "stored encrypted")
    assert "/sso/oidc/kreis/callback" in added
    encrypted = stored_secret(env)
    assert encrypted and SECRET not in encrypted
    listing = sso_ok("sso", "providers", env=env)
    assert "kreis" in listing and "oidc" in listing and "enabled" in listing and "secret stored" in listing

    # Options not given keep their value, and so does the secret.
    changed = sso_ok("sso", "oidc", "kreis", "--disable", "--scopes", "openid email groups", env=env)
    assert "changed OpenID Connect provider kreis 'Kreisverwaltung'" in changed and "disabled" in changed
    assert "client secret kept" in changed and stored_secret(env) == encrypted
    (config,) = rows(env, "SELECT config::text AS config, enabled FROM sign_in_provider WHERE name = 'kreis'")
    assert '"scopes": "openid email groups"' in config["config"] and config["enabled"] is False

    secret_file = tmp_path / "client-secret"
    secret_file.write_text(OTHER_SECRET + "\n", encoding="utf-8")
    sso_ok("sso", "oidc", "kreis", "--enable", "--client-secret-file", str(secret_file), env=env)
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

    assert "removed sign-in provider kreis" in sso_ok("sso", "remove", "kreis", env=env)
    assert "no sign-in providers yet" in sso_ok("sso", "providers", env=env)
    again = run_cli("sso", "remove", "kreis", env=env)
    assert again.returncode == 1 and again.stderr == "schoolit: error: unknown sign-in provider\n"
