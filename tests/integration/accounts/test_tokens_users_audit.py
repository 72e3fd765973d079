"""API tokens, user management and the append-only audit log."""

from __future__ import annotations

import datetime as dt

import asyncpg
import httpx
import pytest

from schoolit.accounts.scope import Scope
from schoolit.accounts.tables import ApiToken, AuditEvent, Probe, User
from schoolit.accounts.tokens import create_token, scope_for_token
from schoolit.db import atomic
from schoolit.sql import fetch
from tests.integration.world import World


async def test_bearer_token_identifies_the_caller(client: httpx.AsyncClient, world: World) -> None:
    me = await client.get("/api/v1/me", headers=world.auth("verbund_supporter"))
    assert me.status_code == 200
    body = me.json()
    assert body["role"] == "supporter" and body["actor_kind"] == "token"
    assert body["county_ids"] == sorted(world.counties[s] for s in ("donnersbergkreis", "kaiserslautern", "kusel"))
    assert (await client.get("/api/v1/me")).status_code == 401
    bad = await client.get("/api/v1/me", headers={"authorization": "Bearer sit_not-a-real-token"})
    assert bad.status_code == 401
    assert bad.headers["content-type"].startswith("application/problem+json")


async def test_revoked_and_expired_tokens_are_401(client: httpx.AsyncClient, world: World) -> None:
    headers = world.auth("ludwigsburg_authority")
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    revoked = await client.delete(f"/api/v1/tokens/{world.token_ids['ludwigsburg_authority']}", headers=headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401

    token, row = await create_token(Scope.system("test"), user_id=world.users["school_contact"]["id"], name="short",
                                    expires_days=1)
    auth = {"authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=auth)).status_code == 200
    await ApiToken.update({ApiToken.expires_at: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)}).where(
        ApiToken.id == row["id"])
    assert (await client.get("/api/v1/me", headers=auth)).status_code == 401


async def test_token_of_disabled_user_stops_working(client: httpx.AsyncClient, world: World) -> None:
    user_id = world.users["school_contact"]["id"]
    response = await client.post(f"/api/v1/users/{user_id}/disable", headers=world.auth("admin"))
    assert response.status_code == 200 and response.json()["active"] is False
    assert await scope_for_token(world.tokens["school_contact"]) is None
    assert (await client.get("/api/v1/me", headers=world.auth("school_contact"))).status_code == 401


async def test_a_probe_token_acts_as_its_active_probe(client: httpx.AsyncClient, world: World) -> None:
    scope = await scope_for_token(world.tokens["probe"])
    assert scope is not None and scope.actor.id == world.probe_id and scope.actor.token_id == world.token_ids["probe"]
    assert scope.county_ids == {world.counties["donnersbergkreis"]} and scope.school_id is None
    assert scope.actor.label == "probe:Sonde Kirchheimbolanden"
    await Probe.update({Probe.active: False}).where(Probe.id == world.probe_id)
    assert await scope_for_token(world.tokens["probe"]) is None
    assert (await client.get("/api/v1/probe/targets", headers=world.auth("probe"))).status_code == 401
    await Probe.update({Probe.active: True}).where(Probe.id == world.probe_id)
    assert (await client.get("/api/v1/probe/targets", headers=world.auth("probe"))).status_code == 200
    await ApiToken.update({ApiToken.revoked_at: dt.datetime.now(dt.UTC)}).where(
        ApiToken.id == world.token_ids["probe"])
    assert await scope_for_token(world.tokens["probe"]) is None


async def test_only_the_digest_of_a_token_is_stored(client: httpx.AsyncClient, world: World) -> None:
    created = await client.post("/api/v1/tokens", json={"name": "Laptop", "expires_days": 30},
                                headers=world.auth("verbund_supporter"))
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("sit_") and created.json()["details"]["prefix"] == token[:12]
    rows = await fetch("SELECT * FROM api_token WHERE id = {}", created.json()["details"]["id"])
    assert token not in repr(rows)
    listed = await client.get("/api/v1/tokens", headers=world.auth("verbund_supporter"))
    assert token not in listed.text and "token_hash" not in listed.text
    assert {t["name"] for t in listed.json()["items"]} == {"verbund_supporter test", "Laptop"}


async def test_passwords_are_argon2id_hashes(client: httpx.AsyncClient, world: World) -> None:
    created = await client.post("/api/v1/users", headers=world.auth("admin"), json={
        "email": "Neu@Schule.example", "display_name": "Neue Kollegin", "role": "school", "school": "41002"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["user"]["email"] == "neu@schule.example"
    assert body["user"]["school_id"] == world.schools["rok"]["id"]
    password = body["generated_password"]
    row = await User.select(User.password_hash).where(User.email == "neu@schule.example").first()
    assert row is not None
    assert row["password_hash"].startswith("$argon2id$v=19$")
    assert password not in row["password_hash"]
    assert "password_hash" not in created.text


async def test_user_validation_lists_every_field(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post("/api/v1/users", headers=world.auth("admin"), json={
        "email": "not-an-address", "display_name": " ", "role": "authority", "county": "atlantis",
        "password": "short"})
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(errors) == {"email", "display_name", "county", "password"}
    assert not await User.exists().where(User.email == "not-an-address")
    duplicate = await client.post("/api/v1/users", headers=world.auth("admin"), json={
        "email": "ADMIN@test.example", "display_name": "Again", "role": "admin"})
    assert duplicate.status_code == 409
    wrong_scope = await client.post("/api/v1/users", headers=world.auth("admin"), json={
        "email": "x@test.example", "display_name": "X", "role": "authority",
        "arrangement": "verbund-donnersberg-kl-kus"})
    assert wrong_scope.status_code == 422
    assert wrong_scope.json()["errors"][0]["field"] == "scope"


async def test_database_rejects_inconsistent_scopes(world: World) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        async with atomic():
            await User.insert(User(email="auth@x.example", display_name="A", role="authority"))
    with pytest.raises(asyncpg.CheckViolationError):
        async with atomic():
            await User.insert(User(email="Upper@x.example", display_name="A", role="admin"))


async def test_audit_log_rejects_update_delete_and_truncate(client: httpx.AsyncClient, world: World) -> None:
    """The app's role may not (tests/integration/accounts/test_audit_roles.py: the owner's trigger too)."""
    await client.post(f"/api/v1/users/{world.users['school_contact']['id']}/disable", headers=world.auth("admin"))
    assert await AuditEvent.count() > 0
    for statement in ("UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            async with atomic():
                await fetch(statement)


async def test_changes_are_audited_with_secrets_redacted(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post("/api/v1/users", headers={**world.auth("admin"), "x-request-id": "req-audit-1"},
                                 json={"email": "kollege@test.example", "display_name": "K", "role": "supporter",
                                       "county": "kusel", "password": "a sufficiently long secret"})
    assert response.status_code == 201
    event = await AuditEvent.select().where(AuditEvent.action == "user.create").output(load_json=True).first()
    assert event is not None
    assert event["actor_kind"] == "token" and event["actor_label"] == "admin@test.example"
    assert event["county_id"] == world.counties["kusel"]
    assert event["request_id"] == "req-audit-1"
    assert event["after"]["email"] == "kollege@test.example"
    raw = await fetch("SELECT after::text AS after FROM audit_log WHERE id = {}", event["id"])
    assert "a sufficiently long secret" not in raw[0]["after"] and "argon2" not in raw[0]["after"]


async def test_audit_browsing_is_scoped_and_filtered(client: httpx.AsyncClient, world: World) -> None:
    admin = world.auth("admin")
    for county, email in (("donnersbergkreis", "a1@test.example"), ("ludwigsburg", "b1@test.example")):
        response = await client.post("/api/v1/users", headers=admin, json={
            "email": email, "display_name": email, "role": "authority", "county": county})
        assert response.status_code == 201
    lb = await client.get("/api/v1/audit", params={"action": "user.create"},
                          headers=world.auth("ludwigsburg_authority"))
    assert lb.status_code == 200
    assert [e["after"]["email"] for e in lb.json()["items"]] == ["b1@test.example"]
    assert "a1@test.example" not in lb.text
    everything = await client.get("/api/v1/audit", params={"action": "user.create"}, headers=admin)
    assert {e["after"]["email"] for e in everything.json()["items"]} == {"a1@test.example", "b1@test.example"}
    by_actor = await client.get("/api/v1/audit", params={"actor": "admin@", "object_type": "user"}, headers=admin)
    assert by_actor.json()["total"] == 2
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    none_yet = await client.get("/api/v1/audit", params={"since": future}, headers=admin)
    assert none_yet.json() == {"items": [], "total": 0}
    page = await client.get("/audit", params={"object_type": "user"}, headers={**world.auth("ludwigsburg_authority"),
                                                                                "accept": "text/html"})
    assert page.status_code == 200 and "b1@test.example" not in page.text  # labels show the actor, not the object
    forbidden = await client.get("/api/v1/audit", headers=world.auth("verbund_supporter"))
    assert forbidden.status_code == 403


async def test_audit_json_of_a_one_statement_write_redacts_what_record_redacts() -> None:
    """`audit.json_sql` (before/after of a write audited inside one statement) hides secret columns
    as `audit.record` does: a value becomes '***', NULL and '' stay."""
    import msgspec

    from schoolit.accounts.audit import json_sql

    rows = await fetch(f"SELECT {json_sql(['name', 'community_encrypted', 'snmp_profile_id'], 't')} AS j "  # noqa: S608
                       "FROM (VALUES ('Profil', 'gAAAA-secret', 5), ('Leer', '', 6), ('Ohne', NULL, 7)) "
                       "AS t (name, community_encrypted, snmp_profile_id) ORDER BY t.snmp_profile_id")
    assert [msgspec.json.decode(row["j"]) for row in rows] == [
        {"name": "Profil", "community_encrypted": "***", "snmp_profile_id": 5},
        {"name": "Leer", "community_encrypted": "", "snmp_profile_id": 6},
        {"name": "Ohne", "community_encrypted": None, "snmp_profile_id": 7},
    ]
