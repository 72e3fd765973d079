"""The audit page as supporters read it: each entry names its object as its domain calls it now (kind,
name, where it is) with a link to its page, a deleted object by kind and number; the filters offer each
kind once under a label of its own; a malformed date is answered at its field, in German."""

from __future__ import annotations

import csv
import io
import re

import httpx

from tests.integration.accounts.test_login import login
from tests.integration.inventory.support import call, obj
from tests.integration.world import World


def objects(html: str) -> list[str]:
    """The object cells of the audit table, as they stand in the HTML."""
    return re.findall(r'<td data-label="[^"]*" data-testid="audit-object">(.*?)</td>', html, re.DOTALL)


def options(html: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select name="{name}">(.*?)</select>', html, re.DOTALL)
    assert select is not None, name
    return [(code, label) for code, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>',
                                                         select.group(1)) if code]


async def test_entries_name_their_objects_and_link_their_pages(client: httpx.AsyncClient, world: World) -> None:
    ap, loan = obj(world, "access_point", "kib"), obj(world, "loan", "kib")
    await login(client, "admin@test.example")
    page = await client.get("/audit", params={"object_type": "access_point", "object_id": str(ap)})
    assert page.status_code == 200
    assert objects(page.text) == [
        f'<a href="/access-points/{ap}">Access Point „AP kib A101“ (Nordpfalzgymnasium Kirchheimbolanden)</a>']
    lent = await client.get("/audit", params={"object_type": "loan", "object_id": str(loan)})
    assert objects(lent.text) == [
        f'<a href="/loans/{loan}/agreement">Ausleihe „PFKIB0002“ (Nordpfalzgymnasium Kirchheimbolanden)</a>']
    assert "7b-" not in lent.text  # a loan is named by its device, never by its pupil reference
    kib = world.schools["kib"]["id"]
    school = await client.get("/audit", params={"object_type": "school", "object_id": str(kib)})
    assert f'<a href="/schools/{kib}">Schule „Nordpfalzgymnasium Kirchheimbolanden“ (41001)</a>' in objects(school.text)

    # A deleted object: kind and number, no link (its page is gone).
    room = await call(client, world, "admin", "POST", "/rooms", {"school_id": world.schools["kib"]["id"],
                                                                   "name": "Abstellraum"})
    assert room.status_code == 201, room.text
    room_id = room.json()["id"]
    assert (await call(client, world, "admin", "DELETE", f"/rooms/{room_id}")).status_code == 204
    gone = await client.get("/audit", params={"object_type": "room", "object_id": str(room_id)})
    assert objects(gone.text) == [f"Raum {room_id}", f"Raum {room_id}"]  # created, deleted

    # The CSV says what the page shows.
    exported = await client.get("/audit", params={"object_type": "access_point", "object_id": str(ap),
                                                  "format": "csv"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    column = rows[0].index("Objekt")
    assert [row[column] for row in rows[1:]] == ["Access Point „AP kib A101“ (Nordpfalzgymnasium Kirchheimbolanden)"]


async def test_an_authority_sees_names_in_its_scope_and_no_admin_pages(client: httpx.AsyncClient,
                                                                        world: World) -> None:
    await login(client, "st@dbk.test.example")
    ap = obj(world, "access_point", "kib")
    page = await client.get("/audit", params={"object_type": "access_point", "object_id": str(ap)})
    assert objects(page.text) == [
        f'<a href="/access-points/{ap}">Access Point „AP kib A101“ (Nordpfalzgymnasium Kirchheimbolanden)</a>']
    profile = obj(world, "snmp_profile", "kib")
    profiles = await client.get("/audit", params={"object_type": "snmp_profile", "object_id": str(profile)})
    assert objects(profiles.text) == ["SNMP-Profil „Profil kib“ (Donnersbergkreis)"]  # its edit page is not theirs
    users = await client.get("/audit", params={"object_type": "user"})
    assert users.status_code == 200 and "/admin/users/" not in users.text


async def test_the_filters_offer_each_kind_once_under_its_own_label(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    page = await client.get("/audit")
    for name in ("action", "object_type"):
        offered = options(page.text, name)
        codes, labels = [code for code, _ in offered], [label for _, label in offered]
        assert len(set(codes)) == len(codes) and len(set(labels)) == len(labels), (name, offered)
    actions = dict(options(page.text, "action"))
    assert actions["ticket_policy"] == "Support-Regeln" and "support_policy" not in actions
    assert actions["login"] == "Anmeldung" and "Access Point" in actions.values()
    object_types = dict(options(page.text, "object_type"))
    assert "support_policy" in object_types and "ticket_policy" not in object_types and "login" not in object_types
    chosen = await client.get("/audit", params={"action": "ticket_policy"})
    assert chosen.status_code == 200
    assert (await client.get("/audit", params={"action": "support_policy"})).status_code == 422


async def test_a_malformed_date_is_answered_at_its_field_in_german(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    page = await client.get("/audit", params={"since": "Silvester", "until": "2026-02-30", "actor": "admin"})
    assert page.status_code == 422
    assert "<h1>Protokoll</h1>" in page.text  # the audit page with its filters, not an error page
    assert re.search(r'name="since" value="Silvester" aria-invalid="true"', page.text)
    assert 'data-field="since">muss ein Datum wie 22.11.2026 sein<' in page.text
    assert 'data-field="until">muss ein Datum wie 22.11.2026 sein<' in page.text
    assert 'name="actor" value="admin"' in page.text
    assert "must be" not in page.text and "since:" not in page.text


async def test_an_over_long_actor_or_object_id_is_answered_at_its_field(client: httpx.AsyncClient,
                                                                        world: World) -> None:
    """The audit log's text filters take what a list's search takes (100 characters), the API's as well."""
    await login(client, "admin@test.example")
    long = "Verbund " + "x" * 93  # 101 characters
    page = await client.get("/audit", params={"actor": long, "object_id": long})
    assert page.status_code == 422 and "<h1>Protokoll</h1>" in page.text
    for field in ("actor", "object_id"):
        assert re.search(rf'name="{field}" value="{long}" maxlength="100"[^>]*aria-invalid="true"', page.text)
        assert f'data-field="{field}">höchstens 100 Zeichen<' in page.text
    assert (await client.get("/audit", params={"actor": long[:100]})).status_code == 200
    api = await client.get("/api/v1/audit", params={"actor": long}, headers=world.auth("admin"))
    assert api.status_code == 422
    assert [(e["field"], e["message"]) for e in api.json()["errors"]] == [("actor", "at most 100 characters")]
