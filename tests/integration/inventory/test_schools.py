"""Schools through the API: create, read, update, delete, validation, filters, sorting, pagination."""

from __future__ import annotations

import re

import httpx

from schoolit.accounts.tables import AuditEvent
from schoolit.inventory.tables import School
from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.inventory.csvfiles import csv_bytes, imported, post_import
from tests.integration.inventory.support import call, field_errors, school
from tests.integration.inventory.test_pages import HTMX
from tests.integration.world import World


async def test_create_read_update_school(client: httpx.AsyncClient, world: World) -> None:
    created = await call(client, world, "verbund_supporter", "POST", "/schools", {
        "county_id": world.counties["kusel"], "school_number": "41099", "name": "Gymnasium Lauterecken",
        "school_type": "gymnasium", "city": "Lauterecken", "pupils": 640, "management_prefix": "10.99.0.0/24"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["county_name"] == "Landkreis Kusel" and body["planned_coverage"] is None
    assert body["uplink_gigabit_symmetric"] is False
    changed = await call(client, world, "verbund_supporter", "PATCH", f"/schools/{body['id']}", {"pupils": 655})
    assert changed.status_code == 200 and changed.json()["pupils"] == 655
    assert changed.json()["name"] == "Gymnasium Lauterecken"
    actions = [e["action"] for e in await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.object_id == str(body["id"]), AuditEvent.object_type == "school").order_by(AuditEvent.id)]
    assert actions == ["school.create", "school.update"]


async def test_school_validation_lists_every_field(client: httpx.AsyncClient, world: World) -> None:
    before = await School.count()
    response = await call(client, world, "admin", "POST", "/schools", {
        "county_id": world.counties["kusel"], "school_number": "4109", "name": "", "school_type": "uni",
        "postal_code": "6674", "pupils": -3, "management_prefix": "10.99.0.1/24"})
    assert field_errors(response) == {
        "school_number": "five digits", "name": "required", "school_type": "not one of the allowed values",
        "postal_code": "five digits", "pupils": "must not be negative",
        "management_prefix": "host bits are set: give the network address, e.g. 10.20.0.0/24"}
    assert await School.count() == before


async def test_school_numbers_are_unique(client: httpx.AsyncClient, world: World) -> None:
    response = await call(client, world, "admin", "POST", "/schools", {
        "county_id": world.counties["kusel"], "school_number": world.schools["kus"]["number"], "name": "Doppelt",
        "school_type": "igs"})
    assert field_errors(response) == {"school_number": "already in use"}


async def test_unknown_fields_are_refused(client: httpx.AsyncClient, world: World) -> None:
    response = await call(client, world, "admin", "PATCH", f"/schools/{school(world, 'kib')}", {"nmae": "Tippfehler"})
    assert response.status_code in (400, 422)


async def test_a_school_does_not_move_to_another_county(client: httpx.AsyncClient, world: World) -> None:
    response = await call(client, world, "admin", "PATCH", f"/schools/{school(world, 'kib')}",
                          {"county_id": world.counties["kusel"]})
    assert field_errors(response) == {"county_id": "a school cannot move to another county"}


async def test_prefix_change_must_keep_access_points_inside(client: httpx.AsyncClient, world: World) -> None:
    response = await call(client, world, "admin", "PATCH", f"/schools/{school(world, 'kib')}",
                          {"management_prefix": "10.200.0.0/24"})
    assert field_errors(response) == {
        "management_prefix": "access points of this school have addresses outside this prefix"}


async def test_supporter_cannot_create_a_school_in_a_foreign_county(client: httpx.AsyncClient, world: World) -> None:
    response = await call(client, world, "verbund_supporter", "POST", "/schools", {
        "county_id": world.counties["ludwigsburg"], "school_number": "41098", "name": "Fremd", "school_type": "igs"})
    assert field_errors(response) == {"county_id": "unknown county"}


async def test_filters_search_sort_and_pagination(client: httpx.AsyncClient, world: World) -> None:
    everything = await call(client, world, "admin", "GET", "/schools", sort="-school_number")
    numbers = [s["school_number"] for s in everything.json()["items"]]
    assert numbers == sorted(numbers, reverse=True) and everything.json()["total"] == 4
    county = await call(client, world, "admin", "GET", "/schools", county_id=world.counties["donnersbergkreis"])
    assert {s["school_number"] for s in county.json()["items"]} == {"41001", "41002"}
    typed = await call(client, world, "admin", "GET", "/schools", school_type="igs")
    assert [s["name"] for s in typed.json()["items"]] == ["IGS Rockenhausen"]
    found = await call(client, world, "admin", "GET", "/schools", q="rocken")
    assert [s["school_number"] for s in found.json()["items"]] == ["41002"]
    page = await call(client, world, "admin", "GET", "/schools", sort="school_number", limit=2, offset=2)
    assert page.json()["total"] == 4 and [s["school_number"] for s in page.json()["items"]] == ["41003", "41004"]
    bad = await call(client, world, "admin", "GET", "/schools", sort="password_hash")
    assert field_errors(bad) == {"sort": "unknown sort key"}


async def test_school_figures_uplink_and_coverage(client: httpx.AsyncClient, world: World) -> None:
    body = (await call(client, world, "admin", "GET", f"/schools/{school(world, 'kib')}")).json()
    # The world: two teaching rooms, one covered; a live symmetric gigabit line.
    assert (body["teaching_rooms"], body["covered_teaching_rooms"], body["planned_coverage"]) == (2, 1, 0.5)
    assert body["uplink_status"] == "live" and body["uplink_gigabit_symmetric"] is True
    coverage = (await call(client, world, "admin", "GET", f"/schools/{school(world, 'kib')}/coverage")).json()
    assert [r["name"] for r in coverage["uncovered_rooms"]] == ["A 102"]


async def test_only_an_empty_school_can_be_deleted(client: httpx.AsyncClient, world: World) -> None:
    busy = await call(client, world, "admin", "DELETE", f"/schools/{school(world, 'kib')}")
    assert busy.status_code == 409
    created = await call(client, world, "admin", "POST", "/schools", {
        "county_id": world.counties["kusel"], "school_number": "41097", "name": "Leer", "school_type": "igs"})
    gone = await call(client, world, "admin", "DELETE", f"/schools/{created.json()['id']}")
    assert gone.status_code == 204
    assert (await call(client, world, "admin", "GET", f"/schools/{created.json()['id']}")).status_code == 404


async def test_a_school_with_a_probe_of_its_own_is_kept(client: httpx.AsyncClient, world: World) -> None:
    """Users and probes are accounts' rows: the inventory asks accounts whether any belong to the school."""
    from schoolit.accounts.probes import register_probe
    from schoolit.accounts.scope import Scope

    created = await call(client, world, "admin", "POST", "/schools", {
        "county_id": world.counties["kusel"], "school_number": "41098", "name": "Mit Sonde", "school_type": "igs"})
    await register_probe(Scope.system(), name="sonde-41098", county_id=world.counties["kusel"],
                         school_id=created.json()["id"])
    kept = await call(client, world, "admin", "DELETE", f"/schools/{created.json()['id']}")
    assert kept.status_code == 409
    assert (await call(client, world, "admin", "GET", f"/schools/{created.json()['id']}")).status_code == 200


async def test_inventory_paths_are_in_the_openapi_schema(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path in ("/api/v1/schools", "/api/v1/schools/{school_id}", "/api/v1/rooms", "/api/v1/buildings",
                 "/api/v1/uplinks", "/api/v1/access-points", "/api/v1/devices", "/api/v1/loans",
                 "/api/v1/loans/bulk", "/api/v1/loans/{loan_id}/return", "/api/v1/snmp-profiles", "/api/v1/lookup"):
        assert path in paths, path
    parameters = {p["name"] for p in paths["/api/v1/devices"]["get"]["parameters"]}
    assert {"school_id", "county_id", "status", "vendor", "model", "q", "sort", "limit", "offset"} <= parameters
    assert "/schools" not in paths  # pages stay out


async def test_the_website_reaches_api_form_csv_and_lists(client: httpx.AsyncClient, world: World) -> None:
    """A field added by a migration and one line of the school's description (`website`)."""
    kib = school(world, "kib")
    changed = await call(client, world, "admin", "PATCH", f"/schools/{kib}", {"website": "https://nordpfalz.example"})
    assert changed.status_code == 200 and changed.json()["website"] == "https://nordpfalz.example"
    found = await call(client, world, "admin", "GET", "/schools", website="nordpfalz", sort="-website")
    assert [s["id"] for s in found.json()["items"]] == [kib]
    everything = (await call(client, world, "admin", "GET", "/schools")).json()["total"]
    assert (await call(client, world, "admin", "GET", "/schools", website="")).json()["total"] == everything
    await imported(client, world, "schools", [["Schulnummer", "Webseite"], ["41001", "https://kib.example"]])
    export = (await client.get("/api/v1/export/schools.csv", headers=world.auth("admin"))).content.decode("utf-8-sig")
    header, *rows = export.splitlines()
    assert "Webseite" in header.split(";") and any("https://kib.example" in row for row in rows)
    await login(client, "support@verbund.test.example")
    form = await client.get(f"/schools/{kib}/edit")
    assert "Webseite" in form.text and 'name="website"' in form.text and "https://kib.example" in form.text


NOT_A_WEB_ADDRESS_DE = "keine gültige Adresse (http:// oder https://)"


async def test_a_website_is_an_http_address_in_api_form_and_import(client: httpx.AsyncClient, world: World) -> None:
    """One rule in the school's description: the API, the form and the CSV import refuse "foo" and
    "javascript:…" at the field, and the school page never links what is not an http(s) address."""
    kib = school(world, "kib")
    for bad in ("foo", "javascript:alert(1)", "www.nordpfalz.example", "https://"):
        refused = await call(client, world, "admin", "PATCH", f"/schools/{kib}", {"website": bad})
        assert field_errors(refused) == {"website": "not a valid address (http:// or https://)"}, bad
    german = await client.post("/api/v1/schools", headers={**world.auth("admin"), "accept-language": "de"}, json={
        "county_id": world.counties["kusel"], "school_number": "41098", "name": "Realschule plus Kusel",
        "school_type": "realschule_plus", "website": "javascript:alert(1)"})
    assert german.status_code == 422
    assert german.json()["errors"] == [{"field": "website", "label": "Webseite", "message": NOT_A_WEB_ADDRESS_DE}]
    for good in ("https://nordpfalz.example/schule", "http://www.gymnasium-kib.de"):
        assert (await call(client, world, "admin", "PATCH", f"/schools/{kib}", {"website": good})).status_code == 200
    assert (await call(client, world, "admin", "PATCH", f"/schools/{kib}", {"website": ""})).status_code == 200

    response = await post_import(client, world, "admin", "schools", csv_bytes([
        ["Schulnummer", "Webseite"], ["41001", "javascript:alert(1)"], ["41002", "https://rok.example"]]))
    assert [(e["row"], e["column"], e["message"]) for e in response.json()["errors"]] == [
        (2, "Webseite", NOT_A_WEB_ADDRESS_DE)]

    await login(client, "support@verbund.test.example")
    url = f"/schools/{kib}/edit"
    form = await client.post(url, headers=HTMX, data={
        "_csrf_token": await csrf_token(client, url), "school_number": world.schools["kib"]["number"],
        "name": "Nordpfalzgymnasium Kirchheimbolanden", "school_type": "gymnasium", "website": "javascript:alert(1)"})
    assert form.status_code == 422
    assert dict(re.findall(r'data-field="([^"]+)">([^<]+)<', form.text)) == {"website": NOT_A_WEB_ADDRESS_DE}
    assert 'value="javascript:alert(1)"' in form.text  # what was typed stays
    stored = await School.select(School.website).where(School.id == kib).first()
    assert stored == {"website": ""}

    # A value stored before the rule is shown as text, never as a link.
    await fetch("UPDATE school SET website = 'javascript:alert(1)' WHERE id = {}", kib)
    page = await client.get(f"/schools/{kib}")
    assert "javascript:alert(1)" in page.text and 'href="javascript:' not in page.text
    await fetch("UPDATE school SET website = 'https://kib.example' WHERE id = {}", kib)
    page = await client.get(f"/schools/{kib}")
    assert '<a href="https://kib.example" rel="noopener noreferrer">https://kib.example</a>' in page.text
