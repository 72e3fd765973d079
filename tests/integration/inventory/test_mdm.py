"""MDM sync (#22 item 5) through the API, the page and the service: matching by serial, what changes, a dry
run that writes nothing, adoption through the device service, the 30-day flag (list filter, device page), all
or nothing on a bad row, and scope — another county's serials are unknown and never touched."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx

from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.inventory.support import call, school
from tests.integration.world import World

NOW = dt.datetime.now(dt.UTC)


def jamf(*devices: tuple[str, int, bool]) -> bytes:
    """A Jamf School `/api/devices` answer: (serial, days since the last check-in, managed)."""
    berlin = dt.timezone(dt.timedelta(hours=1))
    return json.dumps({"code": 200, "count": len(devices), "devices": [
        {"UDID": f"UDID-{serial}", "serialNumber": serial, "name": f"iPad von Schüler {n}",
         "model": {"name": "iPad (9th generation)"}, "os": {"prefix": "iOS", "version": "17.6.1"},
         "owner": {"name": "Lea Beispiel", "email": "lea@schule.example"}, "isManaged": managed,
         "lastCheckin": (NOW - dt.timedelta(days=days)).astimezone(berlin).strftime("%Y-%m-%d %H:%M:%S")}
        for n, (serial, days, managed) in enumerate(devices)]}).encode()


async def device(client: httpx.AsyncClient, world: World, serial: str, key: str = "kib",
                 actor: str = "admin") -> dict[str, Any]:
    response = await call(client, world, actor, "POST", "/devices", {
        "school_id": school(world, key), "kind": "tablet", "serial": serial, "model": "",
        "funding_programme": "other", "status": "stock"})
    assert response.status_code == 201, response.text
    return response.json()


async def sync(client: httpx.AsyncClient, world: World, data: bytes, actor: str = "verbund_supporter",
               dry_run: bool = False, adopt: list[str] | None = None) -> httpx.Response:
    params: dict[str, Any] = {"dry_run": str(dry_run).lower()}
    if adopt:
        params["adopt"] = adopt
    return await client.post("/api/v1/mdm-sync", content=data, params=params,
                             headers={**world.auth(actor), "accept-language": "de"})


async def get(client: httpx.AsyncClient, world: World, device_id: int) -> dict[str, Any]:
    return (await call(client, world, "admin", "GET", f"/devices/{device_id}")).json()


async def test_dry_run_then_commit_matches_by_serial(client: httpx.AsyncClient, world: World) -> None:
    fresh, silent = await device(client, world, "MDM-FRESH1"), await device(client, world, "MDM-SILENT1")
    data = jamf(("mdm-fresh1", 2, True), ("MDM-SILENT1", 45, True), ("MDM-NEW1", 1, False))
    preview = await sync(client, world, data, dry_run=True)
    assert preview.status_code == 200, preview.text
    report = preview.json()
    assert (report["source"], report["matched"], report["changed"], report["adopted"]) == ("jamf-school", 2, 2, 0)
    assert [u["serial"] for u in report["unknown"]] == ["MDM-NEW1"]
    assert "MDM-SILENT1" in [f["serial"] for f in report["flagged"]]
    assert "MDM-FRESH1" not in [f["serial"] for f in report["flagged"]]
    assert (await get(client, world, fresh["id"]))["mdm_source"] == ""  # the dry run wrote nothing

    done = await sync(client, world, data)
    assert done.status_code == 200 and done.json()["changed"] == 2
    stored = await get(client, world, fresh["id"])
    assert (stored["mdm_enrolled"], stored["os_version"], stored["mdm_source"], stored["mdm_id"], stored["model"]) \
        == (True, "17.6.1", "jamf-school", "UDID-mdm-fresh1", "iPad (9th generation)")
    seen = dt.datetime.fromisoformat(stored["mdm_last_seen"])
    assert abs(seen - (NOW - dt.timedelta(days=2))) < dt.timedelta(seconds=2)
    # Nothing personal was stored: not the owner, not the MDM's device name.
    assert "Lea" not in json.dumps(stored) and "Schüler" not in json.dumps(stored)

    again = await sync(client, world, data)
    assert again.json()["changed"] == 0  # the same export changes nothing the second time
    # An older export does not turn the last check-in back.
    older = await sync(client, world, jamf(("mdm-fresh1", 10, True)))
    assert older.json()["changed"] == 0
    assert (await get(client, world, fresh["id"]))["mdm_last_seen"] == stored["mdm_last_seen"]

    # Flagged: the list filter and the device page's badge (computed when read).
    flagged = await call(client, world, "verbund_supporter", "GET", "/devices", mdm_silent="yes")
    assert [d["serial"] for d in flagged.json()["items"]] == ["MDM-SILENT1"]
    await login(client, "support@verbund.test.example")
    page = await client.get(f"/devices/{silent['id']}")
    assert "vom MDM seit mehr als 30 Tagen nicht gesehen" in page.text
    assert "vom MDM seit mehr als 30" not in (await client.get(f"/devices/{fresh['id']}")).text
    listing = await client.get("/devices", params={"mdm_silent": "yes"})
    assert "MDM-SILENT1" in listing.text and "MDM-FRESH1" not in listing.text


async def test_audit_entries(client: httpx.AsyncClient, world: World) -> None:
    dev = await device(client, world, "MDM-AUDIT1")
    assert (await sync(client, world, jamf(("MDM-AUDIT1", 1, True)))).status_code == 200
    log = await call(client, world, "admin", "GET", "/audit", object_type="device", limit=50)
    actions = [(e["action"], e["object_id"]) for e in log.json()["items"]]
    assert ("device.mdm", str(dev["id"])) in actions
    assert any(action == "import.mdm" for action, _id in actions)


async def test_adoption_creates_through_the_device_service(client: httpx.AsyncClient, world: World) -> None:
    data = jamf(("MDM-ADOPT1", 1, True), ("MDM-LEAVE1", 1, True))
    bad = await sync(client, world, data, adopt=["MDM-ADOPT1=999999"])
    assert bad.status_code == 422 and bad.json()["errors"][0]["column"] == "school_id"
    done = await sync(client, world, data, adopt=[f"mdm-adopt1={school(world, 'kib')}"])
    assert done.status_code == 200, done.text
    report = done.json()
    assert (report["adopted"], [u["serial"] for u in report["unknown"]]) == (1, ["MDM-LEAVE1"])
    found = await call(client, world, "admin", "GET", "/devices", q="MDM-ADOPT1")
    (adopted,) = found.json()["items"]
    assert (adopted["school_id"], adopted["kind"], adopted["vendor"], adopted["os_version"], adopted["mdm_enrolled"]) \
        == (school(world, "kib"), "tablet", "Apple", "17.6.1", True)


async def test_a_bad_row_writes_nothing(client: httpx.AsyncClient, world: World) -> None:
    dev = await device(client, world, "MDM-ALL1")
    data = (b"Name;Seriennummer;Status;Letzte Verbindung\n"
            b"A;MDM-ALL1;Registriert;01.12.2026 08:15\nB;MDM-ALL2;Registriert;32.12.2026 08:15\n")
    response = await sync(client, world, data, adopt=[f"MDM-ALL2={school(world, 'kib')}"])
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    assert (error["row"], error["column"]) == (3, "Letzte Verbindung")
    assert error["message"].startswith("kein Datum mit Uhrzeit")
    assert (await get(client, world, dev["id"]))["mdm_source"] == ""
    assert (await call(client, world, "admin", "GET", "/devices", q="MDM-ALL2")).json()["total"] == 0


async def test_foreign_county_serials_are_unknown_and_untouched(client: httpx.AsyncClient, world: World) -> None:
    foreign = await device(client, world, "MDM-LB1", key="lb")
    data = jamf(("MDM-LB1", 1, True))
    report = (await sync(client, world, data)).json()
    assert (report["matched"], [u["serial"] for u in report["unknown"]]) == (0, ["MDM-LB1"])
    assert (await get(client, world, foreign["id"]))["mdm_source"] == ""
    # Adopting it is refused like any serial in use, and nothing is written.
    refused = await sync(client, world, data, adopt=[f"MDM-LB1={school(world, 'kib')}"])
    assert refused.status_code == 422 and refused.json()["errors"][0]["column"] == "serial"
    assert (await get(client, world, foreign["id"]))["mdm_source"] == ""
    # Read-only roles may not sync.
    assert (await sync(client, world, data, actor="donnersberg_authority")).status_code == 403


async def test_a_disposed_device_is_left_as_it_is_and_listed(client: httpx.AsyncClient, world: World) -> None:
    """A disposed device the MDM still knows: the sync changes nothing on it (its record is closed) and
    lists it apart, in the API's report and on the page, so someone removes it from the MDM."""
    gone, kept = await device(client, world, "MDM-GONE1"), await device(client, world, "MDM-KEPT1")
    await fetch("UPDATE device SET status = 'disposed' WHERE id = {}", gone["id"])
    before = await get(client, world, gone["id"])
    data = jamf(("MDM-GONE1", 1, True), ("MDM-KEPT1", 1, True))
    done = await sync(client, world, data)
    assert done.status_code == 200, done.text
    report = done.json()
    assert [(d["serial"], d["device_id"], d["enrolled"]) for d in report["disposed"]] == [
        ("MDM-GONE1", gone["id"], True)]
    assert (report["matched"], report["changed"]) == (1, 1)
    assert [m["serial"] for m in report["matches"]] == ["MDM-KEPT1"]
    assert await get(client, world, gone["id"]) == before
    assert (await get(client, world, kept["id"]))["mdm_source"] == "jamf-school"

    await login(client, "support@verbund.test.example")
    token = await csrf_token(client, "/mdm")
    checked = await client.post("/mdm", data={"action": "check", "_csrf_token": token},
                                files={"file": ("geraete.json", data)})
    assert checked.status_code == 200 and "Ausgesondert, aber noch im MDM (1)" in checked.text
    assert f'href="/devices/{gone["id"]}">MDM-GONE1' in checked.text


async def test_page_preview_and_commit_in_german(client: httpx.AsyncClient, world: World) -> None:
    dev = await device(client, world, "MDM-PAGE1")
    await login(client, "support@verbund.test.example")
    form = await client.get("/mdm")
    assert form.status_code == 200 and "MDM-Abgleich" in form.text
    token = await csrf_token(client, "/mdm")
    data = jamf(("MDM-PAGE1", 1, True), ("MDM-PAGE2", 3, True))
    checked = await client.post("/mdm", data={"action": "check", "_csrf_token": token},
                                files={"file": ("geraete.json", data)})
    assert checked.status_code == 200, checked.text[:2000]
    assert "Jamf School" in checked.text and "MDM-PAGE2" in checked.text and "Noch nichts geschrieben" in checked.text
    committed = await client.post("/mdm", data={"action": "commit", "_csrf_token": token, "content": data.decode(),
                                                "adopt-MDM-PAGE2": str(school(world, "kib"))})
    assert committed.status_code == 200 and "1 übernommen" in committed.text
    assert (await get(client, world, dev["id"]))["mdm_source"] == "jamf-school"
    bad = await client.post("/mdm", data={"action": "check", "_csrf_token": token},
                            files={"file": ("x.csv", b"Name;Farbe\nA;b\n")})
    assert bad.status_code == 422 and "keine Geräteliste" in bad.text and "Zeile 1" in bad.text
