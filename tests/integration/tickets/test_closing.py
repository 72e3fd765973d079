"""Closing a ticket, which is for good (only admins reopen): closed unresolved — spam, a duplicate, straight
from new — it tells the reporter why (the service's rule, for the API and the ticket page alike), and the
ticket page asks for a tick before it closes. A done ticket's page names when it was resolved and closed
instead of deadlines, and offers no assignment. A status change without a status says "bitte wählen" at its
field, and the page refused keeps the ticket's address."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from schoolit.errors import ValidationFailed
from schoolit.sql import fetch
from schoolit.tickets import services
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.tickets.test_refused_forms import at_field
from tests.integration.tickets.test_tickets_api import _scope
from tests.integration.world import World

SUPPORTER = "support@verbund.test.example"
REASON_MISSING = "bitte der meldenden Person sagen, warum das Ticket ohne Lösung geschlossen wird"


async def status_of(ticket_id: int) -> str:
    return str((await fetch("SELECT status FROM ticket WHERE id = {}", ticket_id))[0]["status"])


async def test_the_service_closes_an_unresolved_ticket_only_with_a_reason(world: World) -> None:
    ticket_id = world.by_school["ticket"]["kib"]
    supporter = await _scope(world, "verbund_supporter")
    for comment in (None, "", "   "):
        with pytest.raises(ValidationFailed) as refused:
            await services.change_status(supporter, ticket_id, "closed", comment=comment)
        assert [(e.field, e.message) for e in refused.value.errors] == [("comment", services.CLOSING_REASON)]
    assert await status_of(ticket_id) == "new"
    closed = await services.change_status(supporter, ticket_id, "closed", comment=" Doppelt gemeldet (SIT-1) ")
    assert closed["status"] == "closed" and closed["closed_at"] is not None
    events = await fetch("SELECT body, public FROM ticket_event WHERE ticket_id = {} AND kind = 'status'", ticket_id)
    assert [(e["body"], e["public"]) for e in events] == [("Doppelt gemeldet (SIT-1)", True)]
    # A resolved ticket is closed without one: the school contact confirms, the job closes after some days.
    other = world.by_school["ticket"]["rok"]
    await services.change_status(supporter, other, "resolved")
    assert (await services.change_status(supporter, other, "closed"))["status"] == "closed"


async def test_the_api_names_the_missing_reason_and_the_tracking_page_shows_it(client: httpx.AsyncClient,
                                                                                world: World) -> None:
    ticket_id = world.by_school["ticket"]["kus"]
    refused = await client.patch(f"/api/v1/tickets/{ticket_id}", json={"status": "closed"},
                                 headers=world.auth_only("verbund_supporter"))
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["field"] == "comment" and error["message"] == REASON_MISSING
    assert await status_of(ticket_id) == "new"
    empty = await client.patch(f"/api/v1/tickets/{ticket_id}", json={"status": ""},
                               headers=world.auth_only("verbund_supporter"))
    assert empty.status_code == 422 and empty.json()["errors"][0]["message"] == "bitte wählen"
    closed = await client.patch(f"/api/v1/tickets/{ticket_id}", json={
        "status": "closed", "comment": "Doppelt gemeldet, siehe SIT-2026-00001"},
        headers=world.auth_only("verbund_supporter"))
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    tracking = await client.get(f"/track/{world.tracking_tokens['kus']}")  # type: ignore[attr-defined]
    assert "Doppelt gemeldet, siehe SIT-2026-00001" in tracking.text and "Geschlossen" in tracking.text
    mails = await fetch("SELECT subject, body FROM outbox_mail WHERE ticket_id = {} ORDER BY id", ticket_id)
    assert mails[-1]["subject"].endswith("Geschlossen")  # the reporter reads why in the mail, too
    assert mails[-1]["body"].endswith("Geschlossen.\n\nDoppelt gemeldet, siehe SIT-2026-00001\n")


async def test_the_page_closes_only_with_a_tick_and_a_reason(client: httpx.AsyncClient, world: World) -> None:
    ticket_id = world.by_school["ticket"]["kib"]
    path = f"/tickets/{ticket_id}"
    await login(client, SUPPORTER)
    page = await client.get(path)
    select = re.search(r'<select id="field-status" name="status".*?</select>', page.text, re.S)
    assert select and 'value="closed"' not in select.group(0)  # closing is not one status among others
    close_form = re.search(r'<form[^>]*data-testid="close-form".*?</form>', page.text, re.S)
    assert close_form, page.text
    assert re.search(r'<textarea id="field-comment" name="comment"[^>]*\brequired', close_form.group(0))
    assert re.search(r'<input id="field-confirm" type="checkbox" name="confirm" value="yes" required',
                     close_form.group(0))
    assert "Ich schließe das Ticket endgültig. Nur Administratoren können es wieder öffnen." in close_form.group(0)
    token = await csrf_token(client, path)

    untick = await client.post(f"{path}/status", data={"status": "closed", "comment": "", "_csrf_token": token})
    assert untick.status_code == 422
    assert at_field(untick.text, "confirm") == "bitte bestätigen Sie, dass Sie das Ticket endgültig schließen"
    assert at_field(untick.text, "comment") == REASON_MISSING
    assert f'data-page-address="/tickets/{ticket_id}"' in untick.text
    assert re.search(r'<details class="close-ticket" open', untick.text)  # the refused form stays open
    typed = await client.post(f"{path}/status", data={"status": "closed", "comment": "Spam <b>", "_csrf_token": token})
    assert typed.status_code == 422 and at_field(typed.text, "comment") == ""
    assert "Spam &lt;b&gt;</textarea>" in typed.text  # what was typed comes back
    assert await status_of(ticket_id) == "new"

    closed = await client.post(f"{path}/status", data={"status": "closed", "comment": "Doppelt gemeldet",
                                                       "confirm": "yes", "_csrf_token": token})
    assert closed.status_code == 303 and closed.headers["location"] == path
    page = await client.get(path)
    assert await status_of(ticket_id) == "closed"
    assert 'data-testid="closed-at"' in page.text and "Geschlossen am" in page.text
    for gone in ("Lösung fällig", "Reaktion fällig", "Frist pausiert", 'data-testid="assign-form"',
                 "niemand (Warteschlange)", 'data-testid="claim"', 'data-testid="close-form"',
                 'data-testid="status-form"'):
        assert gone not in page.text, gone


async def test_a_resolved_ticket_names_its_day_not_its_deadlines(client: httpx.AsyncClient, world: World) -> None:
    ticket_id = world.by_school["ticket"]["rok"]
    await services.change_status(await _scope(world, "verbund_supporter"), ticket_id, "resolved")
    await login(client, SUPPORTER)
    page = await client.get(f"/tickets/{ticket_id}")
    assert 'data-testid="resolved-at"' in page.text and "Gelöst am" in page.text
    for gone in ("Lösung fällig", "Reaktion fällig", 'data-testid="assign-form"', 'data-testid="claim"'):
        assert gone not in page.text, gone
    close_form = re.search(r'<form[^>]*data-testid="close-form".*?</form>', page.text, re.S)
    assert close_form and "Kommentar für die meldende Person (optional)" in close_form.group(0)
    assert not re.search(r'name="comment"[^>]*\brequired', close_form.group(0))  # resolved: no reason needed

    # The school contact confirms the resolution with the same tick.
    await login(client, "it@kib.test.example")
    kib = world.by_school["ticket"]["kib"]
    await services.change_status(await _scope(world, "verbund_supporter"), kib, "resolved")
    page = await client.get(f"/tickets/{kib}")
    assert 'data-testid="status-form"' not in page.text and 'data-testid="close-form"' in page.text
    token = await csrf_token(client, f"/tickets/{kib}")
    untick = await client.post(f"/tickets/{kib}/status", data={"status": "closed", "_csrf_token": token})
    assert untick.status_code == 422 and at_field(untick.text, "confirm")
    done = await client.post(f"/tickets/{kib}/status",
                             data={"status": "closed", "confirm": "yes", "_csrf_token": token})
    assert done.status_code == 303 and await status_of(kib) == "closed"


async def test_no_status_chosen_says_please_choose_at_the_field(client: httpx.AsyncClient, world: World) -> None:
    ticket_id = world.by_school["ticket"]["kib"]
    path = f"/tickets/{ticket_id}"
    await login(client, SUPPORTER)
    token = await csrf_token(client, path)
    refused = await client.post(f"{path}/status", data={"status": "", "comment": "Bin dran", "_csrf_token": token})
    assert refused.status_code == 422
    assert at_field(refused.text, "status") == "bitte wählen"
    assert re.search(r'<select id="field-status" name="status"[^>]*aria-invalid="true" aria-describedby="error-status"',
                     refused.text)
    summary = re.search(r'<div class="flash error error-summary"[^>]*data-testid="error-summary">.*?<ul>(.*?)</ul>',
                        refused.text, re.S)
    assert summary and " ".join(html.unescape(re.sub(r"<[^>]+>", "", summary.group(1))).split()) \
        == "Neuer Status: bitte wählen"
    assert '<a href="#field-status">Neuer Status</a>' in summary.group(1)
    assert "unbekannter Status" not in refused.text
    assert f'data-page-address="/tickets/{ticket_id}"' in refused.text  # app.js shows the ticket's address
    assert 'name="comment" value="Bin dran"' in refused.text
    assert await status_of(ticket_id) == "new"


async def test_the_queue_closes_no_ticket_in_bulk(client: httpx.AsyncClient, world: World) -> None:
    """Closing is one ticket at a time, confirmed on its page: the queue's bulk action does not offer it and
    does not do it, not even for a resolved ticket."""
    ticket_id = world.by_school["ticket"]["rok"]
    await services.change_status(await _scope(world, "verbund_supporter"), ticket_id, "resolved")
    await login(client, SUPPORTER)
    page = await client.get("/tickets?view=all")
    bulk = re.search(r'<form id="bulk".*?</form>', page.text, re.S)
    assert bulk and 'value="status:resolved"' in bulk.group(0) and 'value="status:closed"' not in bulk.group(0)
    done = await client.post("/tickets/bulk", data={"ids": [str(ticket_id)], "action": "status:closed",
                                                    "_csrf_token": await csrf_token(client, "/tickets")})
    assert done.status_code == 303 and "bulk_done=0" in done.headers["location"]
    assert await status_of(ticket_id) == "resolved"


async def test_the_queue_names_when_done_tickets_were_resolved_or_closed(client: httpx.AsyncClient,
                                                                        world: World) -> None:
    """In "Alle, auch geschlossene" (and its CSV) a resolved or closed ticket shows when it was resolved or
    closed, as its page does, instead of a deadline: no due time, no deadline badge or colour — also when it was
    closed unresolved before a deadline that has passed since (its clock stopped when it was closed)."""
    supporter = await _scope(world, "verbund_supporter")
    resolved, closed, running = (world.by_school["ticket"][school] for school in ("rok", "kib", "kus"))
    await services.change_status(supporter, resolved, "resolved")
    await services.change_status(supporter, closed, "closed", comment="Doppelt gemeldet")
    await fetch("UPDATE ticket SET response_due_at = now() - interval '2 hours', "
                "resolution_due_at = now() - interval '1 hour', resolution_warn_at = now() - interval '3 hours', "
                "closed_at = now() - interval '1 day' WHERE id = {}", closed)
    await fetch("UPDATE ticket SET resolution_due_at = now() + interval '1 day' WHERE id = {}", running)
    numbers = {row["id"]: row["number"] for row in await fetch("SELECT id, number FROM ticket WHERE id = ANY({})",
                                                               [resolved, closed, running])}
    await login(client, SUPPORTER)
    page = await client.get("/tickets?view=all")
    assert page.status_code == 200

    def row(ticket_id: int) -> str:
        found = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*>{numbers[ticket_id]}</a>.*?</tr>", page.text, re.S)
        assert found, numbers[ticket_id]
        return found.group(0)

    assert re.search(r'<td data-testid="done-on">Gelöst am \d\d\.\d\d\.\d{4} \d\d:\d\d</td>', row(resolved))
    assert re.search(r'<td data-testid="done-on">Geschlossen am \d\d\.\d\d\.\d{4} \d\d:\d\d</td>', row(closed))
    for done in (resolved, closed):
        for gone in ('data-label="Fällig"', "sla-", "Frist", "pausiert"):
            assert gone not in row(done), (numbers[done], gone)
    assert 'data-label="Fällig"' in row(running) and "done-on" not in row(running)
    assert (await services.get_ticket(supporter, closed))["sla_state"] == "ok"  # closed before the deadline

    csv = await client.get("/tickets?view=all&format=csv")
    lines = {line.split(";")[0].split(",")[0].strip('"'): line for line in csv.text.splitlines()}
    assert "Gelöst am" in lines[numbers[resolved]] and "Geschlossen am" in lines[numbers[closed]]
