"""Disposal of devices and access points (Aussonderung, #22 item 4): a supporter requests it with the data-wipe
certificate, a second person of the county with the right to decide approves or rejects it (four eyes); open
loans block a device's, the status "active" an access point's; what is disposed of leaves the active lists (an
access point also the coverage counts) but stays in its history, the audit log and the funding proof; other
counties and other schools' contacts see nothing (404); a disguised file is refused by its bytes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import httpx
import pytest

from schoolit.describe import forms
from schoolit.inventory import disposals
from schoolit.inventory.resources.access_point import ACCESS_POINT
from schoolit.inventory.resources.device import DEVICE
from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.inventory.csvfiles import csv_bytes, post_import
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


async def _request(client: httpx.AsyncClient, world: World, actor: str, asset_id: int, *, reason: str = "defective",
                   note: str = "", file: tuple[str, bytes, str] = ("Loeschprotokoll.pdf", PDF, "application/pdf"),
                   plural: str = "devices") -> httpx.Response:
    """A disposal request through the API for a device (or, with `plural` "access-points", an access point)."""
    return await client.post(f"/api/v1/{plural}/{asset_id}/disposal", data={"reason": reason, "note": note},
                             files={"certificate": file}, headers=_german(world, actor))


async def _decide(client: httpx.AsyncClient, world: World, actor: str, disposal_id: int, verdict: str,
                  note: str = "") -> httpx.Response:
    return await client.post(f"/api/v1/disposals/{disposal_id}/{verdict}", json={"note": note},
                             headers=_german(world, actor))


async def _disposed_and_listed_apart(client: httpx.AsyncClient, world: World, plural: str,
                                     asset_id: int) -> dict[str, Any]:
    """The asset (of Kirchheimbolanden) is marked disposed of today for being defective, is gone from its list
    and is listed when asked for by its status; the asset as the API shows it."""
    one = dict((await call(client, world, "admin", "GET", f"/{plural}/{asset_id}")).json())
    assert (one["status"], one["disposed_on"], one["disposal_reason"]) == (
        "disposed", dt.date.today().isoformat(), "defective")
    listed = (await call(client, world, "admin", "GET", f"/{plural}", school_id=school(world, "kib"))).json()
    assert asset_id not in [row["id"] for row in listed["items"]]
    only_disposed = (await call(client, world, "admin", "GET", f"/{plural}", status="disposed")).json()
    assert [row["id"] for row in only_disposed["items"]] == [asset_id]
    return one


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

    # History: the device itself, marked disposed with day and reason; gone from the active lists: the device
    # list, the school's count, the warranty list, the labels.
    await _disposed_and_listed_apart(client, world, "devices", device["id"])
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
    assert exported[0][:5] == ["Landkreis", "Schulnummer", "Schule", "Objektart", "Seriennummer"]
    line = next(r for r in exported if "DISP-1" in r)
    assert "genehmigt" in line and "Geprüft" in line and "Loeschprotokoll.pdf" in line


@pytest.mark.parametrize("plural", ["devices", "access-points"])
async def test_four_eyes_and_rejection(client: httpx.AsyncClient, world: World, plural: str) -> None:
    asset = await (_device(client, world, "DISP-2") if plural == "devices"
                   else _access_point(client, world, "APDISP-2", status="planned"))
    disposal = (await _request(client, world, "admin", asset["id"], reason="obsolete", plural=plural)).json()
    own = await _decide(client, world, "admin", disposal["id"], "approve")
    assert own.status_code == 403 and "Vier-Augen" in own.json()["detail"], own.text
    assert (await fetch("SELECT state FROM disposal WHERE id = {}", disposal["id"]))[0]["state"] == "pending"
    rejected = await _decide(client, world, "donnersberg_authority", disposal["id"], "reject", "Noch nutzbar")
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    now = (await call(client, world, "admin", "GET", f"/{plural}/{asset['id']}")).json()
    assert (now["status"], now["disposed_on"]) == (asset["status"], None)
    # Rejected: a new request may follow.
    assert (await _request(client, world, "verbund_supporter", asset["id"], plural=plural)).status_code == 201


async def test_open_loans_block_the_request_and_the_approval(client: httpx.AsyncClient, world: World) -> None:
    lent = (await fetch("SELECT device_id FROM loan WHERE id = {}", obj(world, "loan", "kib")))[0]["device_id"]
    blocked = await _request(client, world, "verbund_supporter", lent)
    assert blocked.status_code == 409, blocked.text
    assert "verliehen" in blocked.json()["detail"] and "7b" in blocked.json()["detail"]
    assert await fetch("SELECT id FROM disposal WHERE device_id = {}", lent) == []
    # Its page says so instead of offering the request.
    await login(client, world.users["verbund_supporter"]["email"])
    page = await client.get(f"/devices/{lent}")
    assert 'data-testid="disposal-blocked"' in page.text and "verliehen" in page.text
    assert 'data-testid="disposal-form"' not in page.text
    # Sent from a page opened before the loan: the page comes back (409) with the refusal on top of the form,
    # focused where the reader is taken, and the reason chosen kept.
    stale = await client.post(f"/devices/{lent}/disposal", data={
        "_csrf_token": await csrf_token(client, f"/devices/{lent}"), "reason": "obsolete"},
        files={"certificate": ("protokoll.pdf", PDF, "application/pdf")})
    assert stale.status_code == 409
    opening, text = _summary(stale.text)
    assert "autofocus" in opening and 'role="alert"' in opening and 'tabindex="-1"' in opening
    assert text.startswith("Das Gerät ist verliehen (Ausleihe vom ") and text.endswith("zuerst zurücknehmen")
    assert "Bitte korrigieren" not in text  # nothing to correct in the form: a sentence of its own
    assert '<details class="no-print" open>' in stale.text and '<option value="obsolete" selected>' in stale.text
    assert await fetch("SELECT id FROM disposal WHERE device_id = {}", lent) == []

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
    before = await fetch("SELECT count(*) AS n FROM disposal")
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
    assert await fetch("SELECT count(*) AS n FROM disposal") == before
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
    assert (await fetch("SELECT state FROM disposal WHERE id = {}", disposal_id))[0]["state"] == "pending"
    # The school contact sees their own school's only.
    contact = (await client.get("/api/v1/disposals", headers=world.auth("school_contact"))).json()
    assert [d["school_id"] for d in contact["items"]] == [school(world, "kib")]


def _summary(page: str) -> tuple[str, str]:
    """The opening tag and the text of a refused form's error summary (web/_form.html) on `page`."""
    found = re.search(r'(<div class="flash error error-summary"[^>]*data-testid="disposal-error"[^>]*>)(.*?)</div>',
                      page, re.S)
    assert found, page[:2000]
    return found.group(1), " ".join(re.sub(r"<[^>]+>", "", found.group(2)).split())


async def _page_refuses_bad_requests(client: httpx.AsyncClient, url: str) -> str:
    """The request form of the asset page `url` (logged in) refuses a disguised certificate and "other" without
    a note: the page comes back with the form opened, its summary focused on top ("Bitte korrigieren:", the
    field's German label linked to its input) and the reason at the field; the form's CSRF token."""
    token = await csrf_token(client, url)
    wrong = await client.post(f"{url}/disposal", data={"_csrf_token": token, "reason": "defective"},
                              files={"certificate": ("x.pdf", b"GIF8 nope", "application/pdf")})
    assert wrong.status_code == 422 and 'data-field="certificate"' in wrong.text
    opening, text = _summary(wrong.text)
    assert "autofocus" in opening and 'role="alert"' in opening and text.startswith("Bitte korrigieren: Datenlöschnach")
    assert '<a href="#field-certificate">Datenlöschnachweis</a>:' in wrong.text
    assert 'id="field-certificate"' in wrong.text
    other = await client.post(f"{url}/disposal", data={"_csrf_token": token, "reason": "other"},
                              files={"certificate": ("protokoll.pdf", PDF, "application/pdf")})
    assert other.status_code == 422
    assert _summary(other.text)[1] == "Bitte korrigieren: Notiz: bei „sonstiges“ den Grund in der Notiz nennen"
    assert 'data-field="note">bei „sonstiges“ den Grund in der Notiz nennen<' in other.text
    assert '<details class="no-print" open>' in other.text and '<option value="other" selected>' in other.text
    return token


async def test_pages_request_and_decide(client: httpx.AsyncClient, world: World) -> None:
    device = await _device(client, world, "DISP-5")
    await login(client, world.users["verbund_supporter"]["email"])
    url = f"/devices/{device['id']}"
    token = await _page_refuses_bad_requests(client, url)
    done = await client.post(f"{url}/disposal", data={"_csrf_token": token, "reason": "lost", "note": "gestohlen"},
                             files={"certificate": ("protokoll.pdf", PDF, "application/pdf")})
    assert done.status_code == 303, done.text
    disposal_id = (await fetch("SELECT id FROM disposal WHERE device_id = {}", device["id"]))[0]["id"]

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
    assert _summary(refused.text)[1] == "Bitte korrigieren: Notiz: zu lang" and "was wurde getan" not in refused.text
    # its link leads to the note of the row it was typed in, which keeps it
    assert re.search(rf'<textarea id="field-note" name="note" rows="2" maxlength="\d+">{too_long}</textarea>',
                     refused.text)
    assert (await fetch("SELECT state FROM disposal WHERE id = {}", disposal_id))[0]["state"] == "pending"
    decided = await client.post(f"/disposals/{disposal_id}/approve", data={"_csrf_token": token, "note": "o" * 301})
    assert decided.status_code == 303
    assert (await call(client, world, "admin", "GET", f"/devices/{device['id']}")).json()["status"] == "disposed"


# --- access points ---------------------------------------------------------------------------------


async def _access_point(client: httpx.AsyncClient, world: World, serial: str, *, status: str = "retired",
                        room: str = "A 102", **extra: Any) -> dict[str, Any]:
    """An access point at Kirchheimbolanden covering `room` (the world's own covers A 101)."""
    covered = await fetch("SELECT id FROM room WHERE school_id = {} AND name = {}", school(world, "kib"), room)
    created = await call(client, world, "verbund_supporter", "POST", "/access-points", {
        "school_id": school(world, "kib"), "name": f"AP {serial}", "vendor": "lancom", "model": "LW-600",
        "serial": serial, "status": status, "funding_programme": "digitalpakt_basis", "supplier": "Bechtle AG",
        "purchase_date": "2021-08-01", "price_cents": 48900, "covered_room_ids": [covered[0]["id"]], **extra})
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _request_ap(client: httpx.AsyncClient, world: World, actor: str, access_point_id: int,
                      **options: Any) -> httpx.Response:
    """An access point's disposal request, with the record of its factory reset."""
    options.setdefault("file", ("Werksreset.pdf", PDF, "application/pdf"))
    return await _request(client, world, actor, access_point_id, plural="access-points", **options)


async def _coverage(client: httpx.AsyncClient, world: World) -> tuple[int, int, list[int], float, int]:
    """What counts a school's access points: the school's access points and covered teaching rooms (inventory),
    the access points and planned coverage of its network section (probes), the planned covered rooms of
    the county dashboard."""
    kib = school(world, "kib")
    summary = (await call(client, world, "admin", "GET", f"/schools/{kib}")).json()
    network = (await call(client, world, "admin", "GET", f"/stats/schools/{kib}/network")).json()
    board = (await client.get("/api/v1/dashboards/counties/donnersbergkreis",
                              headers=world.auth("donnersberg_authority"))).json()
    (row,) = [s for s in board["schools"] if s["school_number"] == "41001"]
    return (summary["access_points"], summary["covered_teaching_rooms"], [a["id"] for a in network["access_points"]],
            network["coverage"]["planned"], row["planned_covered_rooms"])


async def test_an_access_point_is_disposed_of_and_leaves_lists_and_coverage(client: httpx.AsyncClient,
                                                                            world: World) -> None:
    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    # Faulty: out of service but still counted (it covers A 102 as planned) until it is disposed of.
    ap = await _access_point(client, world, "APDISP-1", status="faulty", warranty_end=soon)
    aps, covered, listed, planned, board = await _coverage(client, world)
    assert ap["id"] in listed and planned == 1.0

    requested = await _request_ap(client, world, "verbund_supporter", ap["id"], note="Funkmodul defekt")
    assert requested.status_code == 201, requested.text
    disposal = requested.json()
    assert (disposal["asset_kind"], disposal["access_point_id"], disposal["device_id"], disposal["name"],
            disposal["serial"], disposal["state"]) == ("access_point", ap["id"], None, "AP APDISP-1", "APDISP-1",
                                                       "pending")
    again = await _request_ap(client, world, "verbund_supporter", ap["id"])
    assert again.status_code == 409 and "wartet bereits" in again.json()["detail"], again.text
    assert (await _decide(client, world, "verbund_supporter", disposal["id"], "approve")).status_code == 403
    approved = await _decide(client, world, "donnersberg_authority", disposal["id"], "approve", "Reset geprüft")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["state"], approved.json()["disposed_on"]) == ("approved", dt.date.today().isoformat())

    # Marked disposed of; gone from the lists and every count of access points and coverage.
    one = await _disposed_and_listed_apart(client, world, "access-points", ap["id"])
    assert await _coverage(client, world) == (aps - 1, covered - 1, [a for a in listed if a != ap["id"]], 0.5,
                                              board - 1)
    room = (await fetch("SELECT id FROM room WHERE school_id = {} AND name = 'A 102'", school(world, "kib")))[0]
    assert (await call(client, world, "admin", "GET", f"/rooms/{room['id']}")).json()["covering_access_point_ids"] == []
    await login(client, world.users["verbund_supporter"]["email"])
    assert "APDISP-1" not in (await client.get("/warranty", params={"days": "60"})).text
    # Never changed again, not even retired; its coverage record stays with it (its history).
    assert (await call(client, world, "admin", "PATCH", f"/access-points/{ap['id']}",
                       {"status": "active"})).status_code == 409
    assert (await call(client, world, "admin", "POST", f"/access-points/{ap['id']}/retire")).status_code == 409
    assert one["covered_room_ids"] == [room["id"]]
    # Kept: its page (marked, with its disposal and certificate, nothing to edit), the lookup by serial.
    page = await client.get(f"/access-points/{ap['id']}")
    assert page.status_code == 200 and "ausgesondert" in page.text and "Werksreset.pdf" in page.text
    assert f"/access-points/{ap['id']}/edit" not in page.text and 'data-testid="disposal-form"' not in page.text
    hits = (await call(client, world, "admin", "GET", "/lookup", q="APDISP-1")).json()
    assert [(h["kind"], h["id"]) for h in hits] == [("access_point", ap["id"])]
    # The funding proof lists it, marked with the day and reason.
    proof = _table((await client.get("/api/v1/export/funding-proof-items.csv",
                                      headers=world.auth("verbund_supporter"))).content)
    line = next(r for r in proof if "APDISP-1" in r)
    assert line[3] == "WLAN-Access-Point"
    assert line[-3:] == ["disposed", dt.date.today().strftime("%d.%m.%Y"), "defekt / wirtschaftlicher Totalschaden"]
    # The audit log names each step on the access point.
    actions = [r["action"] for r in await fetch(
        "SELECT action FROM audit_log WHERE object_type = 'access_point' AND object_id = {} ORDER BY id",
        str(ap["id"]))]
    assert actions[-3:] == ["access_point.disposal_request", "access_point.disposal_approve",
                            "access_point.dispose"]
    download = await client.get(f"/api/v1/disposals/{disposal['id']}/certificate",
                                headers=world.auth("donnersberg_authority"))
    assert download.content == PDF
    # The list beside devices, with its kind.
    listing = (await call(client, world, "admin", "GET", "/disposals")).json()
    kinds = {d["id"]: d["asset_kind"] for d in listing["items"]}
    assert kinds[disposal["id"]] == "access_point" and kinds[obj(world, "disposal", "kib")] == "device"
    exported = _table((await client.get("/disposals.csv")).content)
    line = next(r for r in exported if "APDISP-1" in r)
    assert line[3:7] == ["WLAN-Access-Point", "APDISP-1", "", "AP APDISP-1 LANCOM LW-600"]
    assert "genehmigt" in line and "Reset geprüft" in line


async def test_an_active_access_point_blocks_the_request_and_the_approval(client: httpx.AsyncClient,
                                                                         world: World) -> None:
    active = obj(world, "access_point", "kib")  # hangs, polled by the probes
    blocked = await _request_ap(client, world, "verbund_supporter", active)
    assert blocked.status_code == 409, blocked.text
    assert "aktiv" in blocked.json()["detail"] and "ausgemustert" in blocked.json()["detail"]
    assert await fetch("SELECT id FROM disposal WHERE access_point_id = {}", active) == []

    ap = await _access_point(client, world, "APDISP-3")
    disposal = (await _request_ap(client, world, "verbund_supporter", ap["id"])).json()
    # Hung up again meanwhile: the approval is refused and it stays in service.
    assert (await call(client, world, "admin", "PATCH", f"/access-points/{ap['id']}",
                       {"status": "active"})).status_code == 200
    refused = await _decide(client, world, "donnersberg_authority", disposal["id"], "approve")
    assert refused.status_code == 409 and "aktiv" in refused.json()["detail"], refused.text
    assert (await call(client, world, "admin", "GET", f"/access-points/{ap['id']}")).json()["status"] == "active"
    assert (await fetch("SELECT state FROM disposal WHERE id = {}", disposal["id"]))[0]["state"] == "pending"


async def test_an_access_point_is_disposed_of_only_by_an_approved_disposal(client: httpx.AsyncClient,
                                                                          world: World) -> None:
    ap = await _access_point(client, world, "APDISP-4")
    before = await fetch("SELECT count(*) AS n FROM disposal")
    disguised = await _request_ap(client, world, "verbund_supporter", ap["id"],
                                  file=("Werksreset.pdf", b"MZ\x90\x00 this is a program", "application/pdf"))
    assert disguised.status_code == 422 and {e["field"] for e in disguised.json()["errors"]} == {"certificate"}
    other = await _request_ap(client, world, "verbund_supporter", ap["id"], reason="other")
    assert other.status_code == 422 and {e["field"] for e in other.json()["errors"]} == {"note"}
    unknown = await _request_ap(client, world, "verbund_supporter", ap["id"], reason="kaputt")
    assert unknown.status_code == 422 and {e["field"] for e in unknown.json()["errors"]} == {"reason"}
    assert await fetch("SELECT count(*) AS n FROM disposal") == before
    # "disposed" is set by no form, API call or file.
    by_hand = "ausgesondert wird ein Access Point nur durch eine genehmigte Aussonderung"
    patched = await client.patch(f"/api/v1/access-points/{ap['id']}", json={"status": "disposed"},
                                 headers=_german(world, "admin"))
    assert [(e["field"], e["message"]) for e in patched.json()["errors"]] == [("status", by_hand)]
    created = await client.post("/api/v1/access-points", headers=_german(world, "admin"), json={
        "school_id": school(world, "kib"), "vendor": "aruba", "serial": "APDISP-NEW", "status": "disposed",
        "funding_programme": "digitalpakt_basis"})
    assert created.status_code == 422 and [e["field"] for e in created.json()["errors"]] == ["status"]
    imported = await post_import(client, world, "admin", "access-points", csv_bytes([
        ["Schulnummer", "Seriennummer", "Status"], ["41001", "APDISP-4", "ausgesondert"]]))
    assert [(e["column"], e["message"]) for e in imported.json()["errors"]] == [("Status", by_hand)]
    assert (await call(client, world, "admin", "GET", f"/access-points/{ap['id']}")).json()["status"] == "retired"
    await login(client, world.users["verbund_supporter"]["email"])
    form = await client.get(f"/access-points/{ap['id']}/edit")
    assert form.status_code == 200 and 'value="retired"' in form.text and 'value="disposed"' not in form.text

    # Disposed of: a file cannot bring it back either.
    disposal = (await _request_ap(client, world, "verbund_supporter", ap["id"])).json()
    assert (await _decide(client, world, "donnersberg_authority", disposal["id"], "approve")).status_code == 200
    back = await post_import(client, world, "admin", "access-points", csv_bytes([
        ["Schulnummer", "Seriennummer", "Status"], ["41001", "APDISP-4", "aktiv"]]))
    assert [(e["column"], e["message"]) for e in back.json()["errors"]] == [
        ("Status", "der Access Point ist ausgesondert und bleibt es")]
    assert (await call(client, world, "admin", "GET", f"/access-points/{ap['id']}")).json()["status"] == "disposed"
    assert (await _request_ap(client, world, "verbund_supporter", ap["id"])).status_code == 409


async def test_an_access_points_disposal_is_seen_only_in_its_scope(client: httpx.AsyncClient, world: World) -> None:
    rok_ap = obj(world, "access_point", "rok")
    await call(client, world, "admin", "POST", f"/access-points/{rok_ap}/retire")
    disposal_id = (await _request_ap(client, world, "verbund_supporter", rok_ap)).json()["id"]
    # Another county, and the school contact of another school of the same county: nothing of it.
    for actor in ("ludwigsburg_authority", "ludwigsburg_supporter", "school_contact"):
        auth = world.auth(actor)
        assert (await client.get(f"/api/v1/disposals/{disposal_id}", headers=auth)).status_code == 404
        assert (await client.get(f"/api/v1/disposals/{disposal_id}/certificate", headers=auth)).status_code == 404
        listed = (await client.get("/api/v1/disposals", headers=auth)).json()
        assert disposal_id not in [d["id"] for d in listed["items"]]
        assert rok_ap not in [d["access_point_id"] for d in listed["items"]]
    assert (await _decide(client, world, "ludwigsburg_authority", disposal_id, "approve")).status_code == 404
    assert (await _request_ap(client, world, "ludwigsburg_supporter", obj(world, "access_point", "kib"))
            ).status_code == 404
    # A school contact requests no disposal, not even at their own school.
    assert (await _request_ap(client, world, "school_contact", obj(world, "access_point", "kib"))).status_code == 403
    assert (await fetch("SELECT state FROM disposal WHERE id = {}", disposal_id))[0]["state"] == "pending"
    await login(client, world.users["school_contact"]["email"])
    assert f'data-disposal="{disposal_id}"' not in (await client.get("/disposals")).text
    assert (await client.get(f"/access-points/{rok_ap}")).status_code == 404


async def test_pages_request_and_decide_an_access_points_disposal(client: httpx.AsyncClient, world: World) -> None:
    active = obj(world, "access_point", "kib")
    await login(client, world.users["admin"]["email"])
    # An active access point's page says why instead of offering the request.
    page = await client.get(f"/access-points/{active}")
    assert 'data-testid="disposal-blocked"' in page.text and 'data-testid="disposal-form"' not in page.text
    ap = await _access_point(client, world, "APDISP-5")
    url = f"/access-points/{ap['id']}"
    page = await client.get(url)
    assert 'data-testid="disposal-form"' in page.text and "Werkseinstellungen" in page.text
    token = await _page_refuses_bad_requests(client, url)
    assert await fetch("SELECT id FROM disposal WHERE access_point_id = {}", ap["id"]) == []
    done = await client.post(f"{url}/disposal", data={"_csrf_token": token, "reason": "obsolete"},
                             files={"certificate": ("reset.pdf", PDF, "application/pdf")})
    assert done.status_code == 303 and done.headers["location"].startswith(f"{url}?done=disposal-requested")
    disposal_id = (await fetch("SELECT id FROM disposal WHERE access_point_id = {}", ap["id"]))[0]["id"]
    # The requester sees it in the list, may not decide it; a refused approval says why and changes nothing.
    listing = await client.get("/disposals")
    assert "WLAN-Access-Point" in listing.text and "AP APDISP-5" in listing.text
    assert f'data-testid="decide-{disposal_id}"' not in listing.text
    token = await csrf_token(client, "/disposals")
    own = await client.post(f"/disposals/{disposal_id}/approve", data={"_csrf_token": token, "note": ""})
    assert own.status_code == 403 and _summary(own.text)[1].startswith("Vier-Augen-Prinzip")
    assert (await fetch("SELECT state FROM disposal WHERE id = {}", disposal_id))[0]["state"] == "pending"

    await client.post("/logout", data={"_csrf_token": await csrf_token(client, "/")})
    await login(client, world.users["donnersberg_authority"]["email"])
    token = await csrf_token(client, "/disposals")
    decided = await client.post(f"/disposals/{disposal_id}/approve", data={"_csrf_token": token, "note": "ok"})
    assert decided.status_code == 303 and decided.headers["location"] == "/disposals?done=approved-access_point"
    shown = await client.get(decided.headers["location"])
    assert "der Access Point ist ausgesondert" in shown.text
    assert (await call(client, world, "admin", "GET", url)).json()["status"] == "disposed"


async def test_a_disposed_assets_edit_page_says_so_and_has_no_form(client: httpx.AsyncClient, world: World) -> None:
    """A disposed device or access point is at its end: its page offers no "Bearbeiten", its edit page says since
    when it is disposed of instead of a form, a form sent from a page opened before is refused so too (409),
    and the API's PATCH answers 409; nothing changes."""
    device = await _device(client, world, "DISP-END")
    ap = await _access_point(client, world, "APDISP-END")
    for plural, asset in (("devices", device), ("access-points", ap)):
        disposal = (await _request(client, world, "verbund_supporter", asset["id"], plural=plural)).json()
        assert (await _decide(client, world, "donnersberg_authority", disposal["id"], "approve")).status_code == 200
    await login(client, world.users["verbund_supporter"]["email"])
    today = dt.date.today().strftime("%d.%m.%Y")
    for plural, asset, form, back in (("devices", device, DEVICE.form(), "Zurück zum Gerät"),
                                      ("access-points", ap, ACCESS_POINT.form(), "Zurück zum Access Point")):
        url = f"/{plural}/{asset['id']}"
        page = await client.get(url)
        assert page.status_code == 200 and f'href="{url}/edit"' not in page.text and ">Bearbeiten<" not in page.text
        edit = await client.get(f"{url}/edit")
        assert edit.status_code == 200
        notice = re.search(r'<p class="flash error-summary"[^>]*data-testid="ended">([^<]+)</p>', edit.text)
        assert notice and notice.group(1) == f"Ausgesondert am {today} – nicht mehr bearbeitbar.", edit.text[:3000]
        assert "<form id=" not in edit.text and 'name="serial"' not in edit.text and "Speichern" not in edit.text
        assert f'<a href="{url}">{back}</a>' in edit.text
        # As the edit form sent it before the disposal: every field as stored, the serial changed.
        stored = (await call(client, world, "admin", "GET", url)).json()
        sent = {**forms.from_row(form, stored), "serial": "GEAENDERT-1", "_csrf_token": await csrf_token(client, url)}
        sent = {name: value for name, value in sent.items() if value not in (None, False, [])}
        for headers in ({"hx-request": "true"}, {}):
            refused = await client.post(f"{url}/edit", headers=headers, data=sent)
            assert refused.status_code == 409, refused.text[:3000]
            assert f"Ausgesondert am {today} – nicht mehr bearbeitbar." in refused.text
            assert 'name="serial"' not in refused.text
        patched = await call(client, world, "admin", "PATCH", url, {"model": "Neu 2"})
        assert patched.status_code == 409, patched.text
        assert (await call(client, world, "admin", "GET", url)).json() == stored
