"""A supporter's forms that are refused come back as forms: the ticket page's time entry, the queue's saved
view and the notification settings answer 422 with the form again, what was typed or chosen still in it,
the German reason at its field (in the wording of the project's limits and rules), and nothing stored —
never the bare error page. A day may be typed the German way (7.12.2026), as a browser without a date
picker sends it."""

from __future__ import annotations

import datetime as dt
import html
import re

import httpx

from schoolit.kernel.times import BERLIN
from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.world import World

SUPPORTER = "support@verbund.test.example"
ERROR_PAGE = "Ungültige Eingabe"  # the title of the bare 422 page


def at_field(page: str, field: str) -> str:
    """The message shown at a field (its `field-error` element), "" when it has none."""
    match = re.search(rf'<span class="field-error"[^>]*\bdata-field="{field}"[^>]*>([^<]*)</span>', page)
    return html.unescape(match.group(1)) if match else ""


def value_of(page: str, name: str) -> str | None:
    """The value an input of the page is filled with."""
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*\bvalue="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else None


def today() -> dt.date:
    return dt.datetime.now(BERLIN).date()


# --- the ticket page's time entry ------------------------------------------------------------------


async def _opened(ticket_id: int, at: dt.datetime) -> None:
    """The ticket opened at that moment (time is booked from its day in Germany on)."""
    await fetch("UPDATE ticket SET created_at = {} WHERE id = {}", at, ticket_id)


async def _ticket(client: httpx.AsyncClient, world: World) -> tuple[int, str, str]:
    """The ticket's id and path, and a CSRF token, for the logged-in supporter; the ticket was opened a week
    ago, so the days of the last week may be booked on it."""
    await login(client, SUPPORTER)
    ticket_id = world.by_school["ticket"]["kib"]
    await _opened(ticket_id, dt.datetime.combine(today() - dt.timedelta(days=7), dt.time(12), tzinfo=BERLIN))
    path = f"/tickets/{ticket_id}"
    return ticket_id, path, await csrf_token(client, path)


async def _entries(ticket_id: int) -> list[dict[str, object]]:
    return await fetch("SELECT minutes, worked_on, note FROM time_entry WHERE ticket_id = {} ORDER BY id", ticket_id)


async def test_negative_minutes_are_below_the_limit_and_the_typed_values_stay(client: httpx.AsyncClient,
                                                                            world: World) -> None:
    ticket_id, path, token = await _ticket(client, world)
    day = (today() - dt.timedelta(days=2)).isoformat()
    refused = await client.post(f"{path}/time", data={"minutes": "-5", "worked_on": day,
                                                      "note": "Switch neu gestartet", "_csrf_token": token})
    assert refused.status_code == 422
    assert ERROR_PAGE not in refused.text and 'data-testid="time-form"' in refused.text
    # What is wrong, in the words of every limit, at the field and in the list on top.
    assert at_field(refused.text, "minutes") == "mindestens 1"
    assert '<a href="#field-minutes">Minuten</a>: mindestens 1' in refused.text
    assert "ganze Zahl" not in refused.text
    # The list on top is the form's error summary, focused when the page loads, right above the time form.
    summary = re.search(r'<div class="flash error error-summary" role="alert" tabindex="-1" autofocus '
                        r'data-error-summary data-testid="time-error-summary">(.*?)</div>\s*</div>\s*'
                        r'<form[^>]*data-testid="time-form"', refused.text, re.S)
    assert summary and "Bitte korrigieren:" in summary.group(1), refused.text
    assert refused.text.count('role="alert"') == 1  # one list of what is wrong, not two
    assert f'data-page-address="/tickets/{ticket_id}"' in refused.text
    # What was typed stays, and the field is marked for assistive technology.
    assert value_of(refused.text, "minutes") == "-5"
    assert value_of(refused.text, "worked_on") == day
    assert value_of(refused.text, "note") == "Switch neu gestartet"
    assert re.search(r'name="minutes"[^>]*aria-invalid="true" aria-describedby="error-minutes"', refused.text)
    assert await _entries(ticket_id) == []

    for minutes, reason in (("0", "mindestens 1"), ("1441", "höchstens 1440"), ("9" * 30, "höchstens 1440"),
                            ("zwanzig", "muss eine ganze Zahl von Minuten sein"),
                            ("1,5", "muss eine ganze Zahl von Minuten sein")):
        again = await client.post(f"{path}/time", data={"minutes": minutes, "worked_on": day, "_csrf_token": token})
        assert again.status_code == 422, minutes
        assert at_field(again.text, "minutes") == reason, minutes
        assert value_of(again.text, "minutes") == minutes
    assert await _entries(ticket_id) == []


async def test_an_over_long_note_comes_back_at_its_field(client: httpx.AsyncClient, world: World) -> None:
    ticket_id, path, token = await _ticket(client, world)
    note = "Access Point im Raum 1.1 getauscht. " * 9  # 324 characters
    assert len(note) > 300
    refused = await client.post(f"{path}/time", data={"minutes": "25", "worked_on": today().isoformat(),
                                                      "note": note, "_csrf_token": token})
    assert refused.status_code == 422
    assert ERROR_PAGE not in refused.text and 'data-testid="time-form"' in refused.text
    assert at_field(refused.text, "note") == "höchstens 300 Zeichen"
    assert '<a href="#field-note">was wurde getan</a>: höchstens 300 Zeichen' in refused.text
    assert value_of(refused.text, "note") == note and value_of(refused.text, "minutes") == "25"
    assert at_field(refused.text, "minutes") == ""
    assert await _entries(ticket_id) == []


async def test_the_day_missing_malformed_or_ahead_is_named_in_german(client: httpx.AsyncClient,
                                                                     world: World) -> None:
    ticket_id, path, token = await _ticket(client, world)
    page = await client.get(path)
    assert value_of(page.text, "worked_on") == today().isoformat()  # the form offers today
    ahead = today() + dt.timedelta(days=30)
    for typed, reason in (("", "Pflichtfeld"),
                          ("31.02.2026", "muss ein Datum wie 22.11.2026 sein"),
                          ("7.12.26", "muss ein Datum wie 22.11.2026 sein"),
                          ("gestern", "muss ein Datum wie 22.11.2026 sein"),
                          (ahead.isoformat(), "darf nicht in der Zukunft liegen"),
                          (f"{ahead.day}.{ahead.month}.{ahead.year}", "darf nicht in der Zukunft liegen")):
        refused = await client.post(f"{path}/time", data={"minutes": "15", "worked_on": typed, "note": "vor Ort",
                                                          "_csrf_token": token})
        assert refused.status_code == 422, typed
        assert ERROR_PAGE not in refused.text
        assert at_field(refused.text, "worked_on") == reason, typed
        assert f'<a href="#field-worked_on">Tag</a>: {reason}' in refused.text, typed
        assert value_of(refused.text, "worked_on") == typed
        assert value_of(refused.text, "minutes") == "15" and value_of(refused.text, "note") == "vor Ort"
    assert "2026-11-22" not in refused.text
    assert await _entries(ticket_id) == []

    # A day written the German way is what the server takes too (a browser without a date picker).
    earlier = today() - dt.timedelta(days=3)
    for typed in (f"{earlier.day}.{earlier.month}.{earlier.year}", earlier.strftime("%d.%m.%Y")):
        booked = await client.post(f"{path}/time", data={"minutes": "10", "worked_on": typed, "_csrf_token": token})
        assert booked.status_code == 303, typed
        assert booked.headers["location"] == f"{path}#time"  # back at the time section
    assert [(e["minutes"], e["worked_on"]) for e in await _entries(ticket_id)] == [(10, earlier), (10, earlier)]


async def test_a_day_before_the_ticket_was_opened_is_named_with_that_day(client: httpx.AsyncClient,
                                                                           world: World) -> None:
    ticket_id, path, token = await _ticket(client, world)
    # Opened half past midnight in Germany: the evening before in UTC, which is not the day that counts.
    opened = today() - dt.timedelta(days=5)
    await _opened(ticket_id, dt.datetime.combine(opened, dt.time(0, 30), tzinfo=BERLIN))
    page = await client.get(path)
    assert re.search(rf'name="worked_on"[^>]*\bmin="{opened.isoformat()}"', page.text)  # the date picker's limit
    reason = f"darf nicht vor dem {opened:%d.%m.%Y} liegen, dem Tag, an dem das Ticket eröffnet wurde"
    before = opened - dt.timedelta(days=1)
    for typed in (before.isoformat(), f"{before:%d.%m.%Y}", "01.01.2020"):
        refused = await client.post(f"{path}/time", data={"minutes": "30", "worked_on": typed, "note": "vor Ort",
                                                          "_csrf_token": token})
        assert refused.status_code == 422, typed
        assert ERROR_PAGE not in refused.text
        assert at_field(refused.text, "worked_on") == reason, typed  # years back too: the day of opening
        assert f'<a href="#field-worked_on">Tag</a>: {reason}' in refused.text
        assert value_of(refused.text, "worked_on") == typed and value_of(refused.text, "minutes") == "30"
    assert await _entries(ticket_id) == []
    booked = await client.post(f"{path}/time", data={"minutes": "30", "worked_on": opened.isoformat(),
                                                     "_csrf_token": token})
    assert booked.status_code == 303
    assert [(e["minutes"], e["worked_on"]) for e in await _entries(ticket_id)] == [(30, opened)]


# --- the queue's saved views -----------------------------------------------------------------------


async def _saved_views() -> list[dict[str, object]]:
    return await fetch("SELECT name FROM saved_view")


async def test_an_over_long_view_name_comes_back_to_the_queue(client: httpx.AsyncClient, world: World) -> None:
    await login(client, SUPPORTER)
    token = await csrf_token(client, "/tickets")
    kusel = str(world.counties["kusel"])
    for name in ("Kusel " + "x" * 75, "Kusel " + "x" * 200):  # 81 characters, and longer than any name column
        refused = await client.post("/tickets/views", data={"view": "unassigned", "county_id": kusel, "name": name,
                                                            "_csrf_token": token})
        assert refused.status_code == 422
        assert ERROR_PAGE not in refused.text and "Ticket-Warteschlange" in refused.text
        assert at_field(refused.text, "name") == "höchstens 80 Zeichen"
        assert value_of(refused.text, "name") == name
        # The list behind the form is the one that was to be saved.
        assert re.search(r'<input type="hidden" name="view" value="unassigned">', refused.text)
        assert f'<input type="hidden" name="county_id" value="{kusel}">' in refused.text
    blank = await client.post("/tickets/views", data={"view": "open", "name": "  ", "_csrf_token": token})
    assert blank.status_code == 422 and at_field(blank.text, "name") == "muss 1 bis 80 Zeichen lang sein"
    assert await _saved_views() == []


async def test_refused_filters_of_a_view_are_named_in_its_form(client: httpx.AsyncClient, world: World) -> None:
    await login(client, SUPPORTER)
    token = await csrf_token(client, "/tickets")
    refused = await client.post("/tickets/views", data={"view": "bogus", "status": "kaputt", "county_id": "Kusel",
                                                        "name": "Meine Sicht", "_csrf_token": token})
    assert refused.status_code == 422 and ERROR_PAGE not in refused.text
    box = re.search(r'(?s)data-testid="save-view-errors">(.*?)</div>', refused.text)
    assert box is not None
    assert ("Ansicht: kein zulässiger Wert" in box.group(1) and "Status: unbekannter Status" in box.group(1)
            and "Landkreis: muss eine ganze Zahl sein" in box.group(1))
    assert value_of(refused.text, "name") == "Meine Sicht" and at_field(refused.text, "name") == ""
    assert await _saved_views() == []
    saved = await client.post("/tickets/views", data={"view": "unassigned", "name": "Meine Sicht",
                                                      "_csrf_token": token})
    assert saved.status_code == 303 and [v["name"] for v in await _saved_views()] == ["Meine Sicht"]


async def test_an_over_long_search_text_of_a_view_is_named_in_its_form(client: httpx.AsyncClient,
                                                                        world: World) -> None:
    await login(client, SUPPORTER)
    token = await csrf_token(client, "/tickets")
    refused = await client.post("/tickets/views", data={"view": "open", "q": "Beamer " + "x" * 94,  # 101 characters
                                                        "name": "Beamer", "_csrf_token": token})
    assert refused.status_code == 422 and ERROR_PAGE not in refused.text
    box = re.search(r'(?s)data-testid="save-view-errors">(.*?)</div>', refused.text)
    assert box is not None and "Suche: höchstens 100 Zeichen" in box.group(1)
    assert value_of(refused.text, "name") == "Beamer" and at_field(refused.text, "name") == ""
    assert await _saved_views() == []
    saved = await client.post("/tickets/views", data={"view": "open", "q": "Beamer " + "x" * 93, "name": "Beamer",
                                                      "_csrf_token": token})
    assert saved.status_code == 303 and [v["name"] for v in await _saved_views()] == ["Beamer"]


# --- the notification settings ---------------------------------------------------------------------


async def test_an_over_long_or_unknown_language_is_a_field_error(client: httpx.AsyncClient, world: World) -> None:
    await login(client, SUPPORTER)
    token = await csrf_token(client, "/account/notifications")
    for locale in ("deutsch", "fr", "de\x00"):
        refused = await client.post("/account/notifications", data={"locale": locale, "sla_breach": "off",
                                                                     "new_ticket": "digest", "_csrf_token": token})
        assert refused.status_code == 422, locale
        assert ERROR_PAGE not in refused.text and "Bitte prüfen Sie die markierten Felder." in refused.text
        assert at_field(refused.text, "locale") == "unbekannte Sprache", locale
        assert re.search(r'<select name="locale" aria-invalid="true" aria-describedby="error-locale">', refused.text)
        # The other choices stay as they were made.
        assert 'name="sla_breach" value="off" checked' in refused.text
        assert 'name="new_ticket" value="digest" checked' in refused.text
    for mode in ("x" * 40, "on\x00"):
        refused = await client.post("/account/notifications", data={"new_ticket": mode, "_csrf_token": token})
        assert refused.status_code == 422 and ERROR_PAGE not in refused.text
        assert at_field(refused.text, "new_ticket") == "muss eine der angebotenen Möglichkeiten sein"
    # A choice the role is not offered has no field on the page: the list on top names it.
    other = await client.post("/account/notifications", data={"weekly_summary": "on", "_csrf_token": token})
    assert other.status_code == 422
    assert "Wochenübersicht meines Landkreises: keine Benachrichtigung, die Ihre Rolle wählen kann" in other.text
    assert await fetch("SELECT 1 FROM notification_profile WHERE user_id = {}",
                       world.users["verbund_supporter"]["id"]) == []


# --- the ticket page's other forms -----------------------------------------------------------------


def _summary(page: str) -> str:
    """The page's focused error summary (the `error_summary` macro), "" when it has none."""
    match = re.search(r'<div class="flash error error-summary" role="alert" tabindex="-1" autofocus '
                      r'data-error-summary data-testid="error-summary">(.*?)</div>', page, re.S)
    return match.group(1) if match else ""


async def test_each_refused_form_of_the_ticket_page_is_named_in_the_error_summary(client: httpx.AsyncClient,
                                                                                  world: World) -> None:
    """A refused status change, assignment, impact, comment or upload shows the page again (422) with the
    focused error summary at its top: the field's label linked to its input, and the reason at the field too;
    nothing changes."""
    ticket_id, path, token = await _ticket(client, world)
    stored = ("SELECT status, assignee_id, impact, updated_at, (SELECT count(*) FROM ticket_attachment a "
              "WHERE a.ticket_id = ticket.id) AS files FROM ticket WHERE id = {}")
    before = await fetch(stored, ticket_id)
    posts = {
        "status": ("status", {"status": ""}, None, "Neuer Status", "bitte wählen"),
        "assignee_id": ("assign", {"assignee_id": str(2**31 - 1)}, None, "Bearbeitung", None),
        "impact": ("priority", {"impact": "riesig"}, None, "Auswirkung", None),
        "body": ("comment", {"body": "  "}, None, "Kommentar", None),
        "file": ("attachments", {}, {"file": ("notiz.txt", b"kein Bild", "text/plain")}, "Datei", None),
    }
    for field, (action, data, files, label, reason) in posts.items():
        refused = await client.post(f"{path}/{action}", data={**data, "_csrf_token": token}, files=files)
        assert refused.status_code == 422, (field, refused.text[:300])
        summary = _summary(refused.text)
        assert summary.count("<li>") == 1, (field, summary)
        link = re.search(rf'<a href="#field-{field}">([^<]*)</a>: ([^<]*)</li>', summary)
        assert link and html.unescape(link.group(1)) == label, (field, summary)
        assert html.unescape(link.group(2).strip()) == at_field(refused.text, field) != "", (field, summary)
        assert reason is None or at_field(refused.text, field) == reason
        assert re.search(rf'\bid="field-{field}"[^>]*aria-invalid="true" aria-describedby="error-{field}"',
                         refused.text), field
        assert refused.text.count(f'id="field-{field}"') == 1, field
        assert 'class="flash error" role="alert"' not in refused.text  # no second, unfocused list
    assert await fetch(stored, ticket_id) == before


async def test_a_refused_comment_of_a_status_change_is_named_at_that_form(client: httpx.AsyncClient,
                                                                          world: World) -> None:
    """The status change's comment, with a control character, is linked at the status form's input, not the
    closing form's."""
    ticket_id, path, token = await _ticket(client, world)
    refused = await client.post(f"{path}/status", data={"status": "in_progress", "comment": "Bin\x00 dran",
                                                        "_csrf_token": token})
    assert refused.status_code == 422
    assert '<a href="#field-comment">' in _summary(refused.text)
    status_form = re.search(r'<form[^>]*data-testid="status-form".*?</form>', refused.text, re.S)
    assert status_form and 'id="field-comment"' in status_form.group(0)
    assert 'data-field="comment"' in status_form.group(0) and refused.text.count('id="field-comment"') == 1
    assert (await fetch("SELECT status FROM ticket WHERE id = {}", ticket_id))[0]["status"] == "new"


async def test_a_refused_comment_comes_back_as_typed(client: httpx.AsyncClient, world: World) -> None:
    """A long comment refused (here for a control character pasted in) is not lost: the page gives it back,
    without the character, with the visibility chosen; nothing is stored."""
    ticket_id, path, token = await _ticket(client, world)
    events = "SELECT count(*) AS n FROM ticket_event WHERE ticket_id = {}"
    before = await fetch(events, ticket_id)
    refused = await client.post(f"{path}/comment", data={
        "_csrf_token": token, "body": "Drucker im Lehrerzimmer\x00 zieht kein Papier ein.", "visibility": "internal"})
    assert refused.status_code == 422
    assert re.search(r'data-testid="comment-body"[^>]*>Drucker im Lehrerzimmer zieht kein Papier ein\.</textarea>',
                     refused.text), refused.text[-3000:]
    assert '<input type="radio" name="visibility" value="internal" checked>' in refused.text
    assert "entfernt" in at_field(refused.text, "body")
    assert await fetch(events, ticket_id) == before
