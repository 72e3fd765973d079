"""Loans: lend, return with condition notes, one open loan per device (also in the database), bulk
lending for a class (all or nothing), the lend and due days a loan may have, due and overdue lists, the
printable agreement without names that states only what was recorded at the handover, and lending from
the loan list."""

from __future__ import annotations

import datetime as dt
import re

import asyncpg
import httpx
import pytest

from schoolit.accounts.tables import AuditEvent
from schoolit.db import atomic
from schoolit.inventory import services
from schoolit.inventory.tables import Device, Loan
from schoolit.kernel.times import day_text
from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.inventory.support import call, field_errors, obj, school
from tests.integration.inventory.world import SYSTEM
from tests.integration.world import World


async def _stock_devices(world: World, key: str, *serials: str, **columns: object) -> list[int]:
    ids = []
    for serial in serials:
        row = await services.create_device(SYSTEM, {"school_id": school(world, key), "kind": "tablet",
                                                    "serial": serial, "status": "stock",
                                                    "funding_programme": "digitalpakt_sofortausstattung", **columns})
        ids.append(row["id"])
    return ids


async def test_lend_defaults_to_the_end_of_the_school_year(client: httpx.AsyncClient, world: World) -> None:
    device_id = obj(world, "device", "kib")
    lent = await call(client, world, "school_contact", "POST", "/loans", {
        "device_id": device_id, "pupil_ref": "7b-14", "class_name": "7b", "condition_out": "neu"})
    assert lent.status_code == 201, lent.text
    body = lent.json()
    today = services.today()
    assert body["lent_on"] == today.isoformat()
    assert body["due_on"] == services.school_year_end(today).isoformat()
    assert body["overdue"] is False and body["device_serial"] == "DMPXKIB0001"
    assert await Device.select(Device.status).where(Device.id == device_id).first() == {"status": "lent"}


async def test_one_open_loan_per_device(client: httpx.AsyncClient, world: World) -> None:
    lent_device = (await call(client, world, "admin", "GET", f"/loans/{obj(world, 'loan', 'kib')}")).json()["device_id"]
    again = await call(client, world, "admin", "POST", "/loans", {"device_id": lent_device, "pupil_ref": "7b-99"})
    assert again.status_code == 409
    assert "open loan" in again.json()["detail"]
    # The database holds the rule too, whoever writes the row.
    with pytest.raises(asyncpg.UniqueViolationError):
        async with atomic():
            await fetch("INSERT INTO loan (county_id, school_id, device_id, pupil_ref, lent_on, due_on) "
                        "SELECT county_id, school_id, id, '7b-98', current_date, current_date FROM device "
                        "WHERE id = {}", lent_device)


async def test_loan_validation(client: httpx.AsyncClient, world: World) -> None:
    before = await Loan.count()
    response = await call(client, world, "admin", "POST", "/loans", {
        "device_id": obj(world, "device", "kib"), "pupil_ref": "Max Mustermann", "class_name": "7b",
        "lent_on": "2026-09-01", "due_on": "2026-08-01"})
    assert field_errors(response) == {
        "pupil_ref": "a pseudonymous reference with a number, e.g. 7b-14 (letters, digits, '.', '_', '/', '-'; "
                     "no spaces, no names)",
        "due_on": "due (01.08.2026) before it was lent (01.09.2026)"}
    # Longer than its column: refused before the service (schoolit.limits), with the column's length.
    too_long = await call(client, world, "admin", "POST", "/loans", {
        "device_id": obj(world, "device", "kib"), "pupil_ref": "7b-1", "class_name": "x" * 21})
    assert field_errors(too_long) == {"class_name": "at most 20 characters"}
    future = await call(client, world, "admin", "POST", "/loans", {
        "device_id": obj(world, "device", "kib"), "pupil_ref": "7b-1",
        "lent_on": (services.today() + dt.timedelta(days=3)).isoformat()})
    assert field_errors(future) == {"lent_on": "cannot lie in the future"}
    assert await Loan.count() == before


async def test_only_devices_in_stock_at_a_visible_school_are_lent(client: httpx.AsyncClient, world: World) -> None:
    device_id = obj(world, "device", "kib")
    await call(client, world, "admin", "PATCH", f"/devices/{device_id}", {"status": "repair"})
    in_repair = await call(client, world, "admin", "POST", "/loans", {"device_id": device_id, "pupil_ref": "7b-2"})
    assert field_errors(in_repair) == {"device_id": "not in stock (in repair, lost or retired)"}
    foreign = await call(client, world, "school_contact", "POST", "/loans",
                         {"device_id": obj(world, "device", "rok"), "pupil_ref": "7b-2"})
    assert field_errors(foreign) == {"device_id": "unknown device"}


async def test_return_with_condition_notes(client: httpx.AsyncClient, world: World) -> None:
    loan_id = obj(world, "loan", "kib")
    bad = await call(client, world, "school_contact", "POST", f"/loans/{loan_id}/return",
                     {"returned_on": "2026-08-01", "device_status": "retired"})
    assert field_errors(bad) == {"returned_on": "returned before it was lent (01.09.2026)",
                                 "device_status": "in stock, in repair or lost"}
    returned = await call(client, world, "school_contact", "POST", f"/loans/{loan_id}/return",
                          {"condition_in": "Display gesprungen", "device_status": "repair"})
    assert returned.status_code == 200
    body = returned.json()
    assert body["returned_on"] == services.today().isoformat() and body["condition_in"] == "Display gesprungen"
    device = await Device.select(Device.status).where(Device.id == body["device_id"]).first()
    assert device == {"status": "repair"}
    twice = await call(client, world, "school_contact", "POST", f"/loans/{loan_id}/return", {})
    assert twice.status_code == 409
    relend = await call(client, world, "admin", "POST", "/loans", {"device_id": body["device_id"], "pupil_ref": "7b-5"})
    assert field_errors(relend) == {"device_id": "not in stock (in repair, lost or retired)"}


async def test_bulk_lending_is_all_or_nothing(client: httpx.AsyncClient, world: World) -> None:
    first, second = await _stock_devices(world, "kib", "BULK0001", "BULK0002")
    before = await Loan.count()
    response = await call(client, world, "school_contact", "POST", "/loans/bulk", {
        "school_id": school(world, "kib"), "class_name": "5a", "rows": [
            {"serial": "bulk0001", "pupil_ref": "5a-01"},
            {"serial": "NOPE0001", "pupil_ref": "5a-02"},
            {"serial": "BULK0001", "pupil_ref": "5a-03"},
            {"serial": "BULK0002", "pupil_ref": "5a-01"},
            {"serial": "DMPXROK0001", "pupil_ref": "Lisa Muster"}]})
    assert field_errors(response) == {
        "rows.1.serial": "unknown device", "rows.2.serial": "scanned twice", "rows.3.pupil_ref": "the same pupil twice",
        "rows.4.serial": "unknown device",  # another school's device
        "rows.4.pupil_ref": "a pseudonymous reference with a number, e.g. 7b-14 (letters, digits, '.', '_', '/', "
                            "'-'; no spaces, no names)"}
    assert await Loan.count() == before
    statuses = await Device.select(Device.status).where(Device.id.is_in([first, second]))
    assert statuses == [{"status": "stock"}, {"status": "stock"}]
    good = await call(client, world, "school_contact", "POST", "/loans/bulk", {
        "school_id": school(world, "kib"), "class_name": "5a", "agreement_signed": True,
        "rows": [{"serial": "bulk0001", "pupil_ref": "5a-01"}, {"serial": "BULK0002", "pupil_ref": "5a-02"}]})
    assert good.status_code == 201, good.text
    assert [(loan["device_serial"], loan["pupil_ref"], loan["class_name"]) for loan in good.json()] == [
        ("BULK0001", "5a-01", "5a"), ("BULK0002", "5a-02", "5a")]
    assert await Device.count().where(Device.id.is_in([first, second]), Device.status == "lent") == 2


async def test_bulk_lending_cannot_reach_another_school(client: httpx.AsyncClient, world: World) -> None:
    response = await call(client, world, "school_contact", "POST", "/loans/bulk", {
        "school_id": school(world, "rok"), "rows": [{"serial": "DMPXROK0001", "pupil_ref": "5a-01"}]})
    assert response.status_code == 404


async def test_due_and_overdue_lists(client: httpx.AsyncClient, world: World) -> None:
    (device_id,) = await _stock_devices(world, "kib", "LATE0001")
    year_end = services.school_year_end(services.today())
    last_year_end = dt.date(year_end.year - 1, 7, 31)
    late = await services.lend_device(SYSTEM, {"device_id": device_id, "pupil_ref": "9c-07", "class_name": "9c",
                                               "lent_on": last_year_end - dt.timedelta(days=300),
                                               "due_on": last_year_end})
    overdue = await call(client, world, "school_contact", "GET", "/loans", state="overdue")
    assert [loan["id"] for loan in overdue.json()["items"]] == [late["id"]]
    assert overdue.json()["items"][0]["overdue"] is True
    due = await call(client, world, "school_contact", "GET", "/loans", state="due")
    # Due at the end of this school year: not the loan that was due at the end of the last one.
    assert {loan["id"] for loan in due.json()["items"]} == {obj(world, "loan", "kib")}
    returned = await call(client, world, "school_contact", "GET", "/loans", state="returned")
    assert returned.json()["total"] == 0
    page = await client.get("/loans?state=overdue", headers=world.auth("school_contact"))
    assert page.status_code == 200 and "9c-07" in page.text and "überfällig" in page.text
    due_page = await client.get("/loans?state=due", headers=world.auth("school_contact"))
    assert "9c-07" not in due_page.text
    assert 'data-testid="overdue-count">1</span>' in due_page.text  # the overdue tab says it holds one
    assert "1 Ausleihe ist überfällig: Sie steht unter „Überfällig“, nicht hier." in due_page.text


async def test_agreement_page_is_printable_and_names_no_one(client: httpx.AsyncClient, world: World) -> None:
    loan = await services.lend_device(SYSTEM, {"device_id": obj(world, "device", "kib"), "pupil_ref": "7b-23",
                                               "class_name": "7b", "accessories_out": "Hülle, Stift",
                                               "condition_out": "Kratzer auf der Rückseite"})
    await login(client, "it@kib.test.example")
    page = await client.get(f"/loans/{loan['id']}/agreement")
    assert page.status_code == 200
    text = page.text
    for expected in ("Leihvertrag", "7b-23", "DMPXKIB0001", "Hülle, Stift", "Kratzer auf der Rückseite",
                     "Nordpfalzgymnasium Kirchheimbolanden", "Unterschrift", 'data-action="print"',
                     "Eigentum des Schulträgers"):
        assert expected in text, expected
    assert 'data-testid="fill-in"' not in text  # all recorded: no line left to fill in
    agreement = text[text.index('<article class="agreement"'):text.index("</article>")]
    for absent in ("Vorname", "Nachname", "Geburtsdatum", "Wohnort", "<input", "School Contact"):
        assert absent not in agreement, absent  # nothing to fill in about the pupil, no staff names either


async def test_loan_audit_keeps_no_pupil_reference(client: httpx.AsyncClient, world: World) -> None:
    lent = await call(client, world, "admin", "POST", "/loans", {"device_id": obj(world, "device", "kib"),
                                                                 "pupil_ref": "8a-31"})
    await call(client, world, "admin", "POST", f"/loans/{lent.json()['id']}/return", {})
    rows = await AuditEvent.select(AuditEvent.action, AuditEvent.before, AuditEvent.after).where(
        AuditEvent.object_type == "loan", AuditEvent.object_id == str(lent.json()["id"])).order_by(AuditEvent.id)
    assert [r["action"] for r in rows] == ["loan.lend", "loan.return"]
    assert all("8a-31" not in str(r["before"]) + str(r["after"]) for r in rows)


# --- what the agreement states of the handover ---------------------------------------------------


def _agreement_row(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return page[start:page.index("</dd>", start)]


async def test_agreement_states_only_what_was_recorded_for_this_loan(client: httpx.AsyncClient,
                                                                     world: World) -> None:
    """After a damaged return the lend form offers that return's condition to confirm; a loan recorded
    without a condition or accessories prints lines to fill in by hand, never "as new" or the inventory's
    list of accessories."""
    (device_id,) = await _stock_devices(world, "kib", "DAMAGE0001", accessories="Hülle, Ladekabel, Netzteil")
    await login(client, "it@kib.test.example")
    form = await client.get(f"/devices/{device_id}/lend")
    # Never lent: the accessories the inventory lists are offered, the condition is for the supporter to say.
    assert re.search(r'name="accessories_out"[^>]*>Hülle, Ladekabel, Netzteil</textarea>', form.text)
    assert re.search(r'name="condition_out"[^>]*></textarea>', form.text)
    first = await services.lend_device(SYSTEM, {"device_id": device_id, "pupil_ref": "8a-03",
                                                "lent_on": services.today() - dt.timedelta(days=30),
                                                "accessories_out": "Hülle, Ladekabel, Netzteil"})
    await services.return_loan(SYSTEM, first["id"], {"condition_in": "Display gesprungen, Hülle fehlt",
                                                     "device_status": "stock"})

    form = await client.get(f"/devices/{device_id}/lend")
    assert form.status_code == 200
    assert re.search(r'name="condition_out"[^>]*>Display gesprungen, Hülle fehlt</textarea>', form.text)
    assert re.search(r'name="accessories_out"[^>]*></textarea>', form.text)  # the return found the case missing
    assert f"Zuletzt zurückgegeben am {day_text(services.today())}" in form.text

    again = await call(client, world, "school_contact", "POST", "/loans", {"device_id": device_id,
                                                                           "pupil_ref": "8a-04"})
    assert again.status_code == 201, again.text
    assert again.json()["condition_out"] == "" and again.json()["accessories_out"] == ""
    page = (await client.get(f"/loans/{again.json()['id']}/agreement")).text
    assert "neuwertig" not in page
    for testid in ("agreement-condition", "agreement-accessories"):
        row = _agreement_row(page, testid)
        assert 'data-testid="fill-in"' in row and "Nicht erfasst: bei der Übergabe von Hand auszufüllen." in row
        assert "Hülle" not in row, testid

    # What the supporter confirms in the form is what the agreement states.
    await call(client, world, "school_contact", "POST", f"/loans/{again.json()['id']}/return", {})
    url = f"/devices/{device_id}/lend"
    lent = await client.post(url, data={"_csrf_token": await csrf_token(client, url), "pupil_ref": "8a-05",
                                        "condition_out": "Display gesprungen, Hülle fehlt",
                                        "accessories_out": "Ladekabel, Netzteil"})
    assert lent.status_code == 303, lent.text
    page = (await client.get(lent.headers["location"])).text
    assert "Display gesprungen, Hülle fehlt" in _agreement_row(page, "agreement-condition")
    assert "Ladekabel, Netzteil" in _agreement_row(page, "agreement-accessories")
    assert 'data-testid="fill-in"' not in page


# --- the days a loan may have --------------------------------------------------------------------


async def test_impossible_loan_days_are_refused(client: httpx.AsyncClient, world: World) -> None:
    (bought,) = await _stock_devices(world, "kib", "DAYS0001", purchase_date="2020-10-27")
    (unknown,) = await _stock_devices(world, "kib", "DAYS0002")
    before = await Loan.count()
    early = await call(client, world, "school_contact", "POST", "/loans", {
        "device_id": bought, "pupil_ref": "7b-31", "lent_on": "2020-10-26"})
    assert field_errors(early) == {"lent_on": "no earlier than the device's purchase date (27.10.2020)"}
    ancient = await call(client, world, "school_contact", "POST", "/loans", {
        "device_id": unknown, "pupil_ref": "7b-31", "lent_on": "1950-01-01", "due_on": "2090-01-01"})
    assert field_errors(ancient) == {"lent_on": "no earlier than 01.01.2000"}
    too_long = await call(client, world, "school_contact", "POST", "/loans", {
        "device_id": bought, "pupil_ref": "7b-31", "lent_on": "2025-09-01", "due_on": "2207-07-31"})
    assert field_errors(too_long) == {"due_on": "no later than 01.09.2031 (6 years after the lend day)"}
    german = await client.post("/api/v1/loans", headers={**world.auth("school_contact"), "accept-language": "de"},
                               json={"device_id": bought, "pupil_ref": "7b-31", "lent_on": "2020-10-01"})
    assert german.status_code == 422
    assert german.json()["errors"][0]["message"] == "frühestens am Kaufdatum des Geräts (27.10.2020)"
    assert await Loan.count() == before

    # The day it was bought and a loan of exactly six years are fine.
    lent = await call(client, world, "school_contact", "POST", "/loans", {
        "device_id": bought, "pupil_ref": "7b-31", "lent_on": "2020-10-27", "due_on": "2026-10-27"})
    assert lent.status_code == 201, lent.text
    # A correction is held to the same rules.
    moved = await call(client, world, "school_contact", "PATCH", f"/loans/{lent.json()['id']}",
                       {"due_on": "2027-10-27"})
    assert field_errors(moved) == {"due_on": "no later than 27.10.2026 (6 years after the lend day)"}
    earlier = await call(client, world, "school_contact", "PATCH", f"/loans/{lent.json()['id']}",
                         {"lent_on": "2019-01-01"})
    assert field_errors(earlier) == {"lent_on": "no earlier than the device's purchase date (27.10.2020)"}
    stored = await Loan.select(Loan.lent_on, Loan.due_on).where(Loan.id == lent.json()["id"]).first()
    assert stored == {"lent_on": dt.date(2020, 10, 27), "due_on": dt.date(2026, 10, 27)}


async def test_the_lend_form_and_the_class_lending_refuse_impossible_days(client: httpx.AsyncClient,
                                                                          world: World) -> None:
    (bought,) = await _stock_devices(world, "kib", "DAYS0003", purchase_date="2020-10-27")
    (unknown,) = await _stock_devices(world, "kib", "DAYS0004")
    before = await Loan.count()
    await login(client, "it@kib.test.example")
    url = f"/devices/{unknown}/lend"
    refused = await client.post(url, data={"_csrf_token": await csrf_token(client, url), "pupil_ref": "7b-32",
                                           "lent_on": "01.01.1950", "due_on": "01.01.2090"})
    assert refused.status_code == 422
    assert 'data-field="lent_on">frühestens am 01.01.2000<' in refused.text
    assert 'value="01.01.1950"' in refused.text or 'value="1950-01-01"' in refused.text  # kept for correcting
    url = f"/devices/{bought}/lend"
    refused = await client.post(url, data={"_csrf_token": await csrf_token(client, url), "pupil_ref": "7b-32",
                                           "lent_on": "2025-09-01", "due_on": "2207-07-31"})
    assert refused.status_code == 422
    assert 'data-field="due_on">spätestens am 01.09.2031 (6 Jahre nach dem Ausleihtag)<' in refused.text

    bulk = f"/schools/{school(world, 'kib')}/loans/bulk"
    refused = await client.post(bulk, data={"_csrf_token": await csrf_token(client, bulk), "class_name": "7b",
                                            "lent_on": "2020-09-01", "serial_0": "DAYS0003", "pupil_ref_0": "7b-33",
                                            "serial_1": "DAYS0004", "pupil_ref_1": "7b-34"})
    assert refused.status_code == 422
    assert "frühestens am Kaufdatum des Geräts (27.10.2020)" in refused.text
    api = await call(client, world, "school_contact", "POST", "/loans/bulk", {
        "school_id": school(world, "kib"), "lent_on": "1999-12-31", "rows": [{"serial": "DAYS0004",
                                                                              "pupil_ref": "7b-34"}]})
    assert field_errors(api) == {"lent_on": "no earlier than 01.01.2000"}
    assert await Loan.count() == before
    statuses = await Device.select(Device.status).where(Device.id.is_in([bought, unknown]))
    assert statuses == [{"status": "stock"}, {"status": "stock"}]


# --- lending from the loan list ------------------------------------------------------------------


async def test_lend_a_device_from_the_loan_list(client: httpx.AsyncClient, world: World) -> None:
    await _stock_devices(world, "kib", "PICK0001", asset_tag="INV-PICK-1")
    await _stock_devices(world, "kib", "PICK0002")
    await _stock_devices(world, "rok", "PICK0003")
    await login(client, "it@kib.test.example")
    loans = await client.get("/loans")
    assert 'href="/loans/lend"' in loans.text and "Gerät ausleihen" in loans.text
    pick = await client.get("/loans/lend")
    assert pick.status_code == 200
    # The school's devices in stock, not the lent one, not another school's.
    assert "PICK0001" in pick.text and "PICK0002" in pick.text and "PICK0003" not in pick.text
    assert "PFKIB0002" not in pick.text
    assert f'href="/schools/{school(world, "kib")}/loans/bulk"' in pick.text  # the class lending of the school
    scanned = await client.get("/loans/lend", params={"q": "pick0002"})
    assert scanned.status_code == 303
    assert scanned.headers["location"] == f"/devices/{(await _device_id('PICK0002'))}/lend"
    by_tag = await client.get("/loans/lend", params={"q": "inv-pick-1"})
    assert by_tag.headers["location"] == f"/devices/{(await _device_id('PICK0001'))}/lend"
    several = await client.get("/loans/lend", params={"q": "PICK"})
    assert several.status_code == 200 and "2 Geräte im Lager" in several.text
    foreign = await client.get("/loans/lend", params={"q": "PICK0003"})
    assert foreign.status_code == 200 and "Kein Gerät im Lager passt zu „PICK0003“." in foreign.text
    lent = await client.get("/loans/lend", params={"q": "PFKIB0002"})
    assert "Kein Gerät im Lager passt" in lent.text and 'href="/lookup?q=PFKIB0002"' in lent.text


async def test_only_who_may_lend_sees_lend_a_device(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "st@dbk.test.example")  # the school authority reads loans, lends none
    loans = await client.get("/loans")
    assert loans.status_code == 200 and 'href="/loans/lend' not in loans.text
    assert (await client.get("/loans/lend")).status_code == 403
    client.cookies.clear()
    await login(client, "support@verbund.test.example")
    pick = await client.get("/loans/lend", params={"school_id": school(world, "kib")})
    assert pick.status_code == 200 and "DMPXKIB0001" in pick.text and "DMPXROK0001" not in pick.text
    everywhere = await client.get("/loans/lend")
    assert "DMPXROK0001" in everywhere.text and "Für die Ausleihe an eine Klasse zuerst die Schule wählen." in \
        everywhere.text
    assert "CNKEY" not in everywhere.text  # devices only, no access points


async def _device_id(serial: str) -> int:
    row = await Device.select(Device.id).where(Device.serial == serial).first()
    assert row is not None
    return int(row["id"])


async def test_the_lend_form_of_a_device_that_cannot_be_lent_says_why(client: httpx.AsyncClient,
                                                                      world: World) -> None:
    """A device on loan, or not in stock, gets no lend form to fill in: the page says in German why it cannot
    be lent (its open loan, its status) and leads back (409); a device in stock still gets its form."""
    lent_id, repair_id, stock_id = await _stock_devices(world, "kib", "NOLEND0001", "NOLEND0002", "NOLEND0003")
    loan = await services.lend_device(SYSTEM, {"device_id": lent_id, "pupil_ref": "6a-11", "class_name": "6a",
                                               "lent_on": services.today() - dt.timedelta(days=3)})
    await Device.update({Device.status: "repair"}).where(Device.id == repair_id)
    await login(client, "it@kib.test.example")
    lent = await client.get(f"/devices/{lent_id}/lend")
    assert lent.status_code == 409
    assert "Dieses Gerät kann nicht verliehen werden" in lent.text and 'name="pupil_ref"' not in lent.text
    assert (f"Es ist zurzeit verliehen: seit {day_text(loan['lent_on'])} an 6a-11, Rückgabe bis "
            f"{day_text(loan['due_on'])}.") in lent.text
    assert f'href="/loans/{loan["id"]}/return"' in lent.text and f'href="/devices/{lent_id}"' in lent.text
    repair = await client.get(f"/devices/{repair_id}/lend")
    assert repair.status_code == 409 and 'name="pupil_ref"' not in repair.text
    assert "Sein Status ist „in Reparatur“: verliehen werden nur Geräte im Lager." in repair.text
    assert f'href="/devices/{repair_id}"' in repair.text
    stock = await client.get(f"/devices/{stock_id}/lend")
    assert stock.status_code == 200 and 'name="pupil_ref"' in stock.text


async def test_the_return_form_names_the_lend_day_a_return_cannot_precede(client: httpx.AsyncClient,
                                                                          world: World) -> None:
    loan_id = obj(world, "loan", "kib")
    lent_on = (await Loan.select(Loan.lent_on).where(Loan.id == loan_id).first())["lent_on"]
    await login(client, "it@kib.test.example")
    url = f"/loans/{loan_id}/return"
    refused = await client.post(url, data={"_csrf_token": await csrf_token(client, url), "device_status": "stock",
                                           "returned_on": (lent_on - dt.timedelta(days=1)).isoformat()})
    assert refused.status_code == 422
    reason = f"Rückgabe vor der Ausgabe ({day_text(lent_on)})"
    assert f'data-field="returned_on">{reason}<' in refused.text
    assert f'<a href="#field-returned_on">Zurückgegeben am</a>: {reason}' in refused.text
    assert (await Loan.select(Loan.returned_on).where(Loan.id == loan_id).first())["returned_on"] is None
