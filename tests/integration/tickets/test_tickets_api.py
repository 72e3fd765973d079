"""Tickets through the API: numbers, scope across the arrangement, the status machine with its audit,
SLA bookkeeping, claim-next, comments and notes, time, attachments, reports and outage tickets."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from schoolit.accounts.scope import Scope
from schoolit.accounts.tables import AuditEvent
from schoolit.errors import NotFound
from schoolit.inventory.services import upsert_school
from schoolit.inventory.tables import AccessPoint
from schoolit.kernel.times import BERLIN
from schoolit.sql import fetch
from schoolit.tickets import outages, services
from schoolit.tickets.choices import Status
from schoolit.tickets.policy import Policy
from schoolit.tickets.sla import Calendar
from tests.integration.accounts.test_login import login
from tests.integration.tickets.world import PNG, category_id
from tests.integration.world import World


async def new_ticket(client: httpx.AsyncClient, world: World, actor: str, school: str, **fields: object) -> dict:
    body = {"school_id": world.schools[school]["id"], "category_id": await category_id(),
            "subject": "Beamer zeigt kein Bild", "urgency": "medium", **fields}
    response = await client.post("/api/v1/tickets", json=body, headers=world.auth(actor))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_numbers_count_up_per_year_and_tokens_are_shown_once(client: httpx.AsyncClient, world: World) -> None:
    first = await new_ticket(client, world, "school_contact", "kib")
    second = await new_ticket(client, world, "verbund_supporter", "kus", impact="high")
    year = dt.datetime.now(dt.UTC).year
    numbers = [first["ticket"]["number"], second["ticket"]["number"]]
    assert all(re.fullmatch(rf"SIT-{year}-\d{{5}}", n) for n in numbers)
    assert int(numbers[1][-5:]) == int(numbers[0][-5:]) + 1
    assert first["tracking_url"].endswith("/track/" + first["tracking_token"])
    stored = await fetch("SELECT tracking_hash FROM ticket WHERE id = {}", first["ticket"]["id"])
    assert first["tracking_token"] not in stored[0]["tracking_hash"]
    assert first["ticket"]["impact"] == "medium"  # a school contact cannot set the impact
    assert second["ticket"]["impact"] == "high" and second["ticket"]["priority"] == 2
    assert first["ticket"]["source"] == "api"


async def test_scope_across_the_arrangement(client: httpx.AsyncClient, world: World) -> None:
    kl_county = world.counties["kaiserslautern"]
    kl_school = await upsert_school(county_id=kl_county, school_number="41005", name="BBS Landstuhl",
                                    school_type="bbs", city="Landstuhl", pupils=900)
    kl = await services.create_ticket(Scope.system("test"), services.NewTicket(
        school_id=kl_school, category_id=await category_id(), subject="Drucker offline"))
    verbund = (await client.get("/api/v1/tickets", headers=world.auth("verbund_supporter"))).json()
    assert {t["county_name"] for t in verbund["items"]} == {"Donnersbergkreis", "Landkreis Kaiserslautern",
                                                            "Landkreis Kusel"}
    assert verbund["total"] == 4
    ludwigsburg = (await client.get("/api/v1/tickets", headers=world.auth("ludwigsburg_supporter"))).json()
    assert [t["school_name"] for t in ludwigsburg["items"]] == ["Mörike-Gymnasium Ludwigsburg"]
    for ticket_id in (world.by_school["ticket"]["kib"], kl[0]["id"]):
        response = await client.get(f"/api/v1/tickets/{ticket_id}", headers=world.auth("ludwigsburg_supporter"))
        assert response.status_code == 404
    school = (await client.get("/api/v1/tickets", headers=world.auth("school_contact"))).json()
    assert [t["id"] for t in school["items"]] == [world.by_school["ticket"]["kib"]]
    filtered = (await client.get(f"/api/v1/tickets?county_id={kl_county}",
                                 headers=world.auth("verbund_supporter"))).json()
    assert [t["id"] for t in filtered["items"]] == [kl[0]["id"]]


async def test_status_machine_audit_and_mail(client: httpx.AsyncClient, world: World) -> None:
    ticket_id = world.by_school["ticket"]["kus"]
    auth = world.auth_only("verbund_supporter")  # no language asked: the mails go out in German

    async def move(status: str, actor: str = "verbund_supporter") -> httpx.Response:
        return await client.patch(f"/api/v1/tickets/{ticket_id}", json={"status": status},
                                  headers=world.auth_only(actor))

    assert (await move("in_progress")).json()["assignee_id"] == world.users["verbund_supporter"]["id"]
    assert (await move("new")).status_code == 409  # in progress cannot go straight back to the queue
    waiting = (await move("waiting")).json()
    assert waiting["status"] == "waiting" and waiting["sla_state"] == "paused"
    assert (await move("in_progress")).status_code == 200
    resolved = (await move("resolved")).json()
    assert resolved["resolved_at"] is not None
    assert (await move("closed", "school_contact")).status_code == 403  # not on this school's ticket (PATCH)
    assert (await move("closed")).json()["status"] == "closed"
    assert (await move("in_progress")).status_code == 409
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).where(
        (AuditEvent.object_type == "ticket") & (AuditEvent.object_id == str(ticket_id))).order_by(AuditEvent.id)]
    assert actions == ["ticket.create", "ticket.attachment", *["ticket.status"] * 5]
    events = (await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=auth)).json()
    assert [e["data"]["to"] for e in events if e["kind"] == "status"] == ["in_progress", "waiting", "in_progress",
                                                                          "resolved", "closed"]
    subjects = [r["subject"] for r in await fetch("SELECT subject FROM outbox_mail WHERE ticket_id = {} ORDER BY id",
                                                  ticket_id)]
    assert len(subjects) == 6 and subjects[-1].endswith("Geschlossen")


async def test_school_contact_confirms_a_resolution(client: httpx.AsyncClient, world: World) -> None:
    ticket_id = world.by_school["ticket"]["kib"]
    await client.patch(f"/api/v1/tickets/{ticket_id}", json={"status": "resolved"},
                       headers=world.auth("verbund_supporter"))
    ticket = await services.change_status(await _scope(world, "school_contact"), ticket_id, "closed")
    assert ticket["status"] == "closed"


async def _scope(world: World, actor: str) -> Scope:
    from schoolit.accounts.tokens import scope_for_token

    scope = await scope_for_token(world.tokens[actor])
    assert scope is not None
    return scope


def test_waiting_pauses_the_resolution_clock() -> None:
    berlin = dt.timezone(dt.timedelta(hours=1))
    created = dt.datetime(2026, 11, 23, 9, tzinfo=berlin)  # Monday 09:00 in Berlin (CET)
    policy = Policy(calendar=Calendar())
    ticket = {"status": "in_progress", "paused_seconds": 0, "paused_since": None, "created_at": created,
              "priority": 3, "resolution_due_at": dt.datetime(2026, 11, 26, 9, tzinfo=berlin)}
    waiting = services.sla_changes(ticket, Status.WAITING, dt.datetime(2026, 11, 23, 12, tzinfo=berlin), policy)
    assert waiting["paused_since"] == dt.datetime(2026, 11, 23, 12, tzinfo=berlin)
    ticket.update(status="waiting", paused_since=waiting["paused_since"])
    back = services.sla_changes(ticket, Status.IN_PROGRESS, dt.datetime(2026, 11, 25, 10, tzinfo=berlin), policy)
    assert back["paused_seconds"] == 14 * 3600  # Mon 12–16, Tue 8–16, Wed 8–10
    # 24 business hours from Monday 09:00 is Thursday 09:00; plus 14 paused hours: Friday 15:00.
    assert back["resolution_due_at"] == dt.datetime(2026, 11, 27, 15, tzinfo=berlin)


async def test_claim_next_takes_the_most_urgent_in_scope(client: httpx.AsyncClient, world: World) -> None:
    urgent = await new_ticket(client, world, "verbund_supporter", "rok", urgency="high", impact="high")
    claimed = await client.post("/api/v1/tickets/claim-next", headers=world.auth("verbund_supporter"))
    assert claimed.status_code == 200
    assert claimed.json()["id"] == urgent["ticket"]["id"]
    assert claimed.json()["status"] == "assigned" and claimed.json()["first_response_at"] is not None
    lb = await client.post("/api/v1/tickets/claim-next", headers=world.auth("ludwigsburg_supporter"))
    assert lb.json()["school_name"] == "Mörike-Gymnasium Ludwigsburg"
    assert (await client.post("/api/v1/tickets/claim-next", headers=world.auth("ludwigsburg_supporter"))
            ).status_code == 204
    assert (await client.post("/api/v1/tickets/claim-next", headers=world.auth("school_contact"))).status_code == 403
    assert await AuditEvent.exists().where((AuditEvent.action == "ticket.claim")
                                           & (AuditEvent.object_id == str(urgent["ticket"]["id"])))


async def test_comments_notes_and_time(client: httpx.AsyncClient, world: World) -> None:
    ticket_id = world.by_school["ticket"]["kib"]
    auth = world.auth("verbund_supporter")
    note = await client.post(f"/api/v1/tickets/{ticket_id}/comments", json={"body": "Switch prüfen", "public": False},
                             headers=auth)
    assert note.status_code == 201
    assert (await client.post(f"/api/v1/tickets/{ticket_id}/comments", json={"body": "intern?", "public": False},
                              headers=world.auth("school_contact"))).status_code == 403
    assert (await client.post(f"/api/v1/tickets/{ticket_id}/comments", json={"body": "Danke, es geht wieder."},
                              headers=world.auth("school_contact"))).status_code == 201
    school_view = (await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=world.auth("school_contact"))).json()
    assert "Switch prüfen" not in str(school_view) and "Danke, es geht wieder." in str(school_view)
    assert "Switch prüfen" in str((await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=auth)).json())
    logged = await client.post(f"/api/v1/tickets/{ticket_id}/time", json={"minutes": 45, "note": "vor Ort"},
                               headers=auth)
    assert logged.status_code == 201
    bad = await client.post(f"/api/v1/tickets/{ticket_id}/time", json={"minutes": 0}, headers=auth)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "minutes"
    assert [e["minutes"] for e in (await client.get(f"/api/v1/tickets/{ticket_id}/time", headers=auth)).json()] == [45]


async def test_time_is_booked_from_the_day_the_ticket_was_opened_in_germany(client: httpx.AsyncClient,
                                                                            world: World) -> None:
    ticket_id = world.by_school["ticket"]["kib"]
    auth = world.auth("verbund_supporter")
    # Opened half past midnight in Germany, which is the evening before in UTC: the German day counts.
    opened = dt.datetime.now(BERLIN).date() - dt.timedelta(days=4)
    await fetch("UPDATE ticket SET created_at = {} WHERE id = {}",
                dt.datetime.combine(opened, dt.time(0, 30), tzinfo=BERLIN), ticket_id)
    for day in (opened - dt.timedelta(days=1), dt.date(2020, 1, 6)):
        refused = await client.post(f"/api/v1/tickets/{ticket_id}/time",
                                    json={"minutes": 30, "worked_on": day.isoformat()}, headers=auth)
        assert refused.status_code == 422, day
        assert [(e["field"], e["message"]) for e in refused.json()["errors"]] == [
            ("worked_on", f"must not be before {opened:%d.%m.%Y}, the day the ticket was opened")], day
    german = await client.post(f"/api/v1/tickets/{ticket_id}/time", json={"minutes": 30, "worked_on": "2020-01-06"},
                               headers={**auth, "accept-language": "de"})
    assert german.status_code == 422
    assert german.json()["errors"][0]["message"] == (f"darf nicht vor dem {opened:%d.%m.%Y} liegen, dem Tag, an dem "
                                                     "das Ticket eröffnet wurde")
    assert await fetch("SELECT 1 FROM time_entry WHERE ticket_id = {}", ticket_id) == []
    booked = await client.post(f"/api/v1/tickets/{ticket_id}/time",
                               json={"minutes": 30, "worked_on": opened.isoformat()}, headers=auth)
    assert booked.status_code == 201 and booked.json()["worked_on"] == opened.isoformat()


async def test_attachments_are_checked_by_their_bytes(client: httpx.AsyncClient, world: World, data_dir) -> None:  # type: ignore[no-untyped-def]
    ticket_id = world.by_school["ticket"]["kib"]
    auth = world.auth("school_contact")
    pdf = b"%PDF-1.4\n" + b"0" * 2000
    ok = await client.post(f"/api/v1/tickets/{ticket_id}/attachments", files={"file": ("Lieferschein.pdf", pdf)},
                           headers=auth)
    assert ok.status_code == 201 and ok.json()["content_type"] == "application/pdf"
    fake = await client.post(f"/api/v1/tickets/{ticket_id}/attachments",
                             files={"file": ("bild.png", b"<script>alert(1)</script>", "image/png")}, headers=auth)
    assert fake.status_code == 422
    download = await client.get(f"/api/v1/tickets/attachments/{ok.json()['id']}", headers=auth)
    assert download.content == pdf and download.headers["content-type"] == "application/pdf"
    assert list((data_dir / "attachments").rglob("*"))
    foreign = await client.get(f"/api/v1/tickets/attachments/{ok.json()['id']}",
                               headers=world.auth("ludwigsburg_authority"))
    assert foreign.status_code == 404
    big = await client.post(f"/api/v1/tickets/{ticket_id}/attachments",
                            files={"file": ("gross.png", PNG + b"0" * (10 * 1024 * 1024))}, headers=auth)
    assert big.status_code in (413, 422)


async def test_time_reports_and_cost_split(client: httpx.AsyncClient, world: World) -> None:
    auth = world.auth("verbund_supporter")
    for school, minutes in (("kib", 90), ("rok", 30), ("kus", 120)):
        response = await client.post(f"/api/v1/tickets/{world.by_school['ticket'][school]}/time",
                                     json={"minutes": minutes}, headers=auth)
        assert response.status_code == 201
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    split = await client.get(f"/api/v1/tickets/reports/cost-split.csv?month={month}", headers=auth)
    assert split.status_code == 200 and split.headers["content-type"].startswith("text/csv")
    lines = split.text.lstrip("\ufeff").splitlines()
    rows = {line.split(";")[2]: line.split(";") for line in lines[1:]}
    assert rows["Donnersbergkreis"][3:] == ["yes", "120", "2.00", "50.0"]
    assert rows["Landkreis Kusel"][3:] == ["no", "120", "2.00", "50.0"]
    assert rows["Landkreis Kaiserslautern"][3:] == ["no", "0", "0.00", "0.0"]
    assert rows["TOTAL"][3:] == ["Donnersbergkreis", "240", "4.00", "100.0"]
    monthly = await client.get(f"/api/v1/tickets/reports/time.csv?month={month}",
                               headers=world.auth("donnersberg_authority"))
    assert monthly.status_code == 200
    assert "Kusel" not in monthly.text and "Donnersbergkreis;TOTAL;;;;120;2.00" in monthly.text
    assert (await client.get("/api/v1/tickets/reports/time.csv?month=2026-13", headers=auth)).status_code == 422
    assert (await client.get("/api/v1/tickets/reports/time.csv", headers=world.auth("school_contact"))
            ).status_code == 403


async def test_outage_tickets_from_probes(world: World) -> None:
    school = world.schools["kib"]
    ap = (await AccessPoint.insert(AccessPoint(county_id=school["county_id"], school_id=school["id"],
                                               serial="AP-KIB-0001", name="AP Aula")).returning(AccessPoint.id))[0]
    from schoolit.accounts.tokens import scope_for_token

    probe = await scope_for_token(world.tokens["probe"])
    assert probe is not None
    first = await outages.open_or_get_outage_ticket(probe, school_id=school["id"], asset_kind="access_point",
                                                     asset_id=ap["id"], category="WLAN/Netzwerk",
                                                     summary="AP Aula antwortet nicht")
    again = await outages.open_or_get_outage_ticket(probe, school_id=school["id"], asset_kind="access_point",
                                                     asset_id=ap["id"], category="WLAN/Netzwerk",
                                                     summary="AP Aula antwortet nicht")
    assert first["id"] == again["id"] and first["source"] == "probe" and first["access_point_id"] == ap["id"]
    resolved = await outages.resolve_outage_ticket(probe, first["id"], "AP Aula antwortet wieder.")
    assert resolved["status"] == "resolved"
    # A new outage opens a new ticket; once a person has worked on it, the probe only comments.
    second = await outages.open_or_get_outage_ticket(probe, school_id=school["id"], asset_kind="access_point",
                                                      asset_id=ap["id"], category="WLAN/Netzwerk",
                                                      summary="AP Aula antwortet nicht")
    assert second["id"] != first["id"]
    await services.add_comment(await _scope(world, "verbund_supporter"), second["id"], "Bin unterwegs.")
    kept = await outages.resolve_outage_ticket(probe, second["id"], "AP Aula antwortet wieder.")
    assert kept["status"] == "new"


async def test_close_resolved_after_the_policy_period(world: World) -> None:
    supporter = await _scope(world, "verbund_supporter")
    ticket_id = world.by_school["ticket"]["kus"]
    await services.change_status(supporter, ticket_id, "resolved")
    system = Scope.system("maintenance")
    assert await services.close_resolved(system) == 0
    await fetch("UPDATE ticket SET resolved_at = now() - interval '8 days' WHERE id = {}", ticket_id)
    assert await services.close_resolved(system) == 1
    assert (await services.get_ticket(supporter, ticket_id))["status"] == "closed"
    assert await AuditEvent.exists().where(AuditEvent.action == "ticket.autoclose")


async def test_sla_breach_flag(world: World) -> None:
    ticket_id = world.by_school["ticket"]["rok"]
    await fetch("UPDATE ticket SET resolution_due_at = now() - interval '1 hour' WHERE id = {}", ticket_id)
    assert await services.flag_breaches(Scope.system("maintenance")) == 1
    ticket = await services.get_ticket(Scope.system("test"), ticket_id)
    assert ticket["sla_breached"] and ticket["sla_state"] == "breached"


async def test_sla_warning_at_80_percent_is_recorded_once_as_an_internal_event(client: httpx.AsyncClient,
                                                                               world: World) -> None:
    ticket_id = world.by_school["ticket"]["rok"]
    system = Scope.system("maintenance")
    await fetch("UPDATE ticket SET resolution_warn_at = now() + interval '1 hour' WHERE id = {}", ticket_id)
    assert await services.flag_warnings(system) == 0
    await fetch("UPDATE ticket SET resolution_warn_at = now() - interval '1 minute', "
                "resolution_due_at = now() + interval '1 hour' WHERE id = {}", ticket_id)
    assert await services.flag_warnings(system) == 1
    assert await services.flag_warnings(system) == 0  # once per ticket
    events = await fetch("SELECT kind, public FROM ticket_event WHERE ticket_id = {} AND kind = 'sla_warning'",
                         ticket_id)
    assert events == [{"kind": "sla_warning", "public": False}]
    ticket = await services.get_ticket(Scope.system("test"), ticket_id)
    assert not ticket["sla_breached"] and ticket["sla_state"] == "warning"
    # The ticket page names it in the timeline (its label holds a percent sign the template must not read as
    # a conversion: the page answered 500 once).
    await login(client, world.users["verbund_supporter"]["email"])
    page = await client.get(f"/tickets/{ticket_id}")
    assert page.status_code == 200 and "80 % der Lösungszeit verbraucht" in page.text


async def test_tickets_for_the_school_page(world: World) -> None:
    school_id = world.schools["kib"]["id"]
    rows = await services.tickets_for_school(await _scope(world, "school_contact"), school_id, limit=5)
    assert [r["id"] for r in rows] == [world.by_school["ticket"]["kib"]]
    with pytest.raises(NotFound):  # a school outside the scope is not there, not merely empty
        await services.tickets_for_school(await _scope(world, "ludwigsburg_authority"), school_id)
    from schoolit.web.templating import template_config

    engine = template_config().engine_instance
    html = engine.get_template("tickets/_school_tickets.html").render(tickets=rows)
    assert rows[0]["number"] in html and "Neu" in html


async def test_school_page_loads_its_tickets_section(client: httpx.AsyncClient, world: World) -> None:
    school = world.schools["kib"]["id"]
    page = await client.get(f"/schools/{school}?section=tickets",
                            headers={**world.auth("verbund_supporter"), "accept": "text/html"})
    assert page.status_code == 200
    assert f'hx-get="/tickets/for-school/{school}"' in page.text
    section = await client.get(f"/tickets/for-school/{school}", headers=world.auth("verbund_supporter"))
    assert section.status_code == 200 and "SIT-" in section.text
    foreign = await client.get(f"/tickets/for-school/{school}", headers=world.auth("ludwigsburg_authority"))
    assert foreign.status_code == 404


async def test_time_report_quotes_a_formula_subject(client: httpx.AsyncClient, world: World) -> None:
    ticket_id = world.by_school["ticket"]["kib"]
    await fetch("UPDATE ticket SET subject = {} WHERE id = {}", '=HYPERLINK("http://evil.example";"x")', ticket_id)
    auth = world.auth("verbund_supporter")
    assert (await client.post(f"/api/v1/tickets/{ticket_id}/time", json={"minutes": 30}, headers=auth)).status_code \
        == 201
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    report = await client.get(f"/api/v1/tickets/reports/time.csv?month={month}", headers=auth)
    assert report.content.startswith("\ufeff".encode())
    assert ";\"'=HYPERLINK(\"\"http://evil.example\"\";\"\"x\"\")\";" in report.text
