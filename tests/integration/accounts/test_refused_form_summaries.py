"""The accounts pages' forms are refused like the inventory's (`error_summary` of web/_form.html, built by
`form_flow.form_summary`): "Bitte korrigieren:" on top of the form, focused when the page loads, each refused
field's German label and reason as a link to its input (in the order of the form), a refusal of the whole form
as a sentence; nothing is written."""

from __future__ import annotations

import re

import httpx

from schoolit.accounts.tables import County, User
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.world import World


def summary(page: str) -> tuple[str, list[tuple[str, str, str]], list[str]]:
    """The refused form's summary: its opening tag, its links (field, label, reason) and its sentences."""
    found = re.search(r'(<div class="flash error error-summary"[^>]*>)(.*?)</div>', page, re.S)
    assert found, page[:3000]
    links = re.findall(r'<li><a href="#field-([^"]+)">([^<]+)</a>: ([^<]+)</li>', found.group(2))
    sentences = re.findall(r"<li>([^<]+)</li>", found.group(2))
    for field, _label, reason in links:  # each link leads to its input, whose reason stands at it too
        assert re.search(rf'<(input|select|textarea) [^>]*id="field-{re.escape(field)}"', page), field
        assert f'data-field="{field}">{reason}<' in page, field
    assert 'role="alert"' in found.group(1) and "autofocus" in found.group(1) and page.count("autofocus") == 1
    assert ("Bitte korrigieren:" in found.group(2)) == bool(links)
    return found.group(1), links, sentences


async def test_the_user_edit_form_opens_a_refusal_with_its_summary(client: httpx.AsyncClient, world: World) -> None:
    # The new-user form: tests/integration/accounts/test_admin_pages.py (its refused form's summary).
    await login(client, "admin@test.example")
    token = await csrf_token(client, "/admin/users")
    user_id = (await User.select(User.id).where(User.email == "it@kib.test.example").first())["id"]
    edit = await client.post(f"/admin/users/{user_id}", data={"_csrf_token": token, "display_name": "",
                                                                "role": "school", "school": "41001"})
    assert edit.status_code == 422
    assert [(f, label) for f, label, _reason in summary(edit.text)[1]] == [("display_name", "Name")]


async def test_the_password_form_opens_a_refusal_with_its_summary(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "it@kib.test.example")
    refused = await client.post("/account/password", data={
        "_csrf_token": await csrf_token(client, "/account"), "current_password": "falsch",
        "new_password": "kurz", "repeat_password": "anders"})
    assert refused.status_code == 422
    # The handler's own check (two passwords that differ) refuses before the service looks at the others.
    assert summary(refused.text)[1] == [
        ("repeat_password", "Neues Passwort wiederholen", "die beiden Passwörter unterscheiden sich")]


async def test_the_county_and_arrangement_forms_open_a_refusal_with_their_summary(client: httpx.AsyncClient,
                                                                                   world: World) -> None:
    await login(client, "admin@test.example")
    token = await csrf_token(client, "/admin/counties")
    before = await County.count()
    county = await client.post("/admin/counties", data={"_csrf_token": token, "name": "Landkreis Kusel",
                                                        "slug": "Bad Kreuznach", "ags": "713", "state": "RP"})
    assert county.status_code == 422 and await County.count() == before
    assert [(field, label) for field, label, _reason in summary(county.text)[1]] == [
        ("name", "Name"), ("slug", "Kurzname (Slug)"), ("ags", "Gemeindeschlüssel (AGS)")]
    arrangement = await client.post("/admin/arrangements", data={"_csrf_token": token, "name": "",
                                                                 "slug": "X Y", "share_rule": "schools"})
    assert arrangement.status_code == 422
    assert [field for field, _label, _reason in summary(arrangement.text)[1]][:2] == ["name", "slug"]
    dbk, kusel = world.counties["donnersbergkreis"], world.counties["kusel"]
    page = f"/admin/arrangements/{world.arrangement_id}"
    short = await client.post(page, data={"_csrf_token": token, "name": "", "lead_county": str(dbk),
                                          "share_rule": "fixed", f"share_{dbk}": "50", f"share_{kusel}": "10"})
    assert short.status_code == 422
    _opening, links, _sentences = summary(short.text)
    assert links[0][:2] == ("name", "Name")
    assert re.search(r'<input name="name" id="field-name"[^>]* value=""', short.text)  # as typed: empty


async def test_the_sign_in_provider_form_opens_a_refusal_with_its_summary(client: httpx.AsyncClient,
                                                                          world: World) -> None:
    await login(client, "admin@test.example")
    refused = await client.post("/admin/sign-in/providers", data={
        "_csrf_token": await csrf_token(client, "/admin/sign-in"), "kind": "ldap", "name": "Kreis AD!",
        "label": "", "url": "http://dc1.kreis.example"})
    assert refused.status_code == 422
    # In the order of the form, by the labels the form shows.
    assert [(field, label) for field, label, _reason in summary(refused.text)[1]] == [
        ("name", "Kurzname (Buchstaben, Ziffern, Bindestriche; steht in Adressen)"),
        ("label", "Bezeichnung auf der Anmeldeseite"), ("secret", "Passwort des Dienstkontos oder Client-Secret"),
        ("url", "Serveradresse (ldaps:// oder ldap:// mit StartTLS)"), ("bind_dn", "Dienstkonto (Bind-DN)"),
        ("base_dn", "Suchbasis für Personen")]
    mapping = await client.post("/admin/sign-in/mappings", data={
        "_csrf_token": await csrf_token(client, "/admin/sign-in"), "provider": "", "group_name": "",
        "role": "school", "position": "erste"})
    assert mapping.status_code == 422
    assert "group_name" in [field for field, _label, _reason in summary(mapping.text)[1]]
