"""SNMP profiles: secrets encrypted at rest, never in API answers, pages or the audit log, and yet
decryptable by the service the probes domain calls (`snmp_credentials`)."""

from __future__ import annotations

import httpx
import pytest

from schoolit.accounts.choices import Role
from schoolit.accounts.scope import Actor, Scope
from schoolit.accounts.tables import AuditEvent
from schoolit.errors import Forbidden, NotFound
from schoolit.inventory import services
from schoolit.inventory.tables import SnmpProfile
from tests.integration.accounts.test_login import login
from tests.integration.inventory.support import call, field_errors, obj
from tests.integration.inventory.world import SYSTEM
from tests.integration.world import World

COMMUNITY = "s3cr3t-community-kusel"


async def test_secrets_are_encrypted_and_never_returned(client: httpx.AsyncClient, world: World) -> None:
    created = await call(client, world, "verbund_supporter", "POST", "/snmp-profiles", {
        "county_id": world.counties["kusel"], "name": "Kusel v2c", "version": "2c", "community": COMMUNITY})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["has_community"] is True and COMMUNITY not in created.text
    assert set(body) == {"id", "county_id", "county_name", "name", "version", "has_community", "v3_user",
                         "auth_protocol", "priv_protocol", "created_at", "updated_at"}
    stored = await SnmpProfile.select(SnmpProfile.community_encrypted).where(SnmpProfile.id == body["id"]).first()
    assert stored is not None and COMMUNITY not in stored["community_encrypted"]
    listed = await call(client, world, "verbund_supporter", "GET", "/snmp-profiles")
    one = await call(client, world, "verbund_supporter", "GET", f"/snmp-profiles/{body['id']}")
    for response in (listed, one):
        assert COMMUNITY not in response.text and "auth-secret" not in response.text
    await login(client, "support@verbund.test.example")
    for path in ("/snmp-profiles", f"/snmp-profiles/{body['id']}/edit",
                 f"/snmp-profiles/{obj(world, 'snmp_profile', 'kus')}/edit",
                 f"/access-points/{obj(world, 'access_point', 'kus')}/edit"):
        page = await client.get(path)
        assert page.status_code == 200
        assert COMMUNITY not in page.text and "auth-secret-kus" not in page.text and "priv-secret" not in page.text
    audit = await AuditEvent.select(AuditEvent.before, AuditEvent.after).where(AuditEvent.object_type == "snmp_profile")
    assert audit and not any(COMMUNITY in str(a["after"]) or "secret-" in str(a["after"]) for a in audit)


async def test_credentials_are_decrypted_for_the_probes(world: World) -> None:
    credentials = await services.snmp_credentials(SYSTEM, obj(world, "snmp_profile", "kus"))
    assert (credentials.version, credentials.v3_user, credentials.auth_protocol) == ("3", "mon-kus", "SHA-256")
    assert (credentials.auth_key, credentials.priv_protocol, credentials.priv_key) == (
        "auth-secret-kus", "AES", "priv-secret-kus")
    assert "secret" not in repr(credentials)
    probe = Scope(role=Role.PROBE, actor=Actor(SYSTEM.actor.kind, label="probe"),
                  county_ids=frozenset({world.counties["donnersbergkreis"]}))
    assert (await services.snmp_credentials(probe, obj(world, "snmp_profile", "kib"))).priv_key == "priv-secret-kib"
    with pytest.raises(NotFound):
        await services.snmp_credentials(probe, obj(world, "snmp_profile", "kus"))
    reader = Scope(role=Role.AUTHORITY, actor=Actor(SYSTEM.actor.kind, label="authority"),
                   county_ids=frozenset({world.counties["donnersbergkreis"]}))
    with pytest.raises(Forbidden):
        await services.snmp_credentials(reader, obj(world, "snmp_profile", "kib"))


async def test_profile_rules(client: httpx.AsyncClient, world: World) -> None:
    v2c = await call(client, world, "admin", "POST", "/snmp-profiles", {
        "county_id": world.counties["kusel"], "name": "ohne", "version": "2c"})
    assert field_errors(v2c) == {"community": "required"}
    v3 = await call(client, world, "admin", "POST", "/snmp-profiles", {
        "county_id": world.counties["kusel"], "name": "kurz", "version": "3", "auth_protocol": "MD5",
        "auth_key": "kurz", "priv_protocol": "AES"})
    assert field_errors(v3) == {"v3_user": "required", "auth_protocol": "not one of the allowed values",
                                "auth_key": "at least 8 characters", "priv_key": "required"}
    taken = await call(client, world, "admin", "POST", "/snmp-profiles", {
        "county_id": world.counties["kusel"], "name": "PROFIL KUS", "version": "2c", "community": "public-ish"})
    assert field_errors(taken) == {"name": "already in use"}


async def test_empty_secrets_keep_the_stored_ones(client: httpx.AsyncClient, world: World) -> None:
    profile_id = obj(world, "snmp_profile", "kus")
    renamed = await call(client, world, "admin", "PATCH", f"/snmp-profiles/{profile_id}",
                         {"name": "Kusel v3", "auth_key": ""})
    assert renamed.status_code == 200, renamed.text
    credentials = await services.snmp_credentials(SYSTEM, profile_id)
    assert credentials.auth_key == "auth-secret-kus" and credentials.priv_key == "priv-secret-kus"
    rotated = await call(client, world, "admin", "PATCH", f"/snmp-profiles/{profile_id}", {"priv_key": "new-priv-key"})
    assert rotated.status_code == 200
    assert (await services.snmp_credentials(SYSTEM, profile_id)).priv_key == "new-priv-key"
    switched = await call(client, world, "admin", "PATCH", f"/snmp-profiles/{profile_id}",
                          {"version": "2c", "community": "community-now"})
    assert switched.json()["v3_user"] == "" and switched.json()["has_community"] is True
    assert (await services.snmp_credentials(SYSTEM, profile_id)).auth_key is None


async def test_only_the_network_team_sees_profiles(client: httpx.AsyncClient, world: World) -> None:
    for actor in ("donnersberg_authority", "school_contact"):
        response = await call(client, world, actor, "GET", "/snmp-profiles")
        assert response.status_code == 403
    ap = await call(client, world, "school_contact", "GET", f"/access-points/{obj(world, 'access_point', 'kib')}")
    assert ap.json()["snmp_profile_name"] == "Profil kib"  # which profile, never its secrets
