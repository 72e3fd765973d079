"""The supporters' pages: the queue with its views and htmx refresh, the ticket page's quick actions,
the presence hint, saved views, the admins' categories, and the policy and calendar settings."""

from __future__ import annotations

import datetime as dt

import httpx

from schoolit.accounts.scope import Scope
from schoolit.kernel.times import BERLIN
from schoolit.sql import fetch
from schoolit.tickets import policy, services
from schoolit.tickets.choices import Priority
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.tickets.test_tickets_api import _scope
from tests.integration.tickets.world import category_id
from tests.integration.world import World
from tests.unit.tickets.test_sla import ICS


async def test_queue_page_lists_the_arrangement_and_refreshes(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    page = await client.get("/tickets")
    assert page.status_code == 200
    assert "Ticket-Warteschlange" in page.text and 'hx-trigger="every 30s"' in page.text
    assert "Nordpfalzgymnasium Kirchheimbolanden" in page.text and "Realschule plus Kusel" in page.text
    assert "Mörike" not in page.text and "Ludwigsburg" not in page.text
    rows = await client.get(f"/tickets/rows?county_id={world.counties['kusel']}")
    assert "Realschule plus Kusel" in rows.text and "Nordpfalzgymnasium" not in rows.text
    assert "<html" not in rows.text
    mine = await client.get("/tickets?view=mine")
    assert "Keine passenden Tickets." in mine.text
    unknown = await client.get("/tickets?view=bogus")  # an edited address: the field and a German reason
    assert unknown.status_code == 422 and "kein zulässiger Wert" in unknown.text
    assert "must be one of" not in unknown.text


async def test_claim_comment_and_resolve_from_the_pages(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    token = await csrf_token(client, "/tickets")
    claimed = await client.post("/tickets/claim-next", data={"_csrf_token": token})
    assert claimed.status_code == 303
    ticket_path = claimed.headers["location"]
    ticket_id = int(ticket_path.rsplit("/", 1)[1])
    assert ticket_id in world.by_school["ticket"].values()
    page = await client.get(ticket_path)
    assert "Zugewiesen" in page.text and 'data-testid="assignee">Verbund Supporter<' in page.text
    assert (await client.post(f"{ticket_path}/comment", data={"body": "Access Point neu gestartet.",
                                                              "visibility": "public", "_csrf_token": token})
            ).status_code == 303
    today = dt.datetime.now(BERLIN).date()
    assert (await client.post(f"{ticket_path}/time", data={"minutes": "20", "note": "Fernwartung",
                                                           "worked_on": f"{today:%d.%m.%Y}", "_csrf_token": token})
            ).status_code == 303
    bad_time = await client.post(f"{ticket_path}/time", data={"minutes": "zwanzig", "worked_on": today.isoformat(),
                                                              "_csrf_token": token})
    assert bad_time.status_code == 422 and "muss eine ganze Zahl von Minuten sein" in bad_time.text
    assert (await client.post(f"{ticket_path}/priority", data={"impact": "high", "_csrf_token": token})
            ).status_code == 303
    resolved = await client.post(f"{ticket_path}/status", data={"status": "resolved", "_csrf_token": token})
    assert resolved.status_code == 303
    page = await client.get(ticket_path)
    assert "Gelöst" in page.text and "Access Point neu gestartet." in page.text and "20 Minuten erfasst" in page.text
    ticket = await services.get_ticket(Scope.system("test"), ticket_id)
    assert ticket["status"] == "resolved" and ticket["impact"] == "high"
    assert ticket["priority"] == Priority.CRITICAL  # high urgency × high impact


async def test_presence_hint(client: httpx.AsyncClient, world: World) -> None:
    ticket_id = world.by_school["ticket"]["kib"]
    admin = await _scope(world, "admin")
    from schoolit.tickets import queue

    assert await queue.touch_presence(admin, ticket_id) == []
    await login(client, "support@verbund.test.example")
    hint = await client.get(f"/tickets/{ticket_id}/presence")
    assert "Ebenfalls geöffnet von: Admin" in hint.text
    assert 'class="flash"' in hint.text and "error" not in hint.text  # a heads-up, not a failure
    others = await queue.touch_presence(admin, ticket_id)
    assert [o["display_name"] for o in others] == ["Verbund Supporter"]
    await fetch("UPDATE ticket_presence SET last_seen_at = now() - interval '2 minutes'")
    assert "Ebenfalls" not in (await client.get(f"/tickets/{ticket_id}/presence")).text


async def test_saved_views(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    token = await csrf_token(client, "/tickets")
    saved = await client.post("/tickets/views", data={"view": "unassigned", "county_id": str(world.counties["kusel"]),
                                                      "name": "Kusel offen", "_csrf_token": token})
    assert saved.status_code == 303
    page = await client.get("/tickets")
    assert "Kusel offen" in page.text and f"county_id={world.counties['kusel']}" in page.text
    view_id = (await fetch("SELECT id FROM saved_view"))[0]["id"]
    assert (await client.post("/tickets/views/delete", data={"id": str(view_id), "_csrf_token": token})
            ).status_code == 303
    assert "Kusel offen" not in (await client.get("/tickets")).text


async def test_school_contact_sees_own_ticket_without_internal_notes(client: httpx.AsyncClient, world: World) -> None:
    ticket_id = world.by_school["ticket"]["kib"]
    await services.add_comment(await _scope(world, "verbund_supporter"), ticket_id, "nur intern", public=False)
    await login(client, "it@kib.test.example")
    page = await client.get(f"/tickets/{ticket_id}")
    assert page.status_code == 200 and "nur intern" not in page.text and "Übernehmen" not in page.text
    assert (await client.get(f"/tickets/{world.by_school['ticket']['rok']}")).status_code == 404


async def test_admin_edits_categories(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    token = await csrf_token(client, "/admin/ticket-categories")
    assert (await client.post("/admin/ticket-categories", data={"name": "Telefonie", "active": "yes",
                                                                "_csrf_token": token})).status_code == 303
    page = await client.get("/admin/ticket-categories")
    assert "Telefonie" in page.text and "Präsentationstechnik" in page.text
    duplicate = await client.post("/api/v1/ticket-categories", json={"name": "Telefonie"}, headers=world.auth("admin"))
    assert duplicate.status_code == 409
    assert (await client.post("/api/v1/ticket-categories", json={"name": "X"},
                              headers=world.auth("verbund_supporter"))).status_code == 403


async def test_policy_with_calendar_moves_due_times(client: httpx.AsyncClient, world: World) -> None:
    admin = await _scope(world, "admin")
    await policy.ensure_calendar(admin, name="Verbund", day_start=dt.time(7, 30), day_end=dt.time(16))
    assert await policy.import_holidays_ical(admin, "Verbund", ICS) == 3
    assert await policy.import_holidays_ical(admin, "Verbund", ICS) == 0
    response = await client.put("/api/v1/ticket-policies", headers=world.auth("admin"), json={
        "arrangement": "verbund-donnersberg-kl-kus", "calendar": "Verbund", "close_after_days": 3,
        "targets": {"1": [0.5, 2]}, "matrix": {u: {i: 1 for i in ("low", "medium", "high")}
                                                for u in ("low", "medium", "high")}})
    assert response.status_code == 200, response.text
    loaded = await policy.policy_for_county(world.counties["kusel"])
    assert loaded.close_after_days == 3 and loaded.calendar.start == dt.time(7, 30)
    assert dt.date(2026, 10, 3) in loaded.calendar.holidays
    ticket, _ = await services.create_ticket(admin, services.NewTicket(
        school_id=world.schools["kus"]["id"], category_id=await category_id(), subject="Alles aus", urgency="low"))
    assert ticket["priority"] == 1  # the arrangement's matrix makes everything critical
    lb = await policy.policy_for_county(world.counties["ludwigsburg"])
    assert lb.close_after_days == 7  # other counties keep the defaults
    invalid = await client.put("/api/v1/ticket-policies", headers=world.auth("admin"), json={
        "county": "ludwigsburg", "arrangement": "verbund-donnersberg-kl-kus", "close_after_days": 0})
    assert invalid.status_code == 422
    assert {e["field"] for e in invalid.json()["errors"]} == {"arrangement", "close_after_days"}


async def test_a_missed_response_deadline_shows_on_its_own_row(client: httpx.AsyncClient, world: World) -> None:
    """The badge of a missed response deadline stands at "Reaktion fällig", not at the resolution's row."""
    ticket_id = world.by_school["ticket"]["rok"]
    await fetch("UPDATE ticket SET response_due_at = now() - interval '1 hour', first_response_at = NULL "
                "WHERE id = {}", ticket_id)
    assert await services.flag_breaches(Scope.system("maintenance")) == 1
    await login(client, "support@verbund.test.example")
    page = (await client.get(f"/tickets/{ticket_id}")).text
    response_row = page.split("<dt>Reaktion fällig</dt>")[1].split("<dt>")[0]
    resolution_row = page.split("<dt>Lösung fällig</dt>")[1].split("</dd>")[0]
    assert 'data-sla="response"' in response_row and "Reaktionsfrist überschritten" in response_row
    assert "data-sla" not in resolution_row
    # Past its resolution too: each row names its own missed deadline.
    await fetch("UPDATE ticket SET resolution_due_at = now() - interval '1 minute' WHERE id = {}", ticket_id)
    page = (await client.get(f"/tickets/{ticket_id}")).text
    response_row = page.split("<dt>Reaktion fällig</dt>")[1].split("<dt>")[0]
    resolution_row = page.split("<dt>Lösung fällig</dt>")[1].split("</dd>")[0]
    assert 'data-sla="response"' in response_row and 'data-sla="resolution"' not in response_row
    assert 'data-sla="resolution"' in resolution_row and "Lösungsfrist überschritten" in resolution_row


async def test_a_late_first_answer_is_named_as_such_and_a_close_deadline_in_the_file(
        client: httpx.AsyncClient, world: World) -> None:
    """Answered after its response deadline, the breach is the response's (not "Lösungsfrist überschritten"
    while the resolution is still in time); the queue's file says in words which deadline is missed or close."""
    late, close = world.by_school["ticket"]["rok"], world.by_school["ticket"]["kus"]
    await fetch("UPDATE ticket SET response_due_at = now() - interval '2 hours', first_response_at = now() - "
                "interval '1 hour', sla_breached = true, resolution_due_at = now() + interval '1 day', "
                "resolution_warn_at = now() + interval '20 hours' WHERE id = {}", late)
    await fetch("UPDATE ticket SET resolution_warn_at = now() - interval '1 minute', resolution_due_at = now() + "
                "interval '1 hour', response_due_at = now() + interval '1 hour', sla_breached = false "
                "WHERE id = {}", close)
    await login(client, "support@verbund.test.example")
    page = (await client.get(f"/tickets/{late}")).text
    response_row = page.split("<dt>Reaktion fällig</dt>")[1].split("<dt>")[0]
    resolution_row = page.split("<dt>Lösung fällig</dt>")[1].split("</dd>")[0]
    assert "beantwortet" in response_row and "Reaktionsfrist überschritten" in response_row
    assert "data-sla" not in resolution_row and "Lösungsfrist" not in page
    numbers = {row["id"]: row["number"] for row in await fetch(
        "SELECT id, number FROM ticket WHERE id = ANY({})", [late, close])}
    csv = (await client.get("/tickets?view=all&format=csv")).text
    lines = {line.split(";")[0].split(",")[0].strip('"'): line for line in csv.splitlines()}
    assert "(Reaktionsfrist überschritten)" in lines[numbers[late]]
    assert "(Lösungsfrist läuft bald ab)" in lines[numbers[close]]
