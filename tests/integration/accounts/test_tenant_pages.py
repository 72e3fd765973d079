"""Admin pages and API for counties and arrangements: German forms with field errors, refusals that
say why, admins only, and the navigation entry."""

from __future__ import annotations

import html

import httpx

from schoolit.accounts.tables import Arrangement, ArrangementMember, County, User
from schoolit.web.templating import sentence
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.world import World


async def test_admin_creates_renames_and_cannot_retire_a_busy_county(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    page = await client.get("/admin/counties")
    assert page.status_code == 200
    assert "Neuer Landkreis" in page.text and "Landkreis Kusel" in page.text and 'href="/admin/counties"' in page.text
    token = await csrf_token(client, "/admin/counties")
    before = await County.count()
    bad = await client.post("/admin/counties", data={"_csrf_token": token, "name": "Landkreis Kusel",
                                                     "slug": "Bad Kreuznach", "ags": "713", "state": "RP"})
    assert bad.status_code == 422
    assert "bereits vergeben" in bad.text and "Kleinbuchstaben, Ziffern und Bindestriche" in bad.text
    assert "fünf Ziffern" in bad.text and await County.count() == before
    created = await client.post("/admin/counties", data={"_csrf_token": token, "name": "Landkreis Bad Kreuznach",
                                                         "slug": "bad-kreuznach", "ags": "07133", "seat": "",
                                                         "state": "RP"})
    assert created.status_code == 303
    county_page = await client.get(created.headers["location"])
    assert "Landkreis angelegt" in county_page.text
    county_id = int(created.headers["location"].split("/")[3].split("?")[0])
    renamed = await client.post(f"/admin/counties/{county_id}", data={
        "_csrf_token": token, "name": "Kreis Bad Kreuznach", "slug": "bad-kreuznach", "ags": "07133", "seat": "",
        "state": "RP"})
    assert renamed.status_code == 303
    assert (await County.select(County.name).where(County.id == county_id).first()) == {"name": "Kreis Bad Kreuznach"}
    busy = await client.post(f"/admin/counties/{world.counties['kusel']}/retire", data={"_csrf_token": token})
    assert busy.status_code == 409 and "Der Landkreis hat noch offene Tickets: " in busy.text
    retired = await client.post(f"/admin/counties/{county_id}/retire", data={"_csrf_token": token})
    assert retired.status_code == 303
    assert "stillgelegt" in (await client.get(retired.headers["location"])).text


async def test_admin_manages_an_arrangement_on_its_page(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    token = await csrf_token(client, "/admin/arrangements")
    arrangement = world.arrangement_id
    kusel, dbk = world.counties["kusel"], world.counties["donnersbergkreis"]
    page = await client.get(f"/admin/arrangements/{arrangement}")
    assert page.status_code == 200 and "federführend" in page.text
    lead = await client.post(f"/admin/arrangements/{arrangement}/members/{dbk}/remove", data={"_csrf_token": token})
    assert lead.status_code == 422 and "federführende Landkreis muss Mitglied" in lead.text
    removed = await client.post(f"/admin/arrangements/{arrangement}/members/{kusel}/remove",
                                data={"_csrf_token": token})
    assert removed.status_code == 303
    assert not await ArrangementMember.exists().where(ArrangementMember.county_id == kusel)
    added = await client.post(f"/admin/arrangements/{arrangement}/members", data={"_csrf_token": token,
                                                                                  "county": str(kusel)})
    assert added.status_code == 303
    short = await client.post(f"/admin/arrangements/{arrangement}", data={
        "_csrf_token": token, "name": "Verbund", "lead_county": str(dbk), "share_rule": "fixed",
        f"share_{dbk}": "50", f"share_{kusel}": "10"})
    assert short.status_code == 422 and "zusammen 100" in short.text
    saved = await client.post(f"/admin/arrangements/{arrangement}", data={
        "_csrf_token": token, "name": "Verbund", "lead_county": str(kusel), "share_rule": "fixed",
        f"share_{dbk}": "50", f"share_{kusel}": "25,5", f"share_{world.counties['kaiserslautern']}": "24.5"})
    assert saved.status_code == 303
    listing = await client.get("/admin/arrangements")
    assert "fester Prozentsatz je Landkreis" in listing.text and "Verbund" in listing.text


async def test_only_admins_reach_the_tenant_pages_and_api(client: httpx.AsyncClient, world: World) -> None:
    supporter = world.auth("verbund_supporter")
    assert (await client.get("/admin/counties", headers=supporter)).status_code == 403
    assert (await client.post("/api/v1/counties", headers=supporter, json={"name": "X"})).status_code == 403
    await login(client, "support@verbund.test.example")
    home = await client.get("/")
    assert 'href="/admin/counties"' not in home.text


async def test_api_creates_counties_and_arrangements(client: httpx.AsyncClient, world: World) -> None:
    admin = world.auth("admin")
    taken = await client.post("/api/v1/counties", headers=admin,
                              json={"name": "Neu", "slug": "kusel", "ags": "07336"})
    assert taken.status_code == 422
    assert {e["field"] for e in taken.json()["errors"]} == {"slug", "ags"}
    created = await client.post("/api/v1/counties", headers=admin,
                                json={"name": "Landkreis Bad Kreuznach", "slug": "bad-kreuznach", "ags": "07133"})
    assert created.status_code == 201 and created.json()["retired"] is False
    county_id = created.json()["id"]
    changed = await client.patch(f"/api/v1/counties/{county_id}", headers=admin, json={"seat": "Bad Kreuznach"})
    assert changed.status_code == 200 and changed.json()["seat"] == "Bad Kreuznach"
    arrangement = await client.post("/api/v1/arrangements", headers=admin, json={
        "name": "Verbund Nahe", "slug": "verbund-nahe", "lead_county_id": county_id})
    assert arrangement.status_code == 201, arrangement.text
    assert [m["county_id"] for m in arrangement.json()["members"]] == [county_id]
    busy = await client.post(f"/api/v1/counties/{world.counties['kusel']}/retire", headers=admin)
    assert busy.status_code == 409 and "open tickets" in busy.json()["detail"]


async def test_admin_dissolves_an_arrangement_once_no_user_is_scoped_to_it(client: httpx.AsyncClient,
                                                                          world: World) -> None:
    await login(client, "admin@test.example")
    token = await csrf_token(client, "/admin/arrangements")
    scoped = await User.count().where(User.arrangement_id == world.arrangement_id)
    page = await client.get(f"/admin/arrangements/{world.arrangement_id}")
    assert "Verbund auflösen" in page.text
    busy = await client.post(f"/admin/arrangements/{world.arrangement_id}/dissolve", data={"_csrf_token": token})
    assert busy.status_code == 409 and f"Dem Verbund zugeordnete Benutzer: {scoped};" in busy.text
    assert await Arrangement.exists().where(Arrangement.id == world.arrangement_id)
    admin = world.auth("admin")
    api_busy = await client.post(f"/api/v1/arrangements/{world.arrangement_id}/dissolve", headers=admin)
    assert api_busy.status_code == 409 and f"users scoped to the arrangement: {scoped};" in api_busy.json()["detail"]
    in_german = await client.post(f"/api/v1/arrangements/{world.arrangement_id}/dissolve",
                                  headers=world.auth_only("admin"))
    assert f"dem Verbund zugeordnete Benutzer: {scoped};" in in_german.json()["detail"]
    # The page and the API in one wording, the page's as a sentence of its own.
    assert html.escape(sentence(in_german.json()["detail"])) in busy.text
    county = await client.post("/api/v1/counties", headers=admin,
                               json={"name": "Landkreis Bad Kreuznach", "slug": "bad-kreuznach", "ags": "07133"})
    county_id = county.json()["id"]
    for path in ("/api/v1", "/admin"):
        made = await client.post("/api/v1/arrangements", headers=admin, json={
            "name": "Verbund Nahe", "slug": "verbund-nahe", "lead_county_id": county_id})
        arrangement_id = made.json()["id"]
        if path == "/api/v1":
            gone = await client.post(f"/api/v1/arrangements/{arrangement_id}/dissolve", headers=admin)
            assert gone.status_code == 200 and [m["county_id"] for m in gone.json()["members"]] == [county_id]
        else:
            gone = await client.post(f"/admin/arrangements/{arrangement_id}/dissolve", data={"_csrf_token": token})
            assert gone.status_code == 303
            assert gone.headers["location"] == "/admin/arrangements?done=arrangement-dissolved"
            assert "Verbund aufgelöst" in (await client.get(gone.headers["location"])).text
        assert not await Arrangement.exists().where(Arrangement.id == arrangement_id)
        assert not await ArrangementMember.exists().where(ArrangementMember.county_id == county_id)
