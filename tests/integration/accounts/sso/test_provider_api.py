"""Sign-in providers and mappings set up through the JSON API (`/api/v1/sign-in`), as a county's
script would: an OpenID provider configured this way signs people in at a real OpenID provider
(oidc-provider on Node.js); its client secret is stored encrypted and stands in no answer, audit row
or log line; bad settings are a 422 naming each field; only administrators reach it."""

from __future__ import annotations

import logging

import httpx
import pytest

from schoolit.accounts.sso.services import SECRETS
from schoolit.accounts.sso.tables import SignInMapping, SignInProvider
from schoolit.accounts.tables import AuditEvent
from tests.integration.accounts.sso.test_oidc import sign_in, user
from tests.integration.world import World
from tests.sso import oidc
from tests.sso.oidc import CLIENT_SECRET

PROVIDERS = "/api/v1/sign-in/providers"


async def _stored_secret(provider_id: int) -> str:
    row = await SignInProvider.select(SignInProvider.secret_encrypted).where(SignInProvider.id == provider_id).first()
    assert row is not None and row["secret_encrypted"]
    assert CLIENT_SECRET not in row["secret_encrypted"]  # encrypted at rest
    return str(SECRETS.decrypt(row["secret_encrypted"]))


async def test_a_provider_set_up_by_api_signs_people_in_and_keeps_its_secret(
        client: httpx.AsyncClient, identity_provider: str, world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    admin = world.auth("admin")
    created = await client.post(PROVIDERS, headers=admin, json={
        "name": "county", "label": "Portal county", "kind": "oidc", "secret": CLIENT_SECRET,
        "config": {"issuer": identity_provider, "client_id": oidc.HONEST, "scopes": "openid email profile groups"}})
    assert created.status_code == 201, created.text
    provider = created.json()
    assert provider["has_secret"] is True and provider["config"]["issuer"] == identity_provider
    assert CLIENT_SECRET not in created.text and "secret" not in provider
    assert await _stored_secret(provider["id"]) == CLIENT_SECRET
    mapping = await client.post("/api/v1/sign-in/mappings", headers=admin, json={
        "provider_id": provider["id"], "group_name": "schule-41001-it", "role": "school", "school": "41001"})
    assert mapping.status_code == 201, mapping.text
    assert mapping.json()["school_id"] == world.schools["kib"]["id"]
    mappings = await client.get("/api/v1/sign-in/mappings", headers=admin)
    assert mappings.status_code == 200
    assert [(m["group_name"], m["role"]) for m in mappings.json()["items"]
            if m["provider_id"] == provider["id"]] == [("schule-41001-it", "school")]

    assert (await sign_in(client, identity_provider, "lehrerin")).status_code == 303
    account = await user("lehrerin")
    assert account is not None and (account["role"], account["school_id"]) == ("school", world.schools["kib"]["id"])

    # A change without a secret keeps the stored one; the listing shows none.
    changed = await client.put(f"{PROVIDERS}/{provider['id']}", headers=admin, json={
        "name": "county", "label": "Kreisportal", "kind": "oidc", "enabled": False,
        "config": {"issuer": identity_provider, "client_id": oidc.HONEST, "scopes": "openid email profile groups"}})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["label"], changed.json()["enabled"]) == ("Kreisportal", False)
    assert await _stored_secret(provider["id"]) == CLIENT_SECRET
    listing = await client.get(PROVIDERS, headers=admin)
    assert listing.status_code == 200 and "county" in listing.text and CLIENT_SECRET not in listing.text
    events = await AuditEvent.select(AuditEvent.action, AuditEvent.before, AuditEvent.after).where(
        (AuditEvent.object_type == "sign_in_provider") & (AuditEvent.object_id == str(provider["id"]))
    ).order_by(AuditEvent.id)
    assert [e["action"] for e in events] == ["sign_in_provider.create", "sign_in_provider.update"]
    assert CLIENT_SECRET not in str(events)

    assert (await client.delete(f"/api/v1/sign-in/mappings/{mapping.json()['id']}", headers=admin)).status_code == 204
    assert (await client.delete(f"{PROVIDERS}/{provider['id']}", headers=admin)).status_code == 204
    assert not await SignInProvider.exists().where(SignInProvider.id == provider["id"])
    assert (await client.delete(f"{PROVIDERS}/{provider['id']}", headers=admin)).status_code == 404
    assert CLIENT_SECRET not in caplog.text


async def test_bad_settings_name_each_field(client: httpx.AsyncClient, world: World) -> None:
    admin = world.auth("admin")
    before = await SignInProvider.count()
    bad = await client.post(PROVIDERS, headers=admin, json={
        "name": "Kreis Portal", "label": "", "kind": "oidc", "secret": "",
        "config": {"issuer": "http://login.kreis.example", "client_id": " ", "scopes": "email",
                   "bind_dn": "CN=x"}})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert {e["field"]: e["message"] for e in bad.json()["errors"]} == {
        "name": "must be 1-40 lower-case letters, digits or dashes", "label": "must be 1-120 characters",
        "issuer": "must be an https:// address", "client_id": "must not be empty", "scopes": "must contain openid",
        "bind_dn": "not a setting of this kind of provider", "secret": "must not be empty"}
    kind = await client.post(PROVIDERS, headers=admin, json={"name": "x", "label": "X", "kind": "saml",
                                                             "secret": "s"})
    assert kind.status_code == 422 and [e["field"] for e in kind.json()["errors"]] == ["kind"]
    unknown = await client.post(PROVIDERS, headers=admin, json={"name": "x", "label": "X", "kind": "oidc",
                                                                "client_secret": "s"})
    assert unknown.status_code in (400, 422) and "client_secret" in unknown.text
    mapping = await client.post("/api/v1/sign-in/mappings", headers=admin, json={
        "provider_id": world.sign_in_provider_id, "group_name": "", "role": "school",  # type: ignore[attr-defined]
        "county": "kusel"})
    assert mapping.status_code == 422
    assert {e["field"] for e in mapping.json()["errors"]} == {"group_name", "scope"}
    assert await SignInProvider.count() == before
    assert await SignInMapping.count().where(SignInMapping.group_name == "") == 0


async def test_only_administrators_configure_sign_in(client: httpx.AsyncClient, world: World) -> None:
    provider_id = world.sign_in_provider_id  # type: ignore[attr-defined]
    body = {"name": "evil", "label": "Evil", "kind": "oidc", "secret": "s",
            "config": {"issuer": "https://evil.example", "client_id": "c"}}
    for actor in ("verbund_supporter", "ludwigsburg_authority", "school_contact"):
        headers = world.auth(actor)
        assert (await client.get(PROVIDERS, headers=headers)).status_code == 403
        assert (await client.post(PROVIDERS, headers=headers, json=body)).status_code == 403
        assert (await client.put(f"{PROVIDERS}/{provider_id}", headers=headers, json=body)).status_code == 403
        assert (await client.delete(f"{PROVIDERS}/{provider_id}", headers=headers)).status_code == 403
    assert (await client.get(PROVIDERS)).status_code == 401
    assert not await SignInProvider.exists().where(SignInProvider.name == "evil")
