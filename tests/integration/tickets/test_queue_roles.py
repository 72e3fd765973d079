"""The ticket list each role gets (schoolit/tickets/queue.py `QUEUES`): supporters and admins the queue they
work (their own, the unassigned), the school authority the same without those two (nobody assigns it a
ticket), a school contact their school's tickets with those they reported — a ticket they reported through
the fault form while signed in included. A view a role is not offered is refused in German, by the page and
the API alike."""

from __future__ import annotations

import re

import httpx

from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.tickets.test_public import report
from tests.integration.world import World

NOT_OFFERED = "diese Ansicht gibt es für Ihre Rolle nicht"


def view_links(page: str) -> list[str]:
    """The labels of the list's views, in the order offered."""
    nav = re.search(r'<nav class="views"[^>]*>(.*?)</nav>', page, re.S)
    assert nav, page[:500]
    return [label.strip() for label in re.findall(r'<a href="/tickets\?view=[a-z]+"[^>]*>([^<]+)</a>', nav.group(1))]


async def test_a_school_contact_follows_their_schools_tickets_and_their_own(client: httpx.AsyncClient,
                                                                            world: World) -> None:
    await login(client, "it@kib.test.example")
    page = await client.get("/tickets")
    assert page.status_code == 200
    assert "<h1>Tickets unserer Schule</h1>" in page.text and "Ticket-Warteschlange" not in page.text
    assert view_links(page.text) == ["Offen", "Von mir gemeldet", "Alle, auch geschlossene"]
    # Nothing of the supporters' queue: no county filter, no saved views, no claiming or bulk actions.
    for absent in ('name="county_id"', 'data-testid="save-view"', 'data-testid="claim-next"',
                   'data-testid="bulk-form"', "Landkreis"):
        assert absent not in page.text, absent
    assert "WLAN Raum 1.1 fällt aus" in page.text  # the school's open ticket (reported by someone else)

    # Reported through the fault form while signed in: theirs, though the form acts anonymously.
    reported = await report(client, description="Der Drucker im Lehrerzimmer druckt nicht.")
    assert reported.status_code == 201, reported.text
    own = (await fetch("SELECT id, reporter_user_id FROM ticket WHERE source = 'web_form'"))[0]
    assert own["reporter_user_id"] == world.users["school_contact"]["id"]
    mine = await client.get("/tickets?view=reported")
    assert mine.status_code == 200 and 'aria-current="page">Von mir gemeldet<' in mine.text
    assert "Der Drucker im Lehrerzimmer druckt nicht." in mine.text and "WLAN Raum 1.1" not in mine.text
    api = await client.get("/api/v1/tickets?view=reported", headers=world.auth_only("school_contact"))
    assert [t["id"] for t in api.json()["items"]] == [own["id"]]

    for view in ("mine", "unassigned", "county", "breaching"):
        refused = await client.get(f"/tickets?view={view}")
        assert refused.status_code == 422 and NOT_OFFERED in refused.text, view
        api = await client.get(f"/api/v1/tickets?view={view}", headers=world.auth_only("school_contact"))
        assert api.status_code == 422, view
        assert {"field": "view", "label": "Ansicht", "message": NOT_OFFERED}.items() <= api.json()["errors"][0].items()
    saved = await client.post("/tickets/views", data={"view": "open", "name": "Meine Sicht",
                                                      "_csrf_token": await csrf_token(client, "/tickets")})
    assert saved.status_code == 403
    assert await fetch("SELECT id FROM saved_view") == []


async def test_the_authority_oversees_the_queue_without_an_own_or_unassigned_view(client: httpx.AsyncClient,
                                                                                  world: World) -> None:
    await login(client, "st@dbk.test.example")
    page = await client.get("/tickets")
    assert page.status_code == 200 and "<h1>Ticket-Warteschlange</h1>" in page.text
    # One county in its scope: no county to choose between, so no county filter and no grouping by county
    # (the API still takes both, and an address kept from before still opens the view).
    assert view_links(page.text) == ["Alle offenen", "Überfällig oder bald fällig", "Nach Schule",
                                     "Alle, auch geschlossene"]
    assert '<select name="county_id"' not in page.text and 'data-testid="save-view"' in page.text
    by_county = await client.get("/tickets?view=county")
    assert by_county.status_code == 200 and 'aria-current="page">Nach Landkreis<' in by_county.text
    # The status filter's empty choice says what the view lists without one.
    assert '<select name="status"><option value="">offen</option>' in page.text
    everything = await client.get("/tickets?view=all")
    assert '<select name="status"><option value="">alle</option>' in everything.text
    assert (await client.get(f"/api/v1/tickets?county_id={world.counties['donnersbergkreis']}",
                             headers=world.auth_only("donnersberg_authority"))).status_code == 200
    for view in ("mine", "unassigned", "reported"):
        api = await client.get(f"/api/v1/tickets?view={view}", headers=world.auth_only("donnersberg_authority"))
        assert api.status_code == 422 and NOT_OFFERED in api.text, view
    assert (await client.get("/api/v1/tickets?view=breaching",
                             headers=world.auth_only("donnersberg_authority"))).status_code == 200


async def test_supporters_keep_their_queue(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    page = await client.get("/tickets")
    assert view_links(page.text) == ["Alle offenen", "Meine", "Nicht zugewiesen", "Überfällig oder bald fällig",
                                     "Nach Landkreis", "Nach Schule", "Alle, auch geschlossene"]
    assert '<select name="county_id"' in page.text  # the arrangement's counties to choose from
    for view in ("mine", "unassigned"):
        api = await client.get(f"/api/v1/tickets?view={view}", headers=world.auth_only("verbund_supporter"))
        assert api.status_code == 200, view
    refused = await client.get("/api/v1/tickets?view=reported", headers=world.auth_only("verbund_supporter"))
    assert refused.status_code == 422 and NOT_OFFERED in refused.text
    unknown = await client.get("/api/v1/tickets?view=bogus", headers=world.auth_only("verbund_supporter"))
    assert unknown.status_code == 422 and "kein zulässiger Wert" in unknown.text
