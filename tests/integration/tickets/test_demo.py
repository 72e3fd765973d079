"""The demo tickets: open and closed across the arrangement's counties, with time entries; seeding
twice changes nothing."""

from __future__ import annotations

from schoolit.accounts.scope import Scope
from schoolit.demo import seed_demo
from schoolit.sql import fetch
from schoolit.tickets import policy, services
from schoolit.tickets.demo import CALENDAR


async def test_demo_tickets_are_plausible_and_idempotent() -> None:
    report = await seed_demo("x" * 48)
    rows = await fetch("SELECT c.slug, t.status FROM ticket t JOIN county c ON c.id = t.county_id")
    assert len(rows) == report.tickets >= 24
    assert {r["slug"] for r in rows} >= {"donnersbergkreis", "kaiserslautern", "kusel"}
    statuses = {r["status"] for r in rows}
    assert {"new", "in_progress", "waiting", "resolved", "closed"} <= statuses
    minutes = await fetch("SELECT sum(minutes)::int AS m FROM time_entry")
    assert minutes[0]["m"] > 0
    assert (await fetch("SELECT count(*) AS n FROM ticket_event WHERE kind = 'comment'"))[0]["n"] > 0
    # The deadline jobs ran: timelines hold warnings, breaches are flagged, and one ticket is due soon.
    assert (await fetch("SELECT count(*) AS n FROM ticket_event WHERE kind = 'sla_warning'"))[0]["n"] > 0
    assert (await fetch("SELECT count(*) AS n FROM ticket WHERE sla_breached"))[0]["n"] > 0
    system = Scope.system("test")
    states = [(await services.get_ticket(system, r["id"]))["sla_state"] for r in await fetch("SELECT id FROM ticket")]
    assert {"warning", "breached", "ok"} <= set(states), states
    holidays = (await policy.load_calendar((await fetch(
        "SELECT id FROM business_calendar WHERE name = {}", CALENDAR))[0]["id"])).holidays
    assert len(holidays) == 22
    again = await seed_demo("x" * 48)
    assert again == report
    assert len(await fetch("SELECT id FROM ticket")) == len(rows)
    assert (await fetch("SELECT count(*) AS n FROM outbox_mail WHERE sent_at IS NULL"))[0]["n"] == 0
