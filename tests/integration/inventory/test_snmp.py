"""SNMP profiles: secrets encrypted at rest, never in API answers, pages or the audit log, and yet
decryptable by the service the probes domain calls (`snmp_credentials`)."""

from __future__ import annotations

import re

import httpx
import pytest

from schoolit.accounts.choices import Role
from schoolit.accounts.scope import Actor, Scope
from schoolit.accounts.tables import AuditEvent
from schoolit.errors import Forbidden, NotFound
from schoolit.inventory import services
from schoolit.inventory.resources import KINDS
from schoolit.inventory.schemas import SnmpProfileOut
from schoolit.inventory.tables import SnmpProfile
from tests.integration.accounts.test_login import csrf_token, login
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


SECRETS = ("auth-secret-kus", "priv-secret-kus", "auth-secret-kib", "priv-secret-kib", COMMUNITY)
HTMX = {"hx-request": "true"}


def _form_errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-field="([^"]+)">([^<]+)<', html))


async def test_no_answer_page_or_export_carries_a_secret(client: httpx.AsyncClient, world: World) -> None:
    """The world's v3 profiles (their keys `auth-secret-…`, `priv-secret-…`) are used by access points
    and uplinks; a v2c profile with COMMUNITY beside them."""
    v2c = await call(client, world, "admin", "POST", "/snmp-profiles", {
        "county_id": world.counties["kusel"], "name": "Kusel v2c", "version": "2c", "community": COMMUNITY})
    assert v2c.status_code == 201
    assert not {"community", "auth_key", "priv_key"} & set(SnmpProfileOut.__struct_fields__)
    answers = [await call(client, world, "admin", "GET", "/snmp-profiles", q="kus"),
               await call(client, world, "admin", "GET", f"/snmp-profiles/{obj(world, 'snmp_profile', 'kus')}"),
               await call(client, world, "admin", "PATCH", f"/snmp-profiles/{obj(world, 'snmp_profile', 'kus')}",
                          {"auth_key": "auth-secret-kus"})]
    for kind in KINDS:
        answers.append(await client.get(f"/api/v1/export/{kind}", headers=world.auth("admin")))
        assert answers[-1].status_code == 200, kind
    answers.append(await client.get("/api/v1/export/funding-proof-items.csv", headers=world.auth("admin")))
    await login(client, "support@verbund.test.example")
    for path in ("/snmp-profiles", "/snmp-profiles/new", f"/snmp-profiles/{v2c.json()['id']}/edit",
                 f"/snmp-profiles/{obj(world, 'snmp_profile', 'kib')}/edit",
                 f"/uplinks/{obj(world, 'uplink', 'kus')}/edit", f"/access-points/{obj(world, 'access_point', 'kib')}"):
        answers.append(await client.get(path))
        assert answers[-1].status_code == 200, path
    # A form shown again with its errors does not echo the secret typed into it.
    url = "/snmp-profiles/new"
    again = await client.post(url, headers=HTMX, data={"_csrf_token": await csrf_token(client, url), "name": "",
                                                       "county_id": str(world.counties["kusel"]), "version": "2c",
                                                       "community": "typed-community-1"})
    assert again.status_code == 422 and _form_errors(again.text) == {"name": "Pflichtfeld"}
    assert "typed-community-1" not in again.text
    for answer in answers:
        assert answer.status_code == 200
        leaked = [secret for secret in SECRETS if secret in answer.text]
        assert leaked == [], (str(answer.url), leaked)


async def test_an_empty_secret_in_the_edit_form_keeps_the_stored_one(client: httpx.AsyncClient,
                                                                     world: World) -> None:
    profile_id = obj(world, "snmp_profile", "kib")
    await login(client, "support@verbund.test.example")
    url = f"/snmp-profiles/{profile_id}/edit"
    form = await client.get(url)
    assert re.findall(r'<input name="(auth_key|priv_key)" value=""', form.text) == ["auth_key", "priv_key"]
    saved = await client.post(url, data={"_csrf_token": await csrf_token(client, url), "name": "Profil kib neu",
                                         "version": "3", "v3_user": "mon-kib", "auth_protocol": "SHA-256",
                                         "auth_key": "", "priv_protocol": "AES", "priv_key": ""})
    assert saved.status_code == 303, saved.text
    credentials = await services.snmp_credentials(SYSTEM, profile_id)
    assert (credentials.auth_key, credentials.priv_key) == ("auth-secret-kib", "priv-secret-kib")
    assert (await services.get_snmp_profile(SYSTEM, profile_id))["name"] == "Profil kib neu"


async def test_a_profile_the_probe_cannot_poll_is_refused_in_german_on_api_and_form(
        client: httpx.AsyncClient, world: World) -> None:
    """Privacy named without its key, v3 without user and authentication, v2c without a community: each
    a 422 naming the field, the same rule (the description's `validate`) behind the API and the form."""
    german = {**world.auth("admin"), "accept-language": "de"}
    unpollable = ({"version": "3", "v3_user": "mon", "auth_protocol": "SHA-256", "auth_key": "auth-key-1",
                   "priv_protocol": "AES-256"},
                  {"version": "3", "priv_protocol": "AES"},
                  {"version": "2c", "v3_user": "mon"})
    expected = ({"priv_key": "Pflichtfeld"},
                {"v3_user": "Pflichtfeld", "auth_protocol": "Pflichtfeld", "auth_key": "Pflichtfeld",
                 "priv_key": "Pflichtfeld"},
                {"community": "Pflichtfeld"})
    before = await SnmpProfile.count()
    await login(client, "support@verbund.test.example")
    url = "/snmp-profiles/new"
    token = await csrf_token(client, url)
    for body, errors in zip(unpollable, expected, strict=True):
        api = await client.post("/api/v1/snmp-profiles", headers=german,
                                json={"county_id": world.counties["kusel"], "name": "Unbrauchbar", **body})
        assert api.status_code == 422, api.text
        problems = api.json()["errors"]
        assert {e["field"]: e["message"] for e in problems} == errors
        if "priv_key" in errors:
            assert next(e["label"] for e in problems if e["field"] == "priv_key") == "Verschlüsselungsschlüssel (v3)"
        form = await client.post(url, headers=HTMX, data={
            "_csrf_token": token, "county_id": str(world.counties["kusel"]), "name": "Unbrauchbar", **body})
        assert form.status_code == 422
        assert _form_errors(form.text) == errors
    assert await SnmpProfile.count() == before
    # Switching a v3 profile to v2c drops its keys: a community is needed then, the stored keys do not count.
    switched = await client.patch(f"/api/v1/snmp-profiles/{obj(world, 'snmp_profile', 'kus')}", headers=german,
                                  json={"version": "2c"})
    assert {e["field"]: e["message"] for e in switched.json()["errors"]} == {"community": "Pflichtfeld"}
