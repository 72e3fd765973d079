"""The dashboards' "past their SLA" figures and the ticket queue's "Overdue or due soon" view count by one rule,
worked out live from the due times (schoolit.tickets.overdue): a ticket whose resolution was due an hour ago
counts before the scheduled job (sla-breaches) has flagged it, and a waiting one does not (its clock is paused).
"""

from __future__ import annotations

import datetime as dt

import httpx

from schoolit.accounts.scope import Scope
from schoolit.sql import fetch
from schoolit.tickets import overdue, services
from tests.integration.dashboards.edges import row
from tests.integration.world import World

HOUR = dt.timedelta(hours=1)


async def _due_passed(ticket_id: int, status: str, moment: dt.datetime) -> None:
    """The ticket answered, its resolution due an hour before `moment`; no job has looked at it."""
    await fetch("UPDATE ticket SET status = {}, first_response_at = {}, resolution_warn_at = {}, "
                "resolution_due_at = {} WHERE id = {}", status, moment - 3 * HOUR, moment - 2 * HOUR, moment - HOUR,
                ticket_id)


async def _flagged() -> int:
    return int((await fetch("SELECT count(*)::int AS n FROM ticket WHERE sla_breached"))[0]["n"])


async def test_a_missed_due_time_counts_at_once_and_as_the_queue_counts_it(client: httpx.AsyncClient,
                                                                          world: World) -> None:
    moment = services.now()
    late, waiting = world.by_school["ticket"]["kib"], world.by_school["ticket"]["rok"]  # both in Donnersbergkreis
    await _due_passed(late, "in_progress", moment)
    await _due_passed(waiting, "waiting", moment)
    assert await _flagged() == 0  # the scheduler is off: nothing stored says "breached"

    authority = world.auth("donnersberg_authority")
    queue = await client.get("/api/v1/tickets", headers=authority,
                             params={"view": "breaching", "county_id": world.counties["donnersbergkreis"]})
    assert queue.status_code == 200, queue.text
    assert [t["id"] for t in queue.json()["items"]] == [late]
    county = (await client.get("/api/v1/dashboards/counties/donnersbergkreis", headers=authority)).json()
    assert county["totals"]["tickets_breaching"] == queue.json()["total"] == 1
    assert (row(county, "41001")["tickets_breaching"], row(county, "41002")["tickets_breaching"]) == (1, 0)
    page = await client.get("/dashboards/counties/donnersbergkreis", headers=authority)
    assert page.status_code == 200 and "1 über SLA" in page.text and "0 über SLA" in page.text  # total, IGS

    # The arrangement's dashboard shows the same figure for the county.
    supporter = world.auth("verbund_supporter")
    arrangement = await client.get(f"/api/v1/dashboards/arrangements/{world.arrangement_id}", headers=supporter)
    assert arrangement.status_code == 200, arrangement.text
    by_county = {c["county_slug"]: c["totals"]["tickets_breaching"] for c in arrangement.json()["counties"]}
    assert by_county == {"donnersbergkreis": 1, "kaiserslautern": 0, "kusel": 0}

    # When the job runs, it flags that ticket and no other, and the figures stay as they were.
    assert await services.flag_breaches(Scope.system("test"), moment) == 1
    assert await _flagged() == 1
    again = (await client.get("/api/v1/dashboards/counties/donnersbergkreis", headers=authority)).json()
    assert again["totals"]["tickets_breaching"] == 1


async def test_a_waiting_ticket_past_its_due_time_shows_its_clock_paused_not_missed(client: httpx.AsyncClient,
                                                                                    world: World) -> None:
    """A waiting ticket does not count as overdue, so no page calls it so: the queue (table and phone cards are
    one markup), its CSV, the ticket page and the API show its due time paused; a running one beside it missed."""
    moment = services.now()
    late, waiting = world.by_school["ticket"]["kib"], world.by_school["ticket"]["rok"]
    await _due_passed(late, "in_progress", moment)
    await _due_passed(waiting, "waiting", moment)
    await fetch("UPDATE ticket SET sla_breached = true WHERE id = {}", waiting)  # flagged while it still ran
    supporter = world.auth("verbund_supporter")
    numbers = {t["id"]: t["number"] for t in await fetch("SELECT id, number FROM ticket WHERE id = ANY({})",
                                                         [late, waiting])}

    api = (await client.get(f"/api/v1/tickets/{waiting}", headers=supporter)).json()
    assert api["sla_state"] == "paused"
    queue = await client.get("/tickets/", headers=supporter, params={"q": numbers[waiting]})
    assert queue.status_code == 200
    assert "Frist pausiert" in queue.text and 'class="sla-paused"' in queue.text
    assert "überschritten" not in queue.text and "bald ab" not in queue.text
    running = await client.get("/tickets/", headers=supporter, params={"q": numbers[late]})
    assert "Lösungsfrist überschritten" in running.text and "Frist pausiert" not in running.text
    csv = await client.get("/tickets/", headers=supporter, params={"q": numbers[waiting], "format": "csv"})
    assert csv.status_code == 200 and "(Frist pausiert)" in csv.text and "überschritten" not in csv.text
    page = await client.get(f"/tickets/{waiting}", headers=supporter)
    assert page.status_code == 200
    assert "Frist pausiert" in page.text and "überschritten" not in page.text and "bald ab" not in page.text


async def test_the_badge_and_the_figures_follow_one_rule(world: World) -> None:
    """For tickets in every status, answered or not, flagged or not, due times passed, close or far: a ticket's
    deadline state (`overdue.state_of`, what the badge shows) is "breached" exactly when the figures count it
    past its SLA, and "breached" or "warning" exactly when the "Overdue or due soon" view lists it."""
    moment = services.now()
    ids = list(world.by_school["ticket"].values())
    cases = [(status, answered, flagged, due, warn)
             for status in ("new", "assigned", "in_progress", "waiting", "resolved", "closed")
             for answered in (True, False) for flagged in (False, True)
             for due, warn in ((-HOUR, -2 * HOUR), (2 * HOUR, -HOUR), (3 * HOUR, 2 * HOUR))]
    seen = set()
    for index, (status, answered, flagged, due, warn) in enumerate(cases):
        ticket = ids[index % len(ids)]
        await fetch("UPDATE ticket SET status = {}, sla_breached = {}, first_response_at = {}, response_due_at = {}, "
                    "resolution_due_at = {}, resolution_warn_at = {}, resolved_at = {}, closed_at = {} WHERE id = {}",
                    status, flagged, moment - 4 * HOUR if answered else None, moment - 30 * dt.timedelta(minutes=1),
                    moment + due, moment + warn, moment - 3 * HOUR if status in ("resolved", "closed") else None,
                    moment - 3 * HOUR if status == "closed" else None, ticket)
        counted = (await fetch("SELECT {} AS past, {} AS soon FROM ticket t WHERE t.id = {}",
                               overdue.past_sla(moment), overdue.due_soon(moment), ticket))[0]
        state = (await services.get_ticket(Scope.system("test"), ticket))["sla_state"]
        shown = services.with_sla_state((await services.ticket_row(ticket)) or {}, moment)["sla_state"]
        seen.add(shown)
        case = (status, answered, flagged, due, warn, shown)
        assert state == shown, case
        if status in ("resolved", "closed"):
            continue  # done: no figure counts it; its badge tells whether it was done in time
        assert (shown == "breached") == counted["past"], case
        assert (shown in ("breached", "warning")) == counted["soon"], case
    assert seen == {"ok", "warning", "breached", "paused"}
