"""Access points: MAC and IP validation, management IP containment (in SQL), unique serials, coverage,
moves between schools within the caller's scope, retiring instead of deleting."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import httpx

from schoolit.inventory.tables import AccessPoint, AccessPointRoom
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.inventory.csvfiles import csv_bytes, exported, imported, post_import
from tests.integration.inventory.support import call, field_errors, obj, school
from tests.integration.inventory.test_pages import HTMX
from tests.integration.world import World


def ap(world: World, key: str = "kib", **changes: Any) -> dict[str, Any]:
    return {"school_id": school(world, key), "vendor": "cisco", "model": "C9120AXI-E", "serial": "fgl2231abcd",
            "mac": "00-3A-7D-11-22-33", "management_ip": "10.1.0.50", "status": "active",
            "funding_programme": "digitalpakt_basis", **changes}


async def test_create_normalises_and_covers_rooms(client: httpx.AsyncClient, world: World) -> None:
    rooms = (await call(client, world, "admin", "GET", "/rooms", school_id=school(world, "kib"))).json()["items"]
    uncovered = next(r for r in rooms if r["name"] == "A 102")
    created = await call(client, world, "admin", "POST", "/access-points", ap(world, covered_room_ids=[uncovered["id"]],
                                                                               price_cents=61900))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["serial"], body["mac"], body["management_ip"]) == ("FGL2231ABCD", "00:3a:7d:11:22:33", "10.1.0.50")
    assert body["covered_room_ids"] == [uncovered["id"]]
    school_now = (await call(client, world, "admin", "GET", f"/schools/{school(world, 'kib')}")).json()
    assert school_now["planned_coverage"] == 1.0


async def test_every_bad_field_is_reported(client: httpx.AsyncClient, world: World) -> None:
    before = await AccessPoint.count()
    response = await call(client, world, "admin", "POST", "/access-points", ap(
        world, serial="x", mac="00:3a:7d:11:22", management_ip="10.1.0.500", vendor="netgear", status="broken",
        purchase_date="2024-05-01", warranty_end="2023-05-01", installed_on="2024-01-01", price_cents=-1,
        covered_room_ids=[obj(world, "room", "rok")], room_id=obj(world, "room", "rok")))
    assert field_errors(response) == {
        "serial": "2–80 letters, digits, '.', '_', '/' or '-'", "mac": "not a MAC address (e.g. 00:1a:2b:3c:4d:5e)",
        "management_ip": "not an IP address", "vendor": "not one of the allowed values",
        "status": "not one of the allowed values",
        "warranty_end": "the warranty (until 01.05.2023) cannot end before the purchase (01.05.2024)",
        "installed_on": "cannot be installed (01.01.2024) before it was bought (01.05.2024)",
        "price_cents": "must not be negative",
        "covered_room_ids": "rooms must be at this school", "room_id": "not at this school"}
    assert await AccessPoint.count() == before


async def test_management_ip_must_lie_in_the_schools_prefix(client: httpx.AsyncClient, world: World) -> None:
    outside = await call(client, world, "admin", "POST", "/access-points", ap(world, management_ip="10.2.0.50"))
    assert field_errors(outside) == {"management_ip": "outside the school's management network"}
    without_prefix = await call(client, world, "admin", "PATCH", f"/schools/{school(world, 'rok')}",
                                {"management_prefix": None})
    assert without_prefix.status_code == 200
    anywhere = await call(client, world, "admin", "POST", "/access-points", ap(world, "rok", management_ip="192.0.2.9"))
    assert anywhere.status_code == 201  # no prefix set: any address


async def test_serial_and_mac_are_unique(client: httpx.AsyncClient, world: World) -> None:
    first = await call(client, world, "admin", "POST", "/access-points", ap(world))
    assert first.status_code == 201
    same_serial = await call(client, world, "admin", "POST", "/access-points", ap(world, mac="00:3a:7d:11:22:44",
                                                                                 serial=" FGL2231ABCD "))
    assert field_errors(same_serial) == {"serial": "already in use"}
    same_mac = await call(client, world, "admin", "POST", "/access-points",
                          ap(world, serial="FGL999", mac="003a.7d11.2233"))
    assert field_errors(same_mac) == {"mac": "already in use"}


async def test_search_by_mac_in_any_notation_and_by_ip(client: httpx.AsyncClient, world: World) -> None:
    by_mac = await call(client, world, "admin", "GET", "/access-points", q="001A1E000101")
    assert [a["id"] for a in by_mac.json()["items"]] == [obj(world, "access_point", "kib")]
    by_ip = await call(client, world, "admin", "GET", "/access-points", q="10.3.0.11")
    assert [a["id"] for a in by_ip.json()["items"]] == [obj(world, "access_point", "kus")]
    by_vendor = await call(client, world, "verbund_supporter", "GET", "/access-points", vendor="aruba", model="515")
    assert by_vendor.json()["total"] == 3  # the three schools of the arrangement


async def test_move_within_scope_clears_room_and_coverage(client: httpx.AsyncClient, world: World) -> None:
    ap_id = obj(world, "access_point", "kib")
    moved = await call(client, world, "verbund_supporter", "PATCH", f"/access-points/{ap_id}", {
        "school_id": school(world, "kus"), "management_ip": "10.3.0.77"})
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["school_id"] == school(world, "kus") and body["county_id"] == world.counties["kusel"]
    assert body["room_id"] is None and body["covered_room_ids"] == [] and body["snmp_profile_id"] is None
    assert await AccessPointRoom.count().where(AccessPointRoom.access_point_id == ap_id) == 0


async def test_move_keeps_the_address_check_and_the_scope(client: httpx.AsyncClient, world: World) -> None:
    ap_id = obj(world, "access_point", "kib")
    wrong_net = await call(client, world, "admin", "PATCH", f"/access-points/{ap_id}",
                           {"school_id": school(world, "kus")})
    assert field_errors(wrong_net) == {"management_ip": "outside the school's management network"}
    foreign = await call(client, world, "verbund_supporter", "PATCH", f"/access-points/{ap_id}",
                         {"school_id": school(world, "lb"), "management_ip": "10.4.0.9"})
    assert field_errors(foreign) == {"school_id": "unknown school"}


async def test_access_points_are_retired_not_deleted(client: httpx.AsyncClient, world: World) -> None:
    ap_id = obj(world, "access_point", "kib")
    retired = await call(client, world, "admin", "POST", f"/access-points/{ap_id}/retire")
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    assert (await call(client, world, "admin", "DELETE", f"/access-points/{ap_id}")).status_code == 405
    school_now = (await call(client, world, "admin", "GET", f"/schools/{school(world, 'kib')}")).json()
    assert school_now["covered_teaching_rooms"] == 0  # a retired access point covers nothing


async def test_mounting_location_through_api_filter_form_and_csv(client: httpx.AsyncClient, world: World) -> None:
    """A field added by a migration and one line in the description: API, list filter, form, CSV both ways."""
    created = await call(client, world, "admin", "POST", "/access-points",
                         ap(world, mounting_location="Decke über der Tür"))
    assert created.status_code == 201, created.text
    assert created.json()["mounting_location"] == "Decke über der Tür"
    found = (await call(client, world, "admin", "GET", "/access-points", mounting_location="DECKE")).json()
    assert [a["serial"] for a in found["items"]] == ["FGL2231ABCD"]
    too_long = await call(client, world, "admin", "PATCH", f"/access-points/{created.json()['id']}",
                          {"mounting_location": "x" * 121})
    assert too_long.status_code == 422 and "mounting_location" in field_errors(too_long)

    await imported(client, world, "access-points", [["Schulnummer", "Seriennummer", "Montageort"],
                                                    ["41001", "FGL2231ABCD", "Flur vor A 101, Wand"]])
    rows = list(csv.reader(io.StringIO((await exported(client, world, "access-points")).decode("utf-8-sig")),
                           delimiter=";"))
    column = rows[0].index("Montageort")
    assert [row[column] for row in rows[1:] if "FGL2231ABCD" in row] == ["Flur vor A 101, Wand"]

    await login(client, "support@verbund.test.example")
    form = await client.get(f"/access-points/{created.json()['id']}/edit")
    assert form.status_code == 200 and "Montageort" in form.text and 'value="Flur vor A 101, Wand"' in form.text
    page = await client.get(f"/access-points/{created.json()['id']}")
    assert "Montageort</dt><dd>Flur vor A 101, Wand" in page.text


FUTURE_DE = "ein aktiver Access Point kann nicht erst in der Zukunft installiert werden (noch nicht installiert: " \
    "Status „geplant“)"


async def test_an_active_access_point_is_not_installed_in_the_future(client: httpx.AsyncClient,
                                                                      world: World) -> None:
    """One rule in the access point's description: an active one's "Installiert am" is not in the future (a
    planned one's may be), refused by the API, the form and the CSV import at the field, in German."""
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    before = await AccessPoint.count()
    active = await call(client, world, "admin", "POST", "/access-points", ap(world, installed_on=future))
    assert field_errors(active) == {
        "installed_on": "an active access point cannot be installed in the future (not installed yet: status planned)"}
    assert await AccessPoint.count() == before
    planned = await call(client, world, "admin", "POST", "/access-points", ap(world, status="planned",
                                                                             installed_on=future))
    assert planned.status_code == 201, planned.text
    switched = await call(client, world, "admin", "PATCH", f"/access-points/{planned.json()['id']}",
                          {"status": "active"})
    assert set(field_errors(switched)) == {"installed_on"}
    today = await call(client, world, "admin", "PATCH", f"/access-points/{planned.json()['id']}",
                       {"status": "active", "installed_on": dt.date.today().isoformat()})
    assert today.status_code == 200, today.text

    day = (dt.date.today() + dt.timedelta(days=30)).strftime("%d.%m.%Y")
    response = await post_import(client, world, "admin", "access-points", csv_bytes([
        ["Schulnummer", "Seriennummer", "Status", "Installiert am"],
        ["41001", "CNKEYKIB01", "aktiv", day], ["41001", "AP-NEU-1", "geplant", day], ["41001", "AP-NEU-2", "", day]]))
    assert [(e["row"], e["column"], e["message"]) for e in response.json()["errors"]] == [
        (2, "Installiert am", FUTURE_DE), (4, "Installiert am", FUTURE_DE)]
    existing = await post_import(client, world, "admin", "access-points", csv_bytes([
        ["Schulnummer", "Seriennummer", "Installiert am"], ["41001", "CNKEYKIB01", day]]))  # stored: active
    assert [(e["row"], e["column"]) for e in existing.json()["errors"]] == [(2, "Installiert am")]

    await login(client, "support@verbund.test.example")
    url = f"/access-points/{obj(world, 'access_point', 'kib')}/edit"
    page = await client.get(url)
    values = dict(re.findall(r'<input name="([^"]+)" value="([^"]*)"', page.text))
    selected = dict(re.findall(r'<select name="([^"]+)"[^>]*>(?:(?!</select>).)*?<option value="([^"]*)" selected',
                               page.text, re.DOTALL))
    posted = await client.post(url, headers=HTMX, data={
        **values, **selected, "_csrf_token": await csrf_token(client, url), "installed_on": future})
    assert posted.status_code == 422, posted.text
    assert dict(re.findall(r'data-field="([^"]+)">([^<]+)<', posted.text)) == {"installed_on": FUTURE_DE}
    assert f'value="{future}"' in posted.text
