"""Disposal of devices (Aussonderung, #22 item 4): a supporter requests it with the data-wipe certificate, a
second person of the county with the right to decide approves or rejects it (four eyes); open loans block
it; a disposed device leaves the active lists but stays in its history, the audit log and the funding proof;
other counties see nothing (404); a disguised file is refused by its bytes."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import httpx

from schoolit.inventory import disposals
from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.inventory.support import call, obj, school
from tests.integration.world import World

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


async def _device(client: httpx.AsyncClient, world: World, serial: str, **extra: Any) -> dict[str, Any]:
    created = await call(client, world, "verbund_supporter", "POST", "/devices", {
        "school_id": school(world, "kib"), "kind": "laptop", "vendor": "Lenovo", "model": "L13", "serial": serial,
        "status": "stock", "funding_programme": "digitalpakt_sofortausstattung", "supplier": "Bechtle AG",
        "price_cents": 69900, **extra})
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _request(client: httpx.AsyncClient, world: World, actor: str, device_id: int, *, reason: str = "defective",
                   note: str = "", file: tuple[str, bytes, str] = ("Loeschprotokoll.pdf", PDF, "application/pdf"),
                   ) -> httpx.Response:
    return await client.post(f"/api/v1/devices/{device_id}/disposal", data={"reason": reason, "note": note},
                             files={"certificate": file}, headers=_german(world, actor))


async def _decide(client: httpx.AsyncClient, world: World, actor: str, disposal_id: int, verdict: str,
                  note: str = "") -> httpx.Response:
    return await client.post(f"/api/v1/disposals/{disposal_id}/{verdict}", json={"note": note},
                             headers=_german(world, actor))


def _german(world: World, actor: str) -> dict[str, str]:
    """The API in German (the tests' clients ask for English): the refusals below are read in German."""
    return {**world.auth(actor), "accept-language": "de"}


def _table(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


async def test_request_approve_and_the_device_leaves_the_active_lists(client: httpx.AsyncClient,
                                                                     world: World) -> None:
    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    device = await _device(client, world, "DISP-1", warranty_end=soon, purchase_date="2021-02-01")
    school_before = (await call(client, world, "admin", "GET", f"/schools/{school(world, 'kib')}")).json()

    requested = await _request(client, world, "verbund_supporter", device["id"], note="Display gebrochen")
    assert requested.status_code == 201, requested.text
    disposal = requested.json()
    assert (disposal["state"], disposal["reason"], disposal["certificate_type"]) == (
        "pending", "defective", "application/pdf")
    assert disposal["requested_by"] == world.users["verbund_supporter"]["id"]
    # Pending: still an active device.
    assert (await call(client, world, "admin", "GET", f"/devices/{device['id']}")).json()["status"] == "stock"
    again = await _request(client, world, "verbund_supporter", device["id"])
    assert again.status_code == 409 and "wartet" in again.json()["detail"], again.text

    # Supporters may not decide; the authority of the county approves.
    assert (await _decide(client, world, "verbund_supporter", disposal["id"], "approve")).status_code == 403
    approved = await _decide(client, world, "donnersberg_authority", disposal["id"], "approve", "Geprüft")
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["state"], body["decided_by"], body["decision_note"], body["disposed_on"]) == (
        "approved", world.users["donnersberg_authority"]["id"], "Geprüft", dt.date.today().isoformat())
    assert (await _decide(client, world, "admin", disposal["id"], "reject")).status_code == 409

    # History: the device itself, marked disposed with day and reason.
    one = (await call(client, world, "admin", "GET", f"/devices/{device['id']}")).json()
    assert (one["status"], one["disposed_on"], one["disposal_reason"]) == (
        "disposed", dt.date.today().isoformat(), "defective")
    # Gone from the active lists: the device list, the school's count, the warranty list, the labels.
    listed = (await call(client, world, "admin", "GET", "/devices", school_id=school(world, "kib"))).json()
    assert device["id"] not in [d["id"] for d in listed["items"]]
    only_disposed = (await call(client, world, "admin", "GET", "/devices", status="disposed")).json()
    assert [d["id"] for d in only_disposed["items"]] == [device["id"]]
    school_after = (await call(client, world, "admin", "GET", f"/schools/{school(world, 'kib')}")).json()
    assert school_after["devices"] == school_before["devices"] - 1
    await login(client, world.users["verbund_supporter"]["email"])
    warranty = await client.get("/warranty", params={"days": "60"})
    assert "DISP-1" not in warranty.text
    # The device page keeps it, with its disposal and the certificate link; no edit, no second request.
    page = await client.get(f"/devices/{device['id']}")
    assert "ausgesondert" in page.text and "Loeschprotokoll.pdf" in page.text and "/edit" not in page.text
    assert 'data-testid="disposal-form"' not in page.text
    # The MDM does not miss it: never flagged as not seen lately.
    await fetch("UPDATE device SET mdm_last_seen = now() - interval '400 days' WHERE id = {}", device["id"])
    silent = (await call(client, world, "admin", "GET", "/devices", status="disposed", mdm_silent="yes")).json()
    assert silent["items"] == []
    # A disposed device is not changed any more, nor by a bulk status.
    patched = await call(client, world, "admin", "PATCH", f"/devices/{device['id']}", {"status": "stock"})
    assert patched.status_code == 409
    bulk = await call(client, world, "admin", "POST", "/devices/status", {"ids": [device["id"]], "status": "stock"})
    assert bulk.status_code == 422

    # The funding proof lists it, marked with the day and reason.
    proof = await client.get("/api/v1/export/funding-proof-items.csv", headers=world.auth("verbund_supporter"))
    table = _table(proof.content)
    header, row = table[0], next(r for r in table if "DISP-1" in r)
    assert header[-3:] == ["Status", "Ausgesondert am", "Aussonderungsgrund"]
    assert row[-3:] == ["disposed", dt.date.today().strftime("%d.%m.%Y"), "defekt / wirtschaftlicher Totalschaden"]

    # The audit log has each step.
    actions = [r["action"] for r in await fetch(
        "SELECT action FROM audit_log WHERE object_type = 'device' AND object_id = {} ORDER BY id",
        str(device["id"]))]
    assert actions[-3:] == ["device.disposal_request", "device.disposal_approve", "device.dispose"]

    # The certificate comes back as it went in, never sniffed.
    download = await client.get(f"/api/v1/disposals/{disposal['id']}/certificate",
                                headers=world.auth("donnersberg_authority"))
    assert download.content == PDF and download.headers["x-content-type-options"] == "nosniff"

    # The list page and its CSV.
    listing = (await call(client, world, "admin", "GET", "/disposals", state="approved")).json()
    assert [d["id"] for d in listing["items"]] == [disposal["id"]]
    exported = _table((await client.get("/disposals.csv")).content)
    assert exported[0][:4] == ["Landkreis", "Schulnummer", "Schule", "Seriennummer"]
    line = next(r for r in exported if "DISP-1" in r)
    assert "genehmigt" in line and "Geprüft" in line and "Loeschprotokoll.pdf" in line


async def test_four_eyes_and_rejection(client: httpx.AsyncClient, world: World) -> None:
    device = await _device(client, world, "DISP-2")
    disposal = (await _request(client, world, "admin", device["id"], reason="obsolete")).json()
    own = await _decide(client, world, "admin", disposal["id"], "approve")
    assert own.status_code == 403 and "Vier-Augen" in own.json()["detail"], own.text
    assert (await fetch("SELECT state FROM device_disposal WHERE id = {}", disposal["id"]))[0]["state"] == "pending"
    rejected = await _decide(client, world, "donnersberg_authority", disposal["id"], "reject", "Noch nutzbar")
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    device_now = (await call(client, world, "admin", "GET", f"/devices/{device['id']}")).json()
    assert (device_now["status"], device_now["disposed_on"]) == ("stock", None)
    # Rejected: a new request may follow.
    assert (await _request(client, world, "verbund_supporter", device["id"])).status_code == 201


async def test_open_loans_block_the_request_and_the_approval(client: httpx.AsyncClient, world: World) -> None:
    lent = (await fetch("SELECT device_id FROM loan WHERE id = {}", obj(world, "loan", "kib")))[0]["device_id"]
    blocked = await _request(client, world, "verbund_supporter", lent)
    assert blocked.status_code == 409, blocked.text
    assert "verliehen" in blocked.json()["detail"] and "7b" in blocked.json()["detail"]
    assert await fetch("SELECT id FROM device_disposal WHERE device_id = {}", lent) == []

    device = await _device(client, world, "DISP-3")
    disposal = (await _request(client, world, "verbund_supporter", device["id"])).json()
    lend = await call(client, world, "verbund_supporter", "POST", "/loans", {
        "device_id": device["id"], "pupil_ref": "8a-03", "class_name": "8a", "lent_on": "2026-11-02"})
    assert lend.status_code == 201, lend.text
    refused = await _decide(client, world, "donnersberg_authority", disposal["id"], "approve")
    assert refused.status_code == 409 and "8a" in refused.json()["detail"], refused.text
    assert (await call(client, world, "admin", "GET", f"/devices/{device['id']}")).json()["status"] == "lent"


async def test_bad_input_names_the_field_and_stores_nothing(client: httpx.AsyncClient, world: World) -> None:
    device = await _device(client, world, "DISP-4")
    before = await fetch("SELECT count(*) AS n FROM device_disposal")
    disguised = await _request(client, world, "verbund_supporter", device["id"],
                               file=("Loeschprotokoll.pdf", b"MZ\x90\x00 this is a program", "application/pdf"))
    assert disguised.status_code == 422, disguised.text
    assert {e["field"] for e in disguised.json()["errors"]} == {"certificate"}
    html = await _request(client, world, "verbund_supporter", device["id"],
                          file=("nachweis.pdf", b"<html><script>alert(1)</script>", "application/pdf"))
    assert html.status_code == 422
    other = await _request(client, world, "verbund_supporter", device["id"], reason="other")
    assert other.status_code == 422 and {e["field"] for e in other.json()["errors"]} == {"note"}
    unknown = await _request(client, world, "verbund_supporter", device["id"], reason="kaputt")
    assert unknown.status_code == 422 and {e["field"] for e in unknown.json()["errors"]} == {"reason"}
    assert await fetch("SELECT count(*) AS n FROM device_disposal") == before
    # "disposed" is never set by hand.
    patched = await call(client, world, "admin", "PATCH", f"/devices/{device['id']}", {"status": "disposed"})
    assert patched.status_code == 422 and "Aussonderung" in patched.text


async def test_other_counties_see_nothing(client: httpx.AsyncClient, world: World) -> None:
    disposal_id = obj(world, "disposal", "kib")
    for actor in ("ludwigsburg_authority", "ludwigsburg_supporter"):
        auth = world.auth(actor)
        assert (await client.get(f"/api/v1/disposals/{disposal_id}", headers=auth)).status_code == 404
        assert (await client.get(f"/api/v1/disposals/{disposal_id}/certificate", headers=auth)).status_code == 404
        listed = (await client.get("/api/v1/disposals", headers=auth)).json()
        assert disposal_id not in [d["id"] for d in listed["items"]]
    assert (await _decide(client, world, "ludwigsburg_authority", disposal_id, "approve")).status_code == 404
    foreign = await _request(client, world, "ludwigsburg_supporter", obj(world, "device", "kib"))
    assert foreign.status_code == 404
    assert (await fetch("SELECT state FROM device_disposal WHERE id = {}", disposal_id))[0]["state"] == "pending"
    # The school contact sees their own school's only.
    contact = (await client.get("/api/v1/disposals", headers=world.auth("school_contact"))).json()
    assert [d["school_id"] for d in contact["items"]] == [school(world, "kib")]


async def test_pages_request_and_decide(client: httpx.AsyncClient, world: World) -> None:
    device = await _device(client, world, "DISP-5")
    await login(client, world.users["verbund_supporter"]["email"])
    url = f"/devices/{device['id']}"
    token = await csrf_token(client, url)
    wrong = await client.post(f"{url}/disposal", data={"_csrf_token": token, "reason": "defective"},
                              files={"certificate": ("x.pdf", b"GIF8 nope", "application/pdf")})
    assert wrong.status_code == 422 and 'data-field="certificate"' in wrong.text
    assert "Datenlöschnachweis" in wrong.text
    other = await client.post(f"{url}/disposal", data={"_csrf_token": token, "reason": "other"},
                              files={"certificate": ("protokoll.pdf", PDF, "application/pdf")})
    assert other.status_code == 422 and "Notiz: bei „sonstiges“ den Grund in der Notiz nennen" in other.text
    done = await client.post(f"{url}/disposal", data={"_csrf_token": token, "reason": "lost", "note": "gestohlen"},
                             files={"certificate": ("protokoll.pdf", PDF, "application/pdf")})
    assert done.status_code == 303, done.text
    disposal_id = (await fetch("SELECT id FROM device_disposal WHERE device_id = {}", device["id"]))[0]["id"]

    await client.post("/logout", data={"_csrf_token": await csrf_token(client, "/")})
    await login(client, world.users["donnersberg_authority"]["email"])
    listing = await client.get("/disposals")
    assert listing.status_code == 200 and f'data-testid="decide-{disposal_id}"' in listing.text
    assert f'maxlength="{disposals.NOTE_LENGTH}"' in listing.text
    token = await csrf_token(client, "/disposals")
    # The disposal's note is its own (not a ticket's time entry with its 300 characters): named "Notiz", and
    # what was typed stays in the list's form.
    too_long = "x" * (disposals.NOTE_LENGTH + 1)
    refused = await client.post(f"/disposals/{disposal_id}/reject", data={"_csrf_token": token, "note": too_long})
    assert refused.status_code == 422
    assert "Notiz: zu lang" in refused.text and "was wurde getan" not in refused.text
    assert f">{too_long}</textarea>" in refused.text
    assert (await fetch("SELECT state FROM device_disposal WHERE id = {}", disposal_id))[0]["state"] == "pending"
    decided = await client.post(f"/disposals/{disposal_id}/approve", data={"_csrf_token": token, "note": "o" * 301})
    assert decided.status_code == 303
    assert (await call(client, world, "admin", "GET", f"/devices/{device['id']}")).json()["status"] == "disposed"
