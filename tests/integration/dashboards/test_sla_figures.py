"""The dashboards' "past their SLA" figures and the ticket queue's "Overdue or due soon" view count by one rule,
worked out live from the due times (schoolit.tickets.overdue): a ticket whose resolution was due an hour ago
counts before the scheduled job (sla-breaches) has flagged it, and a waiting one does not (its clock is paused).
"""

from __future__ import annotations

import datetime as dt

import httpx

from schoolit.accounts.scope import Scope
from schoolit.sql import fetch
from schoolit.tickets import services
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
