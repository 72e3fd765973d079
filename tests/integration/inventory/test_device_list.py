"""The device list across schools and its bulk status change, and the return of a class's loans: filters
from the device description (empty means all), sort, pages with the total, the CSV of what is shown,
all-or-nothing bulk actions with their audit entries, and the scope (a foreign device or loan is a 404,
nothing changed)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx

from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.inventory.support import call, field_errors, obj, school
from tests.integration.world import World


async def statuses(*serials: str) -> dict[str, str]:
    rows = await fetch("SELECT serial, status FROM device WHERE serial = ANY({})", list(serials))
    return {r["serial"]: r["status"] for r in rows}


async def audit_since(since: int, action: str) -> list[dict[str, Any]]:
    return [dict(r) for r in await fetch("SELECT object_id, county_id, after FROM audit_log WHERE id > {} "
                                         "AND action = {} ORDER BY id", since, action)]


async def open_loans(ids: list[int]) -> int:
    return int((await fetch("SELECT count(*) AS n FROM loan WHERE id = ANY({}) AND returned_on IS NULL", ids))[0]["n"])


async def last_audit_id() -> int:
    return int((await fetch("SELECT coalesce(max(id), 0) AS id FROM audit_log"))[0]["id"])


def device_id(world: World, key: str) -> int:
    return obj(world, "device", key)


async def lent_id(world: World, key: str) -> int:
    rows = await fetch("SELECT device_id FROM loan WHERE id = {}", obj(world, "loan", key))
    return int(rows[0]["device_id"])


async def test_bulk_status_api_all_or_nothing_and_audited(client: httpx.AsyncClient, world: World) -> None:
    since = await last_audit_id()
    ids = [device_id(world, "kib"), device_id(world, "rok")]
    done = await call(client, world, "verbund_supporter", "POST", "/devices/status", {"ids": ids, "status": "repair"})
    assert done.status_code == 200, done.text
    assert sorted(d["serial"] for d in done.json()) == ["DMPXKIB0001", "DMPXROK0001"]
    assert await statuses("DMPXKIB0001", "DMPXROK0001") == {"DMPXKIB0001": "repair", "DMPXROK0001": "repair"}
    entries = await audit_since(since, "device.status")
    assert sorted(e["object_id"] for e in entries) == sorted(str(i) for i in ids)
    assert all('"bulk": true' in e["after"] for e in entries)

    # a lent device blocks the whole change, named in the message; nothing changes
    since = await last_audit_id()
    blocked = await call(client, world, "verbund_supporter", "POST", "/devices/status",
                         {"ids": [*ids, await lent_id(world, "kib")], "status": "stock"})
    errors = field_errors(blocked)
    assert "PFKIB0002" in errors["ids"] and "DMPXKIB0001" not in errors["ids"], errors
    assert await statuses("DMPXKIB0001", "DMPXROK0001") == {"DMPXKIB0001": "repair", "DMPXROK0001": "repair"}
    assert await audit_since(since, "device.status") == []
    # never to "lent", which only a loan sets
    assert set(field_errors(await call(client, world, "admin", "POST", "/devices/status",
                                       {"ids": ids, "status": "lent"}))) == {"status"}
    assert set(field_errors(await call(client, world, "admin", "POST", "/devices/status",
                                       {"ids": [], "status": "stock"}))) == {"ids"}


async def test_bulk_status_scope(client: httpx.AsyncClient, world: World) -> None:
    since = await last_audit_id()
    mixed = {"ids": [device_id(world, "kus"), device_id(world, "lb")], "status": "lost"}
    foreign = await call(client, world, "verbund_supporter", "POST", "/devices/status", mixed)
    assert foreign.status_code == 404, foreign.text
    lb_supporter = await call(client, world, "ludwigsburg_supporter", "POST", "/devices/status", mixed)
    assert lb_supporter.status_code == 404
    no_such = await call(client, world, "admin", "POST", "/devices/status", {"ids": [2**40], "status": "lost"})
    assert no_such.status_code == 404  # beyond any id: unknown, not a database error
    for actor in ("school_contact", "ludwigsburg_authority"):
        refused = await call(client, world, actor, "POST", "/devices/status",
                             {"ids": [device_id(world, "kib")], "status": "lost"})
        assert refused.status_code == 403, actor
    assert await statuses("DMPXKUS0001", "DMPXLB0001", "DMPXKIB0001") == {
        "DMPXKUS0001": "stock", "DMPXLB0001": "stock", "DMPXKIB0001": "stock"}
    assert await audit_since(since, "device.status") == []


async def test_api_filters_across_schools(client: httpx.AsyncClient, world: World) -> None:
    await call(client, world, "admin", "POST", "/devices/status",
               {"ids": [device_id(world, k) for k in ("kib", "rok", "lb")], "status": "repair"})
    county = world.counties["donnersbergkreis"]
    in_repair = await call(client, world, "verbund_supporter", "GET", "/devices", status="repair", county_id=county,
                           sort="-serial")
    assert [d["serial"] for d in in_repair.json()["items"]] == ["DMPXROK0001", "DMPXKIB0001"]
    everywhere = await call(client, world, "verbund_supporter", "GET", "/devices", status="repair", county_id="",
                            kind="", school_id="")
    assert everywhere.json()["total"] == 2  # an empty choice means all (of the scope: Ludwigsburg is not)
    assert (await call(client, world, "admin", "GET", "/devices", status="repair")).json()["total"] == 3
    own = await call(client, world, "school_contact", "GET", "/devices")
    assert {d["school_id"] for d in own.json()["items"]} == {school(world, "kib")}
    await call(client, world, "admin", "PATCH", f"/devices/{device_id(world, 'kib')}",
               {"warranty_end": "2025-01-31", "mdm_enrolled": True})
    ending = await call(client, world, "admin", "GET", "/devices", warranty_before="2025-02-01")
    assert [d["serial"] for d in ending.json()["items"]] == ["DMPXKIB0001"]
    enrolled = await call(client, world, "admin", "GET", "/devices", mdm_enrolled="ja")
    assert [d["serial"] for d in enrolled.json()["items"]] == ["DMPXKIB0001"]
    funded = await call(client, world, "admin", "GET", "/devices", funding_programme="digitalpakt_sofortausstattung")
    assert funded.json()["total"] == 8
    assert set(field_errors(await call(client, world, "admin", "GET", "/devices", warranty_before="gestern"))) == {
        "warranty_before"}


async def test_device_list_page_filters_sort_pages_and_csv(client: httpx.AsyncClient, world: World) -> None:
    await call(client, world, "admin", "POST", "/devices/status",
               {"ids": [device_id(world, k) for k in ("kib", "rok", "lb")], "status": "repair"})
    await login(client, "support@verbund.test.example")
    county = world.counties["donnersbergkreis"]
    page = await client.get("/devices", params={"status": "repair", "county_id": county, "kind": "", "sort": "-serial"})
    assert page.status_code == 200, page.text
    assert 'data-testid="list-range">1–2 von 2<' in page.text and 'aria-sort="descending"' in page.text
    assert page.text.index("DMPXROK0001") < page.text.index("DMPXKIB0001") and "DMPXLB0001" not in page.text
    second = await client.get("/devices", params={"offset": 2, "sort": "serial"})
    assert 'data-testid="list-range">3–6 von 6<' in second.text and 'rel="prev"' in second.text
    exported = await client.get("/devices", params={"status": "repair", "county_id": county, "sort": "-serial",
                                                   "format": "csv", "offset": 1})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Seriennummer", "Inventarnummer", "Art"]
    assert [r[0] for r in rows[1:]] == ["DMPXROK0001", "DMPXKIB0001"] and rows[1][6] == "in Reparatur"
    bad = await client.get("/devices", params={"warranty_before": "morgen"})
    assert bad.status_code == 422 and 'data-field="warranty_before"' in bad.text and "Garantie endet vor" in bad.text
    unsorted = await client.get("/devices", params={"sort": "price"})
    assert unsorted.status_code == 422 and 'data-field="sort"' in unsorted.text


async def test_device_list_page_bulk_status(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    token = await csrf_token(client, "/devices")
    query = f"status=stock&county_id={world.counties['donnersbergkreis']}"
    ids = [str(device_id(world, "kib")), str(device_id(world, "rok"))]
    done = await client.post("/devices/status", data={"_csrf_token": token, "ids": ids, "status": "repair",
                                                       "query": query})
    assert done.status_code == 303 and done.headers["location"] == f"/devices?{query}&changed=2"
    shown = await client.get(done.headers["location"])
    assert "2 Geräte geändert" in shown.text
    blocked = await client.post("/devices/status", data={
        "_csrf_token": token, "ids": [*ids, str(await lent_id(world, "rok"))], "status": "stock", "query": query})
    assert blocked.status_code == 422 and "Es wurde nichts geändert" in blocked.text and "PFROK0002" in blocked.text
    assert await statuses("DMPXKIB0001", "DMPXROK0001") == {"DMPXKIB0001": "repair", "DMPXROK0001": "repair"}
    no_csrf = await client.post("/devices/status", data={"ids": ids, "status": "stock"})
    assert no_csrf.status_code == 403
    foreign = await client.post("/devices/status", data={"_csrf_token": token, "ids": [str(device_id(world, "lb"))],
                                                          "status": "lost"})
    assert foreign.status_code == 404 and (await statuses("DMPXLB0001")) == {"DMPXLB0001": "stock"}


async def test_an_empty_list_offers_no_bulk_form(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    listed = await client.get("/devices", params={"q": "DMPXKIB"})
    assert 'data-testid="device-bulk"' in listed.text and 'form="bulk"' in listed.text
    # Nothing matches: nothing to tick, so neither the status form nor the tick column is offered.
    empty = await client.get("/devices", params={"q": "NO-SUCH-DEVICE"})
    assert empty.status_code == 200 and "Keine passenden Geräte." in empty.text
    assert 'action="/devices/status"' not in empty.text and "data-select-all" not in empty.text
    assert "Angehakt" not in empty.text


async def test_school_contact_sees_own_devices_without_bulk(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "it@kib.test.example")
    page = await client.get("/devices")
    assert page.status_code == 200 and "DMPXKIB0001" in page.text and "DMPXROK0001" not in page.text
    assert 'action="/devices/status"' not in page.text and 'href="/devices"' in page.text  # in the navigation


async def lend_class(client: httpx.AsyncClient, world: World, key: str, count: int) -> list[int]:
    serials = []
    for index in range(count):
        created = await call(client, world, "admin", "POST", "/devices", {
            "school_id": school(world, key), "kind": "tablet", "serial": f"CLS{key.upper()}{index:03d}",
            "funding_programme": "digitalpakt_sofortausstattung", "status": "stock"})
        assert created.status_code == 201, created.text
        serials.append(created.json()["serial"])
    lent = await call(client, world, "admin", "POST", "/loans/bulk", {
        "school_id": school(world, key), "class_name": "9c", "lent_on": "2026-09-01",
        "rows": [{"serial": s, "pupil_ref": f"9c-{i:02d}"} for i, s in enumerate(serials)]})
    assert lent.status_code == 201, lent.text
    return [loan["id"] for loan in lent.json()]


async def test_return_a_class_api(client: httpx.AsyncClient, world: World) -> None:
    loans = await lend_class(client, world, "kib", 3)
    since = await last_audit_id()
    early = await call(client, world, "school_contact", "POST", "/loans/return",
                       {"ids": loans, "returned_on": "2026-08-01"})
    # The lend day is named: it is what the teacher has to correct.
    assert field_errors(early)["ids"] == ("Nothing was returned. These loans block it: returned before it was lent "
                                          "(01.09.2026): CLSKIB000, CLSKIB001, CLSKIB002")
    foreign = await call(client, world, "school_contact", "POST", "/loans/return",
                         {"ids": [*loans, obj(world, "loan", "rok")]})
    assert foreign.status_code == 404
    assert (await call(client, world, "admin", "POST", "/loans/return", {"ids": [2**40]})).status_code == 404
    assert await open_loans(loans) == 3
    done = await call(client, world, "school_contact", "POST", "/loans/return",
                      {"ids": loans, "returned_on": "2026-12-01", "condition_in": "alle vollständig"})
    assert done.status_code == 200, done.text
    assert {(r["returned_on"], r["condition_in"]) for r in done.json()} == {("2026-12-01", "alle vollständig")}
    assert set((await statuses("CLSKIB000", "CLSKIB001", "CLSKIB002")).values()) == {"stock"}
    entries = await audit_since(since, "loan.return")
    assert sorted(int(e["object_id"]) for e in entries) == sorted(loans)
    assert all("9c-" not in e["after"] for e in entries)  # never a pupil reference in the log
    again = await call(client, world, "school_contact", "POST", "/loans/return", {"ids": loans[:1]})
    assert "CLSKIB000" in field_errors(again)["ids"]
    refused = await call(client, world, "ludwigsburg_authority", "POST", "/loans/return", {"ids": loans})
    assert refused.status_code == 403


async def test_return_a_class_page(client: httpx.AsyncClient, world: World) -> None:
    loans = await lend_class(client, world, "kib", 2)
    await login(client, "it@kib.test.example")
    url = f"/loans/return?school_id={school(world, 'kib')}&class_name=9c"
    page = await client.get(url)
    assert page.status_code == 200 and "CLSKIB000" in page.text and "CLSKIB001" in page.text
    assert "PFKIB0002" not in page.text  # class 7b
    token = await csrf_token(client, url)
    form = {"_csrf_token": token, "school_id": str(school(world, "kib")), "class_name": "9c",
            "ids": [str(i) for i in loans], "condition_in": "ok", "device_status": "stock"}
    future = await client.post("/loans/return", data={**form, "returned_on": "2099-01-01"})
    assert future.status_code == 422 and 'data-field="returned_on"' in future.text
    early = await client.post("/loans/return", data={**form, "returned_on": "2026-08-31"})
    assert early.status_code == 422
    assert ("Es wurde nichts zurückgenommen. Diese Ausleihen verhindern es: Rückgabe vor der Ausgabe (01.09.2026): "
            "CLSKIB000, CLSKIB001") in early.text
    # The rows that block it are marked with their reason, and the summary leads to the first of them.
    assert early.text.count('data-testid="blocked-loan"') == 2
    assert early.text.count('aria-invalid="true" aria-describedby="blocked-') == 2
    assert early.text.count(">Rückgabe vor der Ausgabe (01.09.2026)</span>") == 2
    assert '<a href="#field-ids">Angehakte Geräte</a>' in early.text
    assert early.text.count('id="field-ids"') == 1
    # Only the ticked rows: with one of them ticked, only that one.
    one = await client.post("/loans/return", data={**form, "ids": [str(loans[1])], "returned_on": "2026-08-31"})
    assert one.text.count('data-testid="blocked-loan"') == 1 and f'id="blocked-{loans[1]}"' in one.text
    nothing = await client.post("/loans/return", data={**form, "ids": [], "returned_on": "2026-12-01"})
    assert nothing.status_code == 422 and "blocked-loan" not in nothing.text and 'href="#field-ids"' not in nothing.text
    assert await open_loans(loans) == 2
    done = await client.post("/loans/return", data={**form, "returned_on": "2026-12-01"})
    assert done.status_code == 303 and "state=returned" in done.headers["location"]
    assert await open_loans(loans) == 0
    empty = await client.get(url)
    assert 'data-testid="no-class-loans"' in empty.text


async def test_the_class_return_ticks_nothing_in_advance(client: httpx.AsyncClient, world: World) -> None:
    """A teacher ticks what came back: no box of the class return page is ticked before they tick it (a
    box ticked in advance would record a device returned that is still out), and posting with none ticked
    records nothing and says what to do."""
    loans = await lend_class(client, world, "kib", 2)
    await login(client, "it@kib.test.example")
    url = f"/loans/return?school_id={school(world, 'kib')}&class_name=9c"
    page = await client.get(url)
    assert page.status_code == 200 and "CLSKIB000" in page.text
    assert len(re.findall(r'<input type="checkbox"', page.text)) == 3  # two loans and "tick all"
    assert not re.search(r'<input type="checkbox"[^>]*\bchecked\b', page.text)
    form = {"_csrf_token": await csrf_token(client, url), "school_id": str(school(world, "kib")), "class_name": "9c",
            "returned_on": "2026-12-01", "condition_in": "ok", "device_status": "stock"}
    none = await client.post("/loans/return", data=form)
    assert none.status_code == 422
    assert "Es wurde nichts erfasst: Bitte die Geräte anhaken, die zurückgekommen sind." in none.text
    assert 'value="ok"' in none.text or ">ok</textarea>" in none.text  # what was typed stays
    assert not re.search(r'<input type="checkbox"[^>]*\bchecked\b', none.text)
    assert await open_loans(loans) == 2
    one = await client.post("/loans/return", data={**form, "ids": [str(loans[0])]})
    assert one.status_code == 303
    assert await open_loans(loans) == 1
