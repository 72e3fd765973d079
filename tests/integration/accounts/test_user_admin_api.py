"""User administration through the JSON API (`/api/v1/users/{id}`): the same services and rules as the
user page — edit role and scope by name, disable and enable, a one-time password-reset link, reset
the second factor — each audited; only roles that manage users reach it."""

from __future__ import annotations

import datetime as dt

import httpx

from schoolit.accounts.security import digest
from schoolit.accounts.tables import AuditEvent, PasswordReset, RecoveryCode, User, WebSession
from tests.integration.accounts.test_login import login
from tests.integration.accounts.test_two_factor import SUPPORTER, enrol
from tests.integration.world import World


async def _audited(action: str, user_id: int) -> int:
    return await AuditEvent.count().where((AuditEvent.action == action) & (AuditEvent.object_id == str(user_id)))


async def test_admin_reads_and_edits_a_user_by_name(client: httpx.AsyncClient, world: World) -> None:
    user_id = world.users["school_contact"]["id"]
    url = f"/api/v1/users/{user_id}"
    admin = world.auth("admin")
    shown = await client.get(url, headers=admin)
    assert shown.status_code == 200, shown.text
    assert shown.json()["user"]["role"] == "school" and shown.json()["two_factor_enrolled"] is False
    assert "password_hash" not in shown.text and "totp" not in shown.text
    await login(client, world.users["school_contact"]["email"])
    assert await WebSession.count().where(WebSession.user_id == user_id) == 1
    saved = await client.put(url, headers=admin, json={"display_name": "IT Kusel", "role": "authority",
                                                       "county": "kusel"})
    assert saved.status_code == 200, saved.text
    user = saved.json()["user"]
    assert (user["display_name"], user["role"], user["county_id"], user["school_id"]) == (
        "IT Kusel", "authority", world.counties["kusel"], None)
    row = await User.select(User.role, User.county_id, User.school_id).where(User.id == user_id).first()
    assert row == {"role": "authority", "county_id": world.counties["kusel"], "school_id": None}
    # What the user may see changed: their open sessions end, as on the page.
    assert await WebSession.count().where(WebSession.user_id == user_id) == 0
    assert await _audited("user.update", user_id) == 1
    assert (await client.get("/api/v1/users/999999", headers=admin)).status_code == 404


async def test_bad_input_names_every_field_and_changes_nothing(client: httpx.AsyncClient, world: World) -> None:
    user_id = world.users["school_contact"]["id"]
    url = f"/api/v1/users/{user_id}"
    admin = world.auth("admin")
    before = await User.select().where(User.id == user_id).first()
    bad = await client.put(url, headers=admin, json={"display_name": " ", "role": "emperor"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert {e["field"]: e["message"] for e in bad.json()["errors"]} == {
        "display_name": "must not be empty (at most 200 characters)", "role": "choose a role"}
    wrong_scope = await client.put(url, headers=admin, json={"display_name": "X", "role": "authority",
                                                             "arrangement": "verbund-donnersberg-kl-kus"})
    assert wrong_scope.status_code == 422 and [e["field"] for e in wrong_scope.json()["errors"]] == ["scope"]
    unknown = await client.put(url, headers=admin, json={"display_name": "X", "role": "authority",
                                                         "county": "atlantis"})
    assert unknown.status_code == 422 and [e["field"] for e in unknown.json()["errors"]] == ["county"]
    # The reasons are the catalog's sentences (German for a German caller), never the value echoed in English.
    assert wrong_scope.json()["errors"][0]["message"] == "a school authority belongs to one county"
    assert unknown.json()["errors"][0]["message"] == "unknown county"
    german = await client.put(url, headers={**admin, "accept-language": "de"},
                              json={"display_name": "X", "role": "authority", "county": "atlantis"})
    assert german.json()["errors"][0]["message"] == "unbekannter Landkreis"
    missing = await client.put(url, headers=admin, json={"role": "authority", "county": "kusel"})
    assert missing.status_code in (400, 422) and "display_name" in missing.text
    extra = await client.put(url, headers=admin, json={"display_name": "X", "role": "admin", "password": "x"})
    assert extra.status_code in (400, 422) and "password" in extra.text
    assert await User.select().where(User.id == user_id).first() == before
    assert await _audited("user.update", user_id) == 0


async def test_disable_and_enable_again(client: httpx.AsyncClient, world: World) -> None:
    user_id = world.users["school_contact"]["id"]
    admin = world.auth("admin")
    disabled = await client.post(f"/api/v1/users/{user_id}/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert (await client.get("/api/v1/me", headers=world.auth("school_contact"))).status_code == 401
    enabled = await client.post(f"/api/v1/users/{user_id}/enable", headers=admin)
    assert enabled.status_code == 200 and enabled.json()["active"] is True
    assert (await client.get("/api/v1/me", headers=world.auth("school_contact"))).status_code == 200
    again = await client.post(f"/api/v1/users/{user_id}/enable", headers=admin)  # nothing to do: not audited
    assert again.status_code == 200 and again.json()["active"] is True
    assert (await _audited("user.disable", user_id), await _audited("user.enable", user_id)) == (1, 1)


async def test_the_last_admin_and_oneself_are_refused(client: httpx.AsyncClient, world: World) -> None:
    admin_id = world.users["admin"]["id"]
    admin = world.auth("admin")
    demoted = await client.put(f"/api/v1/users/{admin_id}", headers=admin,
                               json={"display_name": "Admin", "role": "supporter", "county": "kusel"})
    assert demoted.status_code == 409 and "last active administrator" in demoted.json()["detail"]
    itself = await client.post(f"/api/v1/users/{admin_id}/disable", headers=admin)
    assert itself.status_code == 409
    assert (await User.select(User.role, User.active).where(User.id == admin_id).first()) == {
        "role": "admin", "active": True}


async def test_password_reset_link_works_once_and_is_stored_as_digest(client: httpx.AsyncClient,
                                                                      world: World) -> None:
    user_id = world.users["ludwigsburg_authority"]["id"]
    links_before = await _audited("user.password_reset_link", user_id)
    created = await client.post(f"/api/v1/users/{user_id}/password-reset", headers=world.auth("admin"))
    assert created.status_code == 201, created.text
    link = created.json()["link"]
    token = link.rsplit("/", 1)[1]
    assert link.endswith(f"/password-reset/{token}") and created.json()["user_id"] == user_id
    stored = await PasswordReset.select(PasswordReset.token_hash).where(PasswordReset.user_id == user_id)
    assert {r["token_hash"] for r in stored} >= {digest(token)} and token not in str(stored)
    assert (await client.get(f"/password-reset/{token}")).status_code == 200
    second = await client.post(f"/api/v1/users/{user_id}/password-reset", headers=world.auth("admin"))
    assert second.status_code == 201
    # A new link ends the old one (its expiry moves to the moment the new one was made).
    old = await PasswordReset.select(PasswordReset.expires_at).where(PasswordReset.token_hash == digest(token)).first()
    assert old is not None and old["expires_at"] < dt.datetime.fromisoformat(second.json()["expires_at"]) - \
        dt.timedelta(hours=47)
    assert await _audited("user.password_reset_link", user_id) == links_before + 2
    events = await AuditEvent.select(AuditEvent.after).where(AuditEvent.action == "user.password_reset_link")
    assert token not in str(events)


async def test_admin_resets_a_second_factor(client: httpx.AsyncClient, world: World) -> None:
    await enrol(client, SUPPORTER)
    user_id = world.users["verbund_supporter"]["id"]
    shown = await client.get(f"/api/v1/users/{user_id}", headers=world.auth("admin"))
    assert shown.json()["two_factor_enrolled"] is True and shown.json()["recovery_codes_left"] == 10
    reset = await client.post(f"/api/v1/users/{user_id}/two-factor/reset", headers=world.auth("admin"))
    assert reset.status_code == 200, reset.text
    assert reset.json()["two_factor_enrolled"] is False and reset.json()["recovery_codes_left"] == 0
    assert await RecoveryCode.count().where(RecoveryCode.user_id == user_id) == 0
    assert await _audited("user.totp_reset", user_id) == 1


async def test_only_user_managers_reach_user_administration(client: httpx.AsyncClient, world: World) -> None:
    """Managing users is the administrators' alone, and they are installation-wide: no role scoped to
    a county manages users, so a supporter or authority touches no user, neither their own county's
    nor a foreign one's (the access-matrix test checks every route the same way)."""
    own = world.users["donnersberg_authority"]["id"]
    foreign = world.users["ludwigsburg_authority"]["id"]
    events_before = await AuditEvent.count()
    for actor in ("verbund_supporter", "donnersberg_authority", "ludwigsburg_authority", "school_contact"):
        for user_id in (own, foreign):
            base = f"/api/v1/users/{user_id}"
            calls = [("GET", base, None), ("PUT", base, {"display_name": "X", "role": "admin"}),
                     ("POST", f"{base}/disable", None), ("POST", f"{base}/enable", None),
                     ("POST", f"{base}/password-reset", None), ("POST", f"{base}/two-factor/reset", None)]
            for method, url, body in calls:
                response = await client.request(method, url, headers=world.auth(actor), json=body)
                assert response.status_code == 403, (actor, method, url, response.status_code)
    assert await AuditEvent.count() == events_before
    assert (await User.select(User.role, User.active).where(User.id == own).first()) == {
        "role": "authority", "active": True}
