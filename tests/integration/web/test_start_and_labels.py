"""The start page per role (panels the domains register), the fault form's reach and prefill, text
modules, audit labels and times, the language switch keeping the query, and error pages naming fields
by their labels."""

from __future__ import annotations

import re

import httpx

from schoolit.tickets import text_modules
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.inventory.support import school
from tests.integration.world import World

PANELS = {
    "admin@test.example": ("start-jobs", "start-probes"),
    "support@verbund.test.example": ("start-mine", "start-unassigned", "start-breaching", "start-outages"),
    "st@dbk.test.example": ("start-lights-donnersbergkreis", "start-changes"),
    "it@kib.test.example": ("start-school-tickets", "start-loans", "start-report"),
}
ALL_PANELS = {panel for panels in PANELS.values() for panel in panels}


async def test_each_role_has_its_start_page(client: httpx.AsyncClient, world: World) -> None:
    anonymous = await client.get("/")
    assert 'data-testid="report-link"' in anonymous.text and "Schul-IT für Landkreise" in anonymous.text
    for email, panels in PANELS.items():
        client.cookies.clear()
        await login(client, email)
        page = await client.get("/")
        assert page.status_code == 200
        for panel in ALL_PANELS:
            assert (f'data-testid="{panel}"' in page.text) == (panel in panels), (email, panel)
        # Only school contacts (and visitors) get the fault form in the top bar.
        assert ('data-testid="report-link"' in page.text) == email.startswith("it@"), email


async def test_school_contact_reports_with_school_and_name_filled_in(client: httpx.AsyncClient,
                                                                     world: World) -> None:
    assert 'href="/report"' in (await client.get("/login")).text
    await login(client, "it@kib.test.example")
    form = await client.get("/report")
    assert 'name="school_number" value="41001"' in form.text
    assert 'name="email" value="it@kib.test.example"' in form.text
    assert re.search(r'<select [^>]*name="category_id"[^>]*><option value="" selected>', form.text)


async def test_text_modules_fill_their_placeholders_and_stay_with_their_team(client: httpx.AsyncClient,
                                                                            world: World) -> None:
    await login(client, "support@verbund.test.example")
    token = await csrf_token(client, "/text-modules")
    saved = await client.post("/text-modules", data={"title": "Neustart", "body": "Hallo {name}, {schule}: {ticket}.",
                                                     "_csrf_token": token})
    assert saved.status_code == 303
    empty = await client.post("/text-modules", data={"title": "", "body": "", "_csrf_token": token})
    assert empty.status_code == 422 and "Titel: muss 1 bis 80 Zeichen lang sein" in empty.text
    ticket = {"school_name": "Nordpfalzgymnasium", "number": "SIT-2026-00001", "reporter_name": "Frau Meier"}
    assert text_modules.fill("Hallo {name}, {schule}: {ticket}. {andere}", ticket, "Sabine") == (
        "Hallo Frau Meier, Nordpfalzgymnasium: SIT-2026-00001. {andere}")
    client.cookies.clear()
    await login(client, "support@lb.test.example")  # another county's team does not see it
    assert "Neustart" not in (await client.get("/text-modules")).text


async def test_audit_log_in_words_and_german_time(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    page = await client.get("/audit")
    assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d (MEZ|MESZ)", page.text)
    assert "Anmeldung: erfolgreich" in page.text and "<code>login.success</code>" not in page.text
    # a user by their name and address, linked to their page (tests/integration/accounts/test_audit_page.py)
    assert re.search(r'<a href="/admin/users/\d+">Benutzer „[^“<]+“ \([^)@<]+@[^)<]+\)</a>', page.text)


async def test_language_switch_keeps_the_query(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    page = await client.get("/tickets", params={"view": "mine"})
    assert "/language/en?next=/tickets%3Fview%3Dmine" in page.text


async def test_error_pages_name_fields_by_their_labels(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    page = await client.get(f"/schools/{school(world, 'kib')}", params={"page": "zwei"},
                            headers={"accept": "text/html"})
    assert page.status_code in (400, 422)
    assert "<strong>Seiten</strong>: muss eine ganze Zahl sein" in page.text, page.text[-1500:]


async def test_queue_as_csv_and_bulk_actions(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    page = await client.get("/tickets", params={"view": "unassigned"})
    ids = re.findall(r'name="ids" value="(\d+)" form="bulk"', page.text)
    assert len(ids) >= 2
    csv_file = await client.get("/tickets/export.csv", params={"view": "unassigned"}, follow_redirects=True)
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
    lines = csv_file.content.decode("utf-8-sig").strip().split("\r\n")
    assert lines[0].startswith("Nummer;Priorität;Betreff") and len(lines) == len(ids) + 1
    token = await csrf_token(client, "/tickets")
    done = await client.post("/tickets/bulk", data={"ids": ids[:2], "action": "claim", "query": "view=unassigned",
                                                    "_csrf_token": token})
    assert done.status_code == 303
    assert done.headers["location"] == "/tickets?view=unassigned&bulk_done=2&bulk_skipped=0"
    mine = await client.get("/tickets", params={"view": "mine"})
    assert all(f'name="ids" value="{ticket_id}"' in mine.text for ticket_id in ids[:2])
    shown = await client.get(done.headers["location"])
    assert "2 Tickets geändert" in shown.text
