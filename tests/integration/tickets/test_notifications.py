"""Notifications: each domain event becomes mails for the people it concerns, as each chose (each
time, daily digest, off), in their language, with a link to the ticket; the settings page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from schoolit.accounts.scope import Scope
from schoolit.settings import Settings
from schoolit.sql import fetch
from schoolit.tickets import mail, notifications, outages, services
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.tickets.test_mail import Inbox, smtp_server, smtp_settings  # noqa: F401 (a fixture)
from tests.integration.tickets.test_tickets_api import _scope, new_ticket
from tests.integration.world import World

SUPPORTER = "support@verbund.test.example"
CONTACT = "it@kib.test.example"
BERLIN = dt.timezone(dt.timedelta(hours=1))


async def mails(ticket_id: int | None = None) -> list[dict[str, Any]]:
    """The queued mails (of one ticket), after the dispatcher has worked the events."""
    await notifications.dispatch_all()
    condition = "ticket_id = {}" if ticket_id is not None else "ticket_id IS NULL AND {}::int IS NULL"
    return await fetch(f"SELECT recipient, subject, body FROM outbox_mail WHERE {condition} ORDER BY id",  # noqa: S608
                       ticket_id)


def to(found: list[dict[str, Any]], recipient: str) -> list[str]:
    return [m["subject"] for m in found if m["recipient"] == recipient]


async def choose(world: World, actor: str, locale: str = "", **modes: str) -> None:
    await notifications.save_my_preferences(await _scope(world, actor), locale=locale, modes=modes)


async def test_api_ticket_without_reporter_email_tells_the_county_supporters_and_the_school(
        client: httpx.AsyncClient, world: World) -> None:
    created = (await new_ticket(client, world, "school_contact", "kib"))["ticket"]
    assert created["reporter_email"] == ""
    found = await mails(created["id"])
    number = created["number"]
    assert to(found, SUPPORTER) == [f"Neues Ticket {number}: Beamer zeigt kein Bild"]
    assert to(found, CONTACT) == []  # nobody is told what they did themselves
    assert to(found, "support@lb.test.example") == []  # Ludwigsburg is not their county
    assert to(found, "st@dbk.test.example") == []  # authorities get a weekly summary at most
    body = next(m["body"] for m in found if m["recipient"] == SUPPORTER)
    assert f"/tickets/{created['id']}" in body and "Nordpfalzgymnasium Kirchheimbolanden" in body
    assert "/account/notifications" in body
    # A supporter filing a ticket is not told about it; their colleagues' settings still count.
    own = (await new_ticket(client, world, "verbund_supporter", "kib"))["ticket"]
    assert to(await mails(own["id"]), SUPPORTER) == []


async def test_off_digest_and_language(client: httpx.AsyncClient, world: World) -> None:
    await choose(world, "verbund_supporter", new_ticket="off")
    first = (await new_ticket(client, world, "school_contact", "kib"))["ticket"]
    assert to(await mails(first["id"]), SUPPORTER) == []

    await choose(world, "verbund_supporter", locale="en", new_ticket="digest")
    second = (await new_ticket(client, world, "school_contact", "kib", subject="Drucker offline"))["ticket"]
    third = (await new_ticket(client, world, "admin", "kus", subject="Kein WLAN"))["ticket"]
    assert to(await mails(second["id"]), SUPPORTER) == [] and to(await mails(third["id"]), SUPPORTER) == []
    items = await fetch("SELECT notify_kind FROM notification_digest_item WHERE user_id = {} AND sent_at IS NULL",
                        world.users["verbund_supporter"]["id"])
    assert [i["notify_kind"] for i in items] == ["new_ticket", "new_ticket"]

    now = dt.datetime.now(dt.UTC)
    tomorrow_morning = dt.datetime.combine(now.astimezone(BERLIN).date() + dt.timedelta(days=1), dt.time(7, 30),
                                           tzinfo=BERLIN)
    assert await notifications.send_digests(now - dt.timedelta(days=1)) == 0  # not before the next morning
    assert await notifications.send_digests(tomorrow_morning) == 1
    digest = [m for m in await mails() if m["recipient"] == SUPPORTER]
    assert [m["subject"] for m in digest] == ["Your daily summary: 2 notifications"]  # in their language
    assert f"New ticket {second['number']}: Drucker offline" in digest[0]["body"]
    assert f"/tickets/{third['id']}" in digest[0]["body"]
    assert await notifications.send_digests(tomorrow_morning) == 0  # sent once


async def test_the_digest_subject_counts_one_notification_and_several(client: httpx.AsyncClient,
                                                                      world: World) -> None:
    await mails()  # the world's own tickets are told the way they were chosen before
    await choose(world, "verbund_supporter", new_ticket="digest")  # German, the default language
    tomorrow_morning = dt.datetime.combine(dt.datetime.now(BERLIN).date() + dt.timedelta(days=1), dt.time(7, 30),
                                           tzinfo=BERLIN)
    subjects = []
    for count, morning in ((1, tomorrow_morning), (3, tomorrow_morning + dt.timedelta(days=1))):
        for _ in range(count):
            await mails((await new_ticket(client, world, "school_contact", "kib"))["ticket"]["id"])
        assert await notifications.send_digests(morning) == 1
        subjects = to(await mails(), SUPPORTER)
    assert subjects == ["Ihre tägliche Zusammenfassung: 1 Benachrichtigung",
                        "Ihre tägliche Zusammenfassung: 3 Benachrichtigungen"]


async def test_assignment_reply_and_status_changes(client: httpx.AsyncClient, world: World) -> None:
    created = (await new_ticket(client, world, "school_contact", "kib"))["ticket"]
    number = created["number"]
    admin = await _scope(world, "admin")
    await services.assign(admin, created["id"], world.users["verbund_supporter"]["id"])
    found = await mails(created["id"])
    assert f"Ticket {number} wurde Ihnen zugewiesen" in to(found, SUPPORTER)
    assert f"Ticket {number}: Zugewiesen" in to(found, CONTACT)  # the reporter's own account

    # The school answers on its ticket: the assignee is told, not the other supporters.
    contact = await _scope(world, "school_contact")
    await services.add_comment(contact, created["id"], "Der Beamer ist ein Epson EB-535W.")
    found = await mails(created["id"])
    replies = [m for m in found if "Antwort der meldenden Person" in m["subject"]]
    assert [m["recipient"] for m in replies] == [SUPPORTER]
    assert "Epson EB-535W" in replies[0]["body"]

    # A supporter claiming a ticket for themselves is not mailed about it.
    supporter = await _scope(world, "verbund_supporter")
    other = (await new_ticket(client, world, "school_contact", "kib", subject="Laptopwagen"))["ticket"]
    await services.assign(supporter, other["id"], world.users["verbund_supporter"]["id"])
    assert not any("zugewiesen" in s for s in to(await mails(other["id"]), SUPPORTER))


async def test_reply_on_the_tracking_page_tells_the_supporters(client: httpx.AsyncClient, world: World) -> None:
    ticket_id = world.by_school["ticket"]["kib"]
    token = world.tracking_tokens["kib"]  # type: ignore[attr-defined]
    csrf = await csrf_token(client, f"/track/{token}")
    answered = await client.post(f"/track/{token}", data={"body": "Es geht wieder nicht.", "_csrf_token": csrf})
    assert answered.status_code == 303, answered.text
    replies = [m for m in await mails(ticket_id) if "Antwort der meldenden Person" in m["subject"]]
    assert [m["recipient"] for m in replies] == [SUPPORTER]  # unassigned: every supporter of the county


async def test_sla_warning_and_breach_reach_the_assignee(client: httpx.AsyncClient, world: World) -> None:
    created = (await new_ticket(client, world, "school_contact", "kib"))["ticket"]
    await services.assign(await _scope(world, "admin"), created["id"], world.users["verbund_supporter"]["id"])
    now = dt.datetime.now(dt.UTC)
    await fetch("UPDATE ticket SET resolution_warn_at = {}, resolution_due_at = {} WHERE id = {}",
                now - dt.timedelta(minutes=1), now + dt.timedelta(hours=1), created["id"])
    assert await services.flag_warnings(Scope.system("test"), now) >= 1
    assert await services.flag_warnings(Scope.system("test"), now) == 0  # once
    warned = to(await mails(created["id"]), SUPPORTER)
    assert warned.count(f"Ticket {created['number']}: 80 % der Lösungszeit verbraucht") == 1

    assert await services.flag_breaches(Scope.system("test"), now + dt.timedelta(hours=2)) >= 1
    breached = to(await mails(created["id"]), SUPPORTER)
    assert f"Ticket {created['number']}: SLA verletzt" in breached


async def test_weekly_summary_only_for_authorities_who_ask(world: World) -> None:
    monday = dt.datetime(2026, 12, 7, 8, tzinfo=BERLIN)
    assert await notifications.weekly_summaries(monday) == 0  # off unless chosen
    await choose(world, "donnersberg_authority", weekly_summary="on")
    assert await notifications.weekly_summaries(monday) == 1
    assert await notifications.weekly_summaries(monday + dt.timedelta(days=2)) == 0  # once a week
    summary = [m for m in await mails() if m["recipient"] == "st@dbk.test.example"]
    assert [m["subject"] for m in summary] == ["Wochenübersicht Donnersbergkreis"]
    assert "noch offen: 2" in summary[0]["body"]  # the world's two Donnersberg tickets
    assert await notifications.weekly_summaries(monday + dt.timedelta(days=7)) == 1


async def test_mails_go_out_through_smtp(settings: Settings, smtp_server: tuple[Inbox, int],  # noqa: F811
                                         client: httpx.AsyncClient, world: World) -> None:
    inbox, port = smtp_server
    created = (await new_ticket(client, world, "admin", "kus"))["ticket"]
    await notifications.dispatch_all()
    await mail.send_due(smtp_settings(settings, port))
    mine = [m for m in inbox.messages if m["To"] == SUPPORTER and created["number"] in m["Subject"]]
    assert len(mine) == 1 and f"/tickets/{created['id']}" in mine[0].get_content()


async def test_settings_page(client: httpx.AsyncClient, world: World) -> None:
    await login(client, SUPPORTER)
    page = await client.get("/account/notifications")
    assert page.status_code == 200
    assert "Benachrichtigungen" in page.text and "Ein neues Ticket in meinen Landkreisen" in page.text
    assert "80 % einer SLA-Frist erreicht" in page.text and "Wochenübersicht" not in page.text
    token = await csrf_token(client, "/account/notifications")
    bad = await client.post("/account/notifications", data={"_csrf_token": token, "new_ticket": "sometimes",
                                                             "weekly_summary": "on", "locale": "fr"})
    assert bad.status_code == 422
    assert "muss eine der angebotenen Möglichkeiten sein" in bad.text and "unbekannte Sprache" in bad.text
    assert await fetch("SELECT 1 FROM notification_profile WHERE user_id = {}",
                       world.users["verbund_supporter"]["id"]) == []  # nothing stored
    saved = await client.post("/account/notifications", data={"_csrf_token": token, "new_ticket": "digest",
                                                               "sla_warning": "off", "locale": "en"})
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "Ihre Auswahl ist gespeichert." in page.text
    assert 'name="new_ticket" value="digest" checked' in page.text
    assert 'value="en" selected' in page.text
    audit = await fetch("SELECT action FROM audit_log WHERE action = 'notification_profile.save'")
    assert len(audit) == 1

    await login(client, "st@dbk.test.example")
    authority = await client.get("/account/notifications")
    assert "Wochenübersicht meines Landkreises" in authority.text and "Landkreisen" not in authority.text


async def test_outage_and_school_offline(world: World) -> None:
    from tests.integration.probes.network import build_network

    network = await build_network(world)
    system = Scope.system("probe")
    school = world.schools["kib"]["id"]
    ticket = await outages.open_or_get_outage_ticket(
        system, school_id=school, asset_kind="access_point", asset_id=network.access_points["kib"][0],
        category="WLAN/Netzwerk", summary="Access Point „AP 1“ antwortet nicht.")
    opened = await mails(ticket["id"])
    # A subject without the ticket number gets it in brackets: a reply finds its ticket by it.
    number = f"[{ticket['number']}]"
    assert to(opened, CONTACT) == [f"Störung an Ihrer Schule: Access Point „AP 1“ antwortet nicht. {number}"]
    assert to(opened, SUPPORTER) == [f"Neues Ticket {ticket['number']}: Access Point „AP 1“ antwortet nicht."]

    await outages.promote_to_school_outage(system, ticket["id"], uplink_id=network.uplinks["kib"],
                                            category="Internet/Anschluss", summary="Schule nicht erreichbar.",
                                            merged=[])
    offline = await mails(ticket["id"])
    assert f"Schule offline: Nordpfalzgymnasium Kirchheimbolanden {number}" in to(offline, SUPPORTER)
    assert f"Störung an Ihrer Schule: Schule nicht erreichbar. {number}" in to(offline, CONTACT)

    await outages.resolve_outage_ticket(system, ticket["id"], "Alle Geräte antworten wieder.")
    assert f"Störung an Ihrer Schule behoben: Schule nicht erreichbar. {number}" in to(await mails(ticket["id"]),
                                                                                        CONTACT)
