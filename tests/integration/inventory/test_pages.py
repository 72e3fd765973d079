"""The inventory pages in German: schools list and school page, forms with inline (htmx) validation,
the lookup box for typed or scanned serials, asset tags and MACs, bulk lending for a class."""

from __future__ import annotations

import re

import httpx

from schoolit.inventory.tables import Device, Loan, Room
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.inventory.support import call, obj, school
from tests.integration.world import World

HTMX = {"hx-request": "true"}


async def test_schools_list_with_filters(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    page = await client.get("/schools")
    assert page.status_code == 200
    for text in ("Schulen", "IGS Rockenhausen", "Realschule plus Kusel", "Gigabit symmetrisch", "WLAN-Abdeckung",
                 "Seriennummer, Inventarnummer oder MAC"):
        assert text in page.text, text
    assert "Mörike" not in page.text
    filtered = await client.get("/schools", params={"county_id": world.counties["kusel"]})
    assert "Realschule plus Kusel" in filtered.text and "IGS Rockenhausen" not in filtered.text
    searched = await client.get("/schools", params={"q": "rocken", "school_type": "igs"})
    assert "IGS Rockenhausen" in searched.text and "Nordpfalzgymnasium" not in searched.text


async def test_an_empty_filter_choice_means_all(client: httpx.AsyncClient, world: World) -> None:
    """"alle" in a filter sends an empty value: the whole list, never an error (schools and every loan tab)."""
    await login(client, "support@verbund.test.example")
    everything = await client.get("/schools", params={"county_id": "", "school_type": "", "uplink_status": "",
                                                      "q": "", "offset": "100"})
    assert everything.status_code == 200, everything.text
    listed = await client.get("/schools", params={"county_id": "", "school_type": "", "uplink_status": ""})
    assert "IGS Rockenhausen" in listed.text and "Realschule plus Kusel" in listed.text
    for state in ("due", "open", "overdue", "returned"):
        tab = await client.get("/loans", params={"state": state, "school_id": "", "class_name": "", "q": ""})
        assert tab.status_code == 200, (state, tab.text)
    assert "7b-01" in (await client.get("/loans", params={"state": "open", "school_id": ""})).text
    bad = await client.get("/schools", params={"county_id": "Kusel"}, headers={"accept": "text/html"})
    assert bad.status_code == 422 and "<strong>Landkreis</strong>: muss eine ganze Zahl sein" in bad.text
    assert "Landkreis: Landkreis" not in bad.text and "Einige Angaben" in bad.text  # the label once, a German lead


async def test_school_page_shows_uplink_rooms_coverage_assets_loans(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "it@kib.test.example")
    # The page in sections, one a tab: together they show everything the school page shows.
    text = ""
    for section in ("overview", "network", "rooms", "devices", "tickets"):
        page = await client.get(f"/schools/{school(world, 'kib')}", params={"section": section})
        assert page.status_code == 200
        assert f'href="?section={section}#content" aria-current="page"' in page.text
        text += page.text
    for expected in ("Internetanschluss", "Pfalzwerke Netz", "Räume und WLAN-Abdeckung", "50 %", "kein WLAN",
                     "Access Points", "CNKEYKIB01", "Schülerendgeräte", "DMPXKIB0001", "Offene Ausleihen", "7b-01",
                     "An eine Klasse ausleihen", 'hx-get="/tickets/for-school/'):
        assert expected in text, expected
    assert "Schule bearbeiten" not in text  # school contacts do not edit the inventory


async def test_htmx_form_shows_errors_next_to_fields_and_writes_nothing(client: httpx.AsyncClient,
                                                                        world: World) -> None:
    await login(client, "support@verbund.test.example")
    url = f"/schools/{school(world, 'kib')}/devices/new"
    token = await csrf_token(client, url)
    before = await Device.count()
    response = await client.post(url, headers=HTMX, data={
        "_csrf_token": token, "serial": "dmpxkib0001", "kind": "tablet", "status": "stock", "mac": "3c:22",
        "funding_programme": "digitalpakt_sofortausstattung", "purchase_date": "2024-05-01",
        "warranty_end": "2023-01-01", "price_cents": "449,9x"})
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<form id="inventory-form"')  # only the form, swapped in place
    errors = dict(re.findall(r'data-field="([^"]+)">([^<]+)<', response.text))
    assert errors == {"mac": "keine MAC-Adresse (z. B. 00:1a:2b:3c:4d:5e)",
                      "warranty_end": "die Garantie (bis 01.01.2023) kann nicht vor dem Kauf (01.05.2024) enden",
                      "price_cents": "eine Zahl in Euro mit höchstens zwei Nachkommastellen, z. B. 1.234,56"}
    assert 'value="dmpxkib0001"' in response.text  # what was typed stays
    assert await Device.count() == before
    duplicate = await client.post(url, headers=HTMX, data={
        "_csrf_token": token, "serial": "dmpxkib0001", "kind": "tablet", "status": "stock",
        "funding_programme": "digitalpakt_sofortausstattung"})
    assert dict(re.findall(r'data-field="([^"]+)">([^<]+)<', duplicate.text)) == {"serial": "bereits vergeben"}
    created = await client.post(url, headers=HTMX, data={
        "_csrf_token": token, "serial": "dmpnew0001", "kind": "tablet", "status": "stock", "mdm_enrolled": "on",
        "funding_programme": "digitalpakt_sofortausstattung", "price_cents": "1.449,90"})  # a thousands point
    assert created.status_code == 200 and created.headers["hx-redirect"].startswith("/devices/")
    row = await Device.select(Device.serial, Device.price_cents, Device.mdm_enrolled).where(
        Device.serial == "DMPNEW0001").first()
    assert row == {"serial": "DMPNEW0001", "price_cents": 144990, "mdm_enrolled": True}


async def test_plain_form_post_redirects_and_edit_keeps_unticked_boxes(client: httpx.AsyncClient,
                                                                       world: World) -> None:
    await login(client, "support@verbund.test.example")
    room_id = obj(world, "room", "kib")
    url = f"/rooms/{room_id}/edit"
    form = await client.get(url)
    assert form.status_code == 200 and 'value="A 101"' in form.text and "checked" in form.text
    saved = await client.post(url, data={"_csrf_token": await csrf_token(client, url), "name": "A 101",
                                         "building_id": str(obj(world, "building", "kib")), "floor": "1"})
    assert saved.status_code == 303 and saved.headers["location"].endswith("#rooms")
    assert await Room.select(Room.is_teaching, Room.floor).where(Room.id == room_id).first() == {
        "is_teaching": False, "floor": "1"}


async def test_lookup_finds_by_serial_asset_tag_or_mac(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "it@kib.test.example")
    device = f"/devices/{obj(world, 'device', 'kib')}"
    for typed in ("dmpxkib0001\n", "inv-kib-1", "DMPXKIB0001"):
        found = await client.get("/lookup", params={"q": typed})
        assert found.status_code == 303 and found.headers["location"] == device, typed
    by_mac = await client.get("/lookup", params={"q": "001A.1E00.0101"})
    assert by_mac.headers["location"] == f"/access-points/{obj(world, 'access_point', 'kib')}"
    nothing = await client.get("/lookup", params={"q": "DMPXROK0001"})  # another school's device
    assert nothing.status_code == 200 and "Nichts gefunden" in nothing.text
    empty = await client.get("/lookup")
    assert empty.status_code == 200 and 'name="q"' in empty.text


async def test_bulk_lending_page(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "it@kib.test.example")
    url = f"/schools/{school(world, 'kib')}/loans/bulk"
    page = await client.get(url)
    assert page.status_code == 200 and 'name="serial_29"' in page.text and 'name="pupil_ref_0"' in page.text
    token = await csrf_token(client, url)
    before = await Loan.count()
    bad = await client.post(url, data={"_csrf_token": token, "class_name": "7b", "serial_0": "DMPXKIB0001",
                                       "pupil_ref_0": "7b-02", "serial_1": "NIXDA01", "pupil_ref_1": "7b-03"})
    assert bad.status_code == 422 and "Es wurde nichts ausgeliehen" in bad.text
    assert 'data-field="rows.1.serial">unbekanntes Gerät<' in bad.text
    assert 'value="DMPXKIB0001"' in bad.text  # the scanned rows stay for correction
    assert await Loan.count() == before
    good = await client.post(url, data={"_csrf_token": token, "class_name": "7b", "serial_0": "DMPXKIB0001",
                                        "pupil_ref_0": "7b-02", "serial_1": "", "pupil_ref_1": ""})
    assert good.status_code == 303 and "class_name=7b" in good.headers["location"]
    assert await Loan.count() == before + 1


async def test_lend_and_return_pages(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "it@kib.test.example")
    device_id = obj(world, "device", "kib")
    url = f"/devices/{device_id}/lend"
    form = await client.get(url)
    assert form.status_code == 200 and "Schülerkennung" in form.text and "Niemals ein Name" in form.text
    token = await csrf_token(client, url)
    refused = await client.post(url, headers=HTMX, data={"_csrf_token": token, "pupil_ref": "Paul Panzer"})
    assert refused.status_code == 422 and 'data-field="pupil_ref"' in refused.text
    lent = await client.post(url, data={"_csrf_token": token, "pupil_ref": "7b-09", "class_name": "7b"})
    assert lent.status_code == 303 and lent.headers["location"].endswith("/agreement")
    loan_id = int(lent.headers["location"].split("/")[2])
    again = await client.post(url, headers=HTMX, data={"_csrf_token": token, "pupil_ref": "7b-10"})
    assert again.status_code == 409 and "bereits ausgeliehen: bitte erst die Rückgabe erfassen" in again.text
    back = f"/loans/{loan_id}/return"
    returned = await client.post(back, data={"_csrf_token": await csrf_token(client, back),
                                             "condition_in": "Kratzer am Gehäuse", "device_status": "stock"})
    assert returned.status_code == 303
    device_page = await client.get(f"/devices/{device_id}")
    assert "7b-09" in device_page.text and "im Lager" in device_page.text  # loan history, back in stock


async def test_edit_pages_offer_delete_and_it_works(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    url = f"/uplinks/{obj(world, 'uplink', 'kib')}/edit"
    form = await client.get(url)
    delete = f"/uplinks/{obj(world, 'uplink', 'kib')}/delete"
    assert f'action="{delete}"' in form.text and "Löschen" in form.text
    gone = await client.post(delete, data={"_csrf_token": await csrf_token(client, url)})
    assert gone.status_code == 303 and gone.headers["location"].endswith("#uplink")
    assert (await client.get(url)).status_code == 404
    busy = await client.post(f"/schools/{school(world, 'kib')}/delete",
                             data={"_csrf_token": await csrf_token(client, f"/schools/{school(world, 'kib')}/edit")})
    assert busy.status_code == 409 and "Konflikt" in busy.text


def _summary(page: str) -> tuple[str, list[tuple[str, str, str]]]:
    """The refused form's error summary (its opening tag) and its links: (field, label, reason) each."""
    found = re.search(r'(<div class="flash error error-summary"[^>]*>)(.*?)</div>', page, re.S)
    assert found, page[:2000]
    return found.group(1), re.findall(r'<li><a href="#field-([^"]+)">([^<]+)</a>: ([^<]+)</li>', found.group(2))


async def test_every_inventory_form_opens_a_refusal_with_its_summary(client: httpx.AsyncClient,
                                                                     world: World) -> None:
    """Sent empty, each create form (swapped in place by htmx, or posted plainly) comes back with "Bitte
    korrigieren:" on top, focused where the page loads: each refused field's label and reason as a link to
    its input, in the order of the form, and nothing is written."""
    await login(client, "support@verbund.test.example")
    kib = school(world, "kib")
    forms = [f"/schools/{kib}/{kind}/new" for kind in ("access-points", "uplinks", "devices", "rooms", "buildings")]
    forms += ["/schools/new", "/snmp-profiles/new", "/wlan-controllers/new"]
    before = await Device.count()
    for url in forms:
        token = await csrf_token(client, url)
        for headers in (HTMX, {}):
            refused = await client.post(url, headers=headers, data={"_csrf_token": token})
            assert refused.status_code == 422, (url, refused.text[:500])
            opening, links = _summary(refused.text)
            assert 'role="alert"' in opening and 'tabindex="-1"' in opening and "autofocus" in opening, url
            assert "Bitte korrigieren:" in refused.text, url
            at_fields = re.findall(r'data-field="([^"]+)">([^<]+)<', refused.text)
            assert [(field, reason) for field, _label, reason in links] == at_fields, url
            for field, label, _reason in links:  # each link leads to its field's input, named by its label
                assert re.search(rf'<label>{re.escape(label)}[^<]*\s*<(input|select|textarea) name="{field}"'
                                 rf'( value="[^"]*")? id="field-{field}"', refused.text), (url, field, label)
            # the summary is where the reader is taken: no field of the form takes the focus from it
            assert refused.text.count("autofocus") == 1, url
    assert await Device.count() == before


async def test_a_bad_mac_and_address_are_named_in_the_summary(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    url = f"/schools/{school(world, 'kib')}/access-points/new"
    refused = await client.post(url, headers=HTMX, data={
        "_csrf_token": await csrf_token(client, url), "serial": "APNEU-1", "mac": "00:1a:zz",
        "management_ip": "10.999.0.1", "vendor": "lancom", "status": "active",
        "funding_programme": "digitalpakt_basis"})
    assert refused.status_code == 422 and refused.text.lstrip().startswith('<form id="inventory-form"')
    _opening, links = _summary(refused.text)
    assert [(field, label) for field, label, _reason in links] == [("mac", "MAC-Adresse"),
                                                                    ("management_ip", "Management-IP")]
    assert links[1][2].startswith("keine IP-Adresse")


async def test_the_class_lending_and_the_class_return_open_a_refusal_with_their_summary(
        client: httpx.AsyncClient, world: World) -> None:
    """The class lending and the class return are refused like every inventory form: "Bitte korrigieren:" on
    top, focused, what concerns the whole form as a sentence, each refused field or row cell as a link to its
    input (in the order of the form), and nothing is written."""
    await login(client, "it@kib.test.example")
    url = f"/schools/{school(world, 'kib')}/loans/bulk"
    before = await Loan.count()
    refused = await client.post(url, data={
        "_csrf_token": await csrf_token(client, url), "class_name": "7b", "lent_on": "01.01.1950",
        "serial_0": "DMPXKIB0001", "pupil_ref_0": "Max Mustermann", "serial_1": "NIXDA01", "pupil_ref_1": "7b-03"})
    assert refused.status_code == 422
    opening, links = _summary(refused.text)
    assert 'role="alert"' in opening and "autofocus" in opening and refused.text.count("autofocus") == 1
    assert "Bitte korrigieren:" in refused.text and "<li>Es wurde nichts ausgeliehen.</li>" in refused.text
    assert [(field, label) for field, label, _reason in links] == [
        ("lent_on", "Ausgeliehen am"), ("rows.0.pupil_ref", "Schülerkennung, Zeile 1"),
        ("rows.1.serial", "Seriennummer, Zeile 2")]
    at_fields = re.findall(r'data-field="([^"]+)">([^<]+)<', refused.text)
    assert [(field, reason) for field, _label, reason in links] == at_fields
    for field, _label, _reason in links:
        assert f'id="field-{field}"' in refused.text, field
    assert await Loan.count() == before

    for serial in ("SUMKIB0001", "SUMKIB0002"):
        created = await call(client, world, "admin", "POST", "/devices", {
            "school_id": school(world, "kib"), "kind": "tablet", "serial": serial, "status": "stock",
            "funding_programme": "other"})
        assert created.status_code == 201, created.text
    lend = f"/schools/{school(world, 'kib')}/loans/bulk"
    lent = await client.post(lend, data={"_csrf_token": await csrf_token(client, lend), "class_name": "9d",
                                         "serial_0": "SUMKIB0001", "pupil_ref_0": "9d-01",
                                         "serial_1": "SUMKIB0002", "pupil_ref_1": "9d-02"})
    assert lent.status_code == 303, lent.text[:2000]
    ids = [str(r["id"]) for r in await Loan.select(Loan.id).where(Loan.class_name == "9d")]
    back = f"/loans/return?school_id={school(world, 'kib')}&class_name=9d"
    form = {"_csrf_token": await csrf_token(client, back), "school_id": str(school(world, "kib")),
            "class_name": "9d", "condition_in": "ok", "device_status": "stock"}
    future = await client.post("/loans/return", data={**form, "ids": ids, "returned_on": "2099-01-01"})
    assert future.status_code == 422
    opening, links = _summary(future.text)
    assert 'data-testid="return-errors"' in opening and "autofocus" in opening
    assert links == [("returned_on", "Zurückgegeben am", "darf nicht in der Zukunft liegen")]
    assert 'id="field-returned_on"' in future.text
    none_ticked = await client.post("/loans/return", data={**form, "returned_on": "2026-12-01"})
    assert none_ticked.status_code == 422
    opening, links = _summary(none_ticked.text)
    assert links == [] and "<li>Es wurde nichts erfasst: Bitte die Geräte anhaken" in none_ticked.text
    assert await Loan.count() == before + 2
