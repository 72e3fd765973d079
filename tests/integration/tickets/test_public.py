"""The public fault form and tracking page through the real HTTP stack: validation (every field at
once, marked for assistive technology), honeypot, CSRF, the rate limits (per account when signed in, per
address otherwise, refused attempts apart from filed reports), reopen by reply, and that reporters never
see internal notes."""

from __future__ import annotations

import math
import re

import httpx
import pytest

from schoolit.sql import fetch
from schoolit.tickets import public, services
from tests.integration.accounts.test_login import login
from tests.integration.tickets.test_tickets_api import _scope
from tests.integration.tickets.world import category_id
from tests.integration.world import World


async def csrf(client: httpx.AsyncClient, path: str = "/report") -> str:
    page = await client.get(path)
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, page.text[:300]
    return match.group(1)


async def report(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    form = {"school_number": "41001", "category_id": str(await category_id()), "urgency": "high",
            "description": "Der Beamer in Raum 204 geht nicht an.", "email": "Lehrerin@Schule.example",
            "consent": "yes", "room": "204", "_csrf_token": await csrf(client), **fields}
    return await client.post("/report", data=form)


async def test_form_is_german_and_prefills_the_school(client: httpx.AsyncClient, world: World) -> None:
    page = await client.get("/report?school=41001")
    assert page.status_code == 200
    assert "Störung melden" in page.text and "Nordpfalzgymnasium Kirchheimbolanden" in page.text
    assert 'value="41001"' in page.text and "WLAN/Netzwerk" in page.text
    assert "Mörike" not in (await client.get("/report")).text  # no list of schools


async def test_report_opens_a_ticket_with_a_tracking_link(client: httpx.AsyncClient, world: World) -> None:
    response = await report(client)
    assert response.status_code == 201, response.text
    number = re.search(r'data-testid="ticket-number">([^<]+)<', response.text)
    link = re.search(r'href="(/track/trk_[^"]+)"', response.text)
    assert number and link
    ticket = (await fetch("SELECT * FROM ticket WHERE number = {}", number.group(1)))[0]
    assert ticket["source"] == "web_form" and ticket["reporter_email"] == "lehrerin@schule.example"
    assert ticket["room_text"] == "204" and ticket["subject"] == "Der Beamer in Raum 204 geht nicht an."
    track = await client.get(link.group(1))
    assert track.status_code == 200 and number.group(1) in track.text and "Neu" in track.text
    assert "Nordpfalzgymnasium" not in track.text  # the link alone must not reveal the school
    assert (await client.get("/track/trk_guessed")).status_code == 404
    mails = await fetch("SELECT recipient, body FROM outbox_mail WHERE ticket_id = {}", ticket["id"])
    assert mails[0]["recipient"] == "lehrerin@schule.example" and link.group(1) in mails[0]["body"]


async def test_validation_lists_every_problem_in_german(client: httpx.AsyncClient, world: World) -> None:
    response = await report(client, school_number="99999", email="", consent="", description=" ")
    assert response.status_code == 422
    for message in ("unbekannte Schulnummer", "für Antworten wird eine E-Mail-Adresse benötigt",
                    "bitte stimmen Sie der Verarbeitung Ihrer Angaben zu", "bitte beschreiben Sie die Störung"):
        assert message in response.text
    bad_category = await report(client, category_id="abc")
    assert bad_category.status_code == 422 and "unbekannte Kategorie" in bad_category.text
    bad_email = await report(client, email="kein-at-zeichen")
    assert bad_email.status_code == 422 and "keine gültige E-Mail-Adresse" in bad_email.text
    assert (await fetch("SELECT count(*) AS n FROM ticket WHERE source = 'web_form'"))[0]["n"] == 0


async def test_honeypot_and_csrf(client: httpx.AsyncClient, world: World) -> None:
    trapped = await report(client, website="http://spam.example")
    assert trapped.status_code == 422
    assert (await fetch("SELECT count(*) AS n FROM ticket WHERE source = 'web_form'"))[0]["n"] == 0
    no_token = await client.post("/report", data={"school_number": "41001", "description": "x"})
    assert no_token.status_code == 403


async def filed() -> int:
    return int((await fetch("SELECT count(*) AS n FROM ticket WHERE source = 'web_form'"))[0]["n"])


def invalid_fields(page: str) -> set[str]:
    """The fields marked aria-invalid and described by their message (which must be on the page)."""
    marked = set(re.findall(r'name="([a-z_]+)"[^>]*aria-invalid="true" aria-describedby="error-\1"', page))
    for field in marked:
        assert f'id="error-{field}"' in page, field
    return marked


async def test_empty_form_lists_every_missing_field_at_once(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post("/report", data={"_csrf_token": await csrf(client)})
    assert response.status_code == 422
    summary = re.search(r'<div class="flash error error-summary" role="alert"[^>]*>(.*?)</div>', response.text, re.S)
    assert summary, response.text
    assert "Bitte korrigieren:" in summary.group(1)
    items = [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", summary.group(1))]
    assert items == ["Schulnummer: bitte angeben", "Kategorie: bitte wählen",
                     "Was funktioniert nicht?: bitte beschreiben Sie die Störung",
                     "Ihre E-Mail-Adresse: für Antworten wird eine E-Mail-Adresse benötigt",
                     "Einwilligung: bitte stimmen Sie der Verarbeitung Ihrer Angaben zu"]
    assert "unbekannt" not in response.text
    assert invalid_fields(response.text) == {"school_number", "category_id", "description", "email", "consent"}
    assert await filed() == 0


async def test_form_comes_back_with_everything_typed(client: httpx.AsyncClient, world: World) -> None:
    typed = {"subject": "Beamer <aus>", "description": "\nZeile eins\nZeile zwei", "device_serial": "SN-1",
             "room": "B 204", "name": "Frau Özdemir", "email": "oz@schule.example", "urgency": "high"}
    response = await report(client, category_id="", **typed)
    assert response.status_code == 422
    assert invalid_fields(response.text) == {"category_id"}
    assert 'value="41001"' in response.text and "Nordpfalzgymnasium Kirchheimbolanden" in response.text
    for name in ("subject", "device_serial", "room", "name", "email"):
        assert f'name="{name}" value="{typed[name].replace("<", "&lt;").replace(">", "&gt;")}"' in response.text
    # the browser drops one newline after <textarea>, so the template writes one before the text
    assert re.search(r'name="description"[^>]*>\n\nZeile eins\nZeile zwei</textarea>', response.text)
    assert '<option value="high" selected>' in response.text and 'name="consent" value="yes" checked' in response.text
    assert await filed() == 0


async def test_a_refused_school_number_comes_back_at_its_field(client: httpx.AsyncClient, world: World) -> None:
    """Six digits, or any other text, is refused at the field in the school's own words ("fünf Ziffern"),
    beside the form's other problems, with everything typed kept — not the bare error page of a value
    longer than its column; spaces around a number are what a paste brings and are dropped."""
    typed = {"name": "Frau Özdemir", "email": "oz@schule.example", "room": "B 204", "subject": "Beamer"}
    for number in ("516001", "4100a", " 410011 "):
        response = await report(client, school_number=number, consent="", **typed)
        assert response.status_code == 422, number
        assert "Ungültige Eingabe" not in response.text
        assert invalid_fields(response.text) == {"school_number", "consent"}
        assert re.search(r'id="error-school_number"[^>]*>fünf Ziffern<', response.text)
        assert f'name="school_number" value="{number}"' in response.text
        for name, value in typed.items():
            assert f'name="{name}" value="{value}"' in response.text
    assert await filed() == 0
    page = await client.get("/report")
    assert 'pattern="[0-9]{5}" title="fünfstellige Schulnummer"' in page.text
    pasted = await report(client, school_number=" 41001 ")
    assert pasted.status_code == 201, pasted.text
    ticket = (await fetch("SELECT school_id FROM ticket WHERE source = 'web_form'"))[0]
    assert ticket["school_id"] == world.schools["kib"]["id"]


async def test_refused_attempts_do_not_lock_out_a_school(client: httpx.AsyncClient, world: World) -> None:
    for _ in range(8):  # colleagues behind the school's one address get the form wrong
        assert (await report(client, consent="")).status_code == 422
    assert (await report(client)).status_code == 201


async def test_signed_in_contact_is_counted_per_account(client: httpx.AsyncClient, world: World,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(public, "REPORT_LIMIT", 1)
    monkeypatch.setattr(public, "USER_REPORT_LIMIT", 2)
    assert (await report(client)).status_code == 201  # the address's budget is used up
    assert (await report(client)).status_code == 429
    await login(client, "it@kib.test.example")
    for _ in range(public.FAILED_LIMIT + 1):  # a signed-in user's mistakes are not counted at all
        assert (await report(client, category_id="")).status_code == 422
    assert (await report(client)).status_code == 201
    assert (await report(client)).status_code == 201
    limited = await report(client)
    assert limited.status_code == 429 and "Sie haben zu viele Meldungen gesendet" in limited.text
    assert await filed() == 3


async def test_anonymous_abuse_ceiling(client: httpx.AsyncClient, world: World) -> None:
    for _ in range(public.FAILED_LIMIT):
        assert (await report(client, consent="")).status_code == 422
    limited = await report(client)
    assert limited.status_code == 429
    wait = int(limited.headers["retry-after"])
    assert 1 <= wait <= 600
    minutes = math.ceil(wait / 60)
    assert (f"Zu viele Meldungen aus Ihrem Netz. Bitte versuchen Sie es in {minutes} "
            f"Minute{'n' if minutes != 1 else ''} erneut.") in limited.text
    assert 'value="Lehrerin@Schule.example"' in limited.text  # what was typed stays
    assert await filed() == 0
    await fetch("UPDATE report_attempt SET at = at - interval '11 minutes'")  # the window has passed
    assert (await report(client)).status_code == 201


async def test_anonymous_filed_reports_per_address(client: httpx.AsyncClient, world: World,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(public, "REPORT_LIMIT", 2)
    assert (await report(client)).status_code == 201
    assert (await report(client)).status_code == 201
    limited = await report(client)
    assert limited.status_code == 429 and "Zu viele Meldungen aus Ihrem Netz" in limited.text
    assert 1 <= int(limited.headers["retry-after"]) <= 600
    assert await filed() == 2


async def test_reply_reopens_a_recently_resolved_ticket(client: httpx.AsyncClient, world: World) -> None:
    created = await report(client)
    link = re.search(r'href="(/track/trk_[^"]+)"', created.text)
    assert link
    ticket_id = (await fetch("SELECT id FROM ticket WHERE source = 'web_form'"))[0]["id"]
    supporter = await _scope(world, "verbund_supporter")
    await services.assign(supporter, ticket_id, world.users["verbund_supporter"]["id"])
    await services.add_comment(supporter, ticket_id, "Lampe getauscht.")
    await services.add_comment(supporter, ticket_id, "Interne Notiz: Ersatzlampe aus Lager B", public=False)
    await services.change_status(supporter, ticket_id, "resolved")
    page = await client.get(link.group(1))
    assert "Lampe getauscht." in page.text and "Lager B" not in page.text and "Gelöst" in page.text
    token = await csrf(client, link.group(1))
    replied = await client.post(link.group(1), data={"body": "Geht leider wieder nicht.", "_csrf_token": token})
    assert replied.status_code == 303
    reopened = await services.get_ticket(supporter, ticket_id)
    assert reopened["status"] == "in_progress" and reopened["resolved_at"] is None
    await services.change_status(supporter, ticket_id, "resolved")
    await fetch("UPDATE ticket SET resolved_at = now() - interval '15 days' WHERE id = {}", ticket_id)
    token = await csrf(client, link.group(1))
    late = await client.post(link.group(1), data={"body": "Und jetzt?", "_csrf_token": token})
    assert late.status_code == 422 and "dieses Ticket ist geschlossen" in late.text
    assert (await services.get_ticket(supporter, ticket_id))["status"] == "resolved"
    without_csrf = await client.post(link.group(1), data={"body": "x"})
    assert without_csrf.status_code == 403


async def _tracking_link(client: httpx.AsyncClient) -> str:
    created = await report(client)
    link = re.search(r'href="(/track/trk_[^"]+)"', created.text)
    assert link
    return link.group(1)


async def _replies() -> int:
    return int((await fetch("SELECT count(*) AS n FROM ticket_event WHERE kind = 'reply'"))[0]["n"])


async def test_replies_sent_are_limited_per_address(client: httpx.AsyncClient, world: World,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(public, "REPLY_RATE_LIMIT", 2)
    link = await _tracking_link(client)
    token = await csrf(client, link)
    for text in ("Danke!", "Noch eine Frage"):
        assert (await client.post(link, data={"body": text, "_csrf_token": token})).status_code == 303
    limited = await client.post(link, data={"body": "Und noch eine", "_csrf_token": token})
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 600
    assert "Zu viele Antworten" in limited.text and "Und noch eine</textarea>" in limited.text
    assert await _replies() == 2


async def test_refused_replies_do_not_use_up_the_schools_replies(client: httpx.AsyncClient, world: World) -> None:
    link = await _tracking_link(client)
    token = await csrf(client, link)
    for _ in range(public.REPLY_RATE_LIMIT + 2):  # a colleague sending empty replies again and again
        assert (await client.post(link, data={"body": " ", "_csrf_token": token})).status_code == 422
    sent = await client.post(link, data={"body": "Jetzt mit Text", "_csrf_token": token})
    assert sent.status_code == 303 and await _replies() == 1


async def test_a_too_long_reply_comes_back_as_typed_with_the_reason(client: httpx.AsyncClient,
                                                                    world: World) -> None:
    link = await _tracking_link(client)
    token = await csrf(client, link)
    long = "x" * (public.MAX_REPLY + 1)
    refused = await client.post(link, data={"body": long, "_csrf_token": token})
    assert refused.status_code == 422
    assert f"höchstens {public.MAX_REPLY} Zeichen" in refused.text and f">{long}</textarea>" in refused.text
    assert 'aria-invalid="true"' in refused.text and f'maxlength="{public.MAX_REPLY}"' in refused.text
    assert await _replies() == 0


async def test_refused_replies_and_guessed_tokens_meet_a_ceiling(client: httpx.AsyncClient, world: World,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(public, "FAILED_LIMIT", 3)
    link = await _tracking_link(client)
    token = await csrf(client, link)
    assert (await client.post(link, data={"body": " ", "_csrf_token": token})).status_code == 422
    for guess in ("/track/trk_guessed", "/track/trk_guessed_again"):
        assert (await client.post(guess, data={"body": "x", "_csrf_token": token})).status_code == 404
    limited = await client.post(link, data={"body": "Eine echte Antwort", "_csrf_token": token})
    assert limited.status_code == 429 and "Zu viele Antworten" in limited.text
    guessed = await client.post("/track/trk_guessed", data={"body": "x", "_csrf_token": token})
    assert guessed.status_code == 404  # a guessed token learns nothing more than before
    assert await _replies() == 0


async def test_control_characters_are_not_sent_back(client: httpx.AsyncClient, world: World) -> None:
    """A NUL byte or another control character in the form is refused, and the form comes back without it: the
    rest of what was typed stays, and the field says what was removed, so the report can be sent as shown."""
    response = await report(client, description="Der Beamer\x00 geht nicht\x07 an.\nRaum 204", name="Frau\x1b Weber")
    assert response.status_code == 422
    assert not any(character in response.text for character in ("\x00", "\x07", "\x1b"))
    removed = "enthielt unsichtbare Steuerzeichen, die entfernt wurden: bitte prüfen und erneut senden"
    assert re.search(r'name="description"[^>]*>\n(.*?)</textarea>', response.text, re.S).group(1) == \
        "Der Beamer geht nicht an.\nRaum 204"  # type: ignore[union-attr]
    assert 'name="name" value="Frau Weber"' in response.text
    assert invalid_fields(response.text) == {"description", "name"}
    assert f"Was funktioniert nicht?</a>: {removed}" in response.text
    assert await filed() == 0
    again = await report(client, description="Der Beamer geht nicht an.\nRaum 204", name="Frau Weber")
    assert again.status_code == 201
