"""The same visibility in the API and the pages, derived from the event kinds: what `INTERNAL_KINDS`
names (internal notes, booked time, assignment, priority, SLA warnings) the team sees, school
contacts and reporters never — in the timeline, the time entries, the ticket page and the tracking
page."""

from __future__ import annotations

import re

import httpx

from schoolit.accounts.scope import Scope
from schoolit.sql import fetch
from schoolit.tickets import public as public_form
from schoolit.tickets import services, text_modules, worktime
from schoolit.tickets.choices import INTERNAL_KINDS, PUBLIC_KINDS, EventKind
from tests.integration.accounts.test_login import login
from tests.integration.world import World


async def _every_kind(world: World) -> int:
    """The kib ticket with one event of every kind, each body naming its kind; internal kinds are
    recorded once as public too, so only the kind decides."""
    ticket_id = world.by_school["ticket"]["kib"]
    system = Scope.system("test")
    ticket = await services.get_ticket(system, ticket_id)
    for kind in EventKind:
        for public in (True, False) if kind in INTERNAL_KINDS else (True,):
            await services.add_event(system, ticket, kind, public=public, body=f"geheim-{kind.value}"
                                     if kind in INTERNAL_KINDS else f"offen-{kind.value}")
    await worktime.log_time(await _supporter(world), ticket_id, 30, note="geheim-zeitnotiz")
    return ticket_id


async def _supporter(world: World) -> Scope:
    from schoolit.accounts.tokens import scope_for_token

    scope = await scope_for_token(world.tokens["verbund_supporter"])
    assert scope is not None
    return scope


async def test_api_timeline_and_time_entries(client: httpx.AsyncClient, world: World) -> None:
    ticket_id = await _every_kind(world)
    school = await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=world.auth("school_contact"))
    team = await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=world.auth("verbund_supporter"))
    assert school.status_code == team.status_code == 200
    assert {e["kind"] for e in school.json()} == {k.value for k in EventKind} - {k.value for k in INTERNAL_KINDS}
    assert {e["kind"] for e in team.json()} == {k.value for k in EventKind}
    assert "geheim" not in school.text
    for actor in ("school_contact",):
        times = await client.get(f"/api/v1/tickets/{ticket_id}/time", headers=world.auth(actor))
        assert times.status_code == 200 and times.json() == []
    for actor in ("verbund_supporter", "donnersberg_authority", "admin"):
        times = await client.get(f"/api/v1/tickets/{ticket_id}/time", headers=world.auth(actor))
        assert [t["note"] for t in times.json()] == ["geheim-zeitnotiz"], actor


async def test_pages_and_tracking_page(client: httpx.AsyncClient, world: World) -> None:
    ticket_id = await _every_kind(world)
    tracking = await client.get(f"/track/{world.tracking_tokens['kib']}")  # type: ignore[attr-defined]
    assert tracking.status_code == 200 and "geheim" not in tracking.text
    for kind in PUBLIC_KINDS:
        assert f"offen-{kind.value}" in tracking.text or kind == EventKind.CREATED
    await login(client, "it@kib.test.example")
    page = await client.get(f"/tickets/{ticket_id}")
    assert page.status_code == 200 and "geheim" not in page.text and "offen-comment" in page.text

    # The team's own page shows what it recorded (real actions: a note, booked time, a comment).
    other = world.by_school["ticket"]["rok"]
    supporter = await _supporter(world)
    await services.add_comment(supporter, other, "geheim-notiz", public=False)
    await worktime.log_time(supporter, other, 15, note="geheim-zeit")
    await services.add_comment(supporter, other, "offen-antwort")
    await login(client, "support@verbund.test.example")
    team_page = await client.get(f"/tickets/{other}")
    assert team_page.status_code == 200 and "geheim-notiz" in team_page.text and "geheim-zeit" in team_page.text
    await login(client, "it@kib.test.example")  # kib's contact does not see rok's ticket at all
    assert (await client.get(f"/tickets/{other}")).status_code == 404


async def test_the_history_names_people_never_their_addresses(client: httpx.AsyncClient, world: World) -> None:
    """The timeline names a person by their display name and the reporter by the name they gave ("meldende
    Person" without one), on the ticket page of every role and in the API; the public tracking page names no
    supporter at all, and a text module's {bearbeiter} is the supporter's name, not their address."""
    ticket_id = world.by_school["ticket"]["kib"]
    await client.get("/report")  # the reporter answers on the tracking page, from their address
    tracking_path = f"/track/{world.tracking_tokens['kib']}"  # type: ignore[attr-defined]
    token = re.search(r'name="_csrf_token" value="([^"]+)"', (await client.get(tracking_path)).text)
    assert token
    assert (await client.post(tracking_path, data={"body": "Geht wieder nicht.", "_csrf_token": token.group(1)})
            ).status_code == 303
    supporter = await _supporter(world)
    await services.add_comment(supporter, ticket_id, "Wir schauen es uns an.")
    await worktime.log_time(supporter, ticket_id, 10, note="Fernwartung")
    await services.change_status(supporter, ticket_id, "in_progress", comment="Bin dran")
    addresses = ("support@verbund.test.example", "lehrkraft-kib@schule.example", "it@kib.test.example")

    for email in ("support@verbund.test.example", "st@dbk.test.example", "admin@test.example", "it@kib.test.example"):
        await login(client, email)
        page = await client.get(f"/tickets/{ticket_id}")
        timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page.text, re.S)
        assert page.status_code == 200 and timeline, email
        authors = re.findall(r'<span class="muted">[^·<]+ · ([^·<]+) ·', timeline.group(1))
        assert authors and not any("@" in author for author in authors), (email, authors)
        # the world's ticket was opened by the system ("test"); the reply is the reporter's, who gave no name
        assert authors[0] == "test" and "meldende Person" in authors, (email, authors)
        assert "Verbund Supporter" in authors, (email, authors)
        # the authority reads along: no comment or file forms it would be refused at (tickets.report)
        reads_only = email == "st@dbk.test.example"
        assert ('data-testid="comment-form"' in page.text) is not reads_only, email
        assert ('data-testid="upload-form"' in page.text) is not reads_only, email
    events = (await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=world.auth_only("admin"))).json()
    assert {e["actor_name"] for e in events} == {"meldende Person", "Verbund Supporter", "test"}
    await fetch("UPDATE ticket SET reporter_name = 'Frau Müller' WHERE id = {}", ticket_id)
    named = (await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=world.auth_only("admin"))).json()
    assert [e["actor_name"] for e in named if e["kind"] == "reply"] == ["Frau Müller"]

    tracking = await client.get(tracking_path)
    assert "Bin dran" in tracking.text and "Wir schauen es uns an." in tracking.text
    assert not any(address in tracking.text for address in addresses) and "Verbund Supporter" not in tracking.text
    assert "@" not in re.sub(r"<(script|link|meta)[^>]*>", "", tracking.text.split("<main", 1)[1])

    await text_modules.save_module(supporter, title="Gruß", body="Viele Grüße, {bearbeiter}")
    await login(client, "support@verbund.test.example")
    page = await client.get(f"/tickets/{ticket_id}")
    assert 'data-text="Viele Grüße, Verbund Supporter"' in page.text


async def test_the_api_names_who_acted_never_by_address(client: httpx.AsyncClient, world: World) -> None:
    """The API's events carry `actor_name` as the pages show it and no recorded label: no reader — school
    contact, authority, supporter or admin — gets a staff member's or the reporter's e-mail address there."""
    ticket_id = world.by_school["ticket"]["kib"]
    supporter = await _supporter(world)
    await services.add_comment(supporter, ticket_id, "Wir schauen es uns an.")
    ticket = await services.get_ticket(supporter, ticket_id)
    reporter = public_form.anonymous("lehrkraft-kib@schule.example", ticket["county_id"], ticket["school_id"])
    await services.add_event(reporter, ticket, EventKind.REPLY, public=True, body="Geht wieder nicht.")
    await services.change_status(supporter, ticket_id, "in_progress", comment="Bin dran")
    addresses = ("support@verbund.test.example", "lehrkraft-kib@schule.example")
    for actor in ("school_contact", "donnersberg_authority", "verbund_supporter", "admin"):
        answer = await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=world.auth(actor))
        assert answer.status_code == 200, actor
        assert all("actor_label" not in event for event in answer.json()), actor
        assert not any(address in answer.text for address in addresses), actor
        assert "Verbund Supporter" in {event["actor_name"] for event in answer.json()}, actor


async def test_the_system_and_probes_are_named_in_the_readers_language(client: httpx.AsyncClient,
                                                                        world: World) -> None:
    """What acted without a person — the system's jobs, a probe — is named from the catalogs: German on the
    page and to an API client that asks for no language, English to one that asks for English; a label the
    catalogs do not know is shown as recorded."""
    ticket_id = world.by_school["ticket"]["kib"]
    ticket = await services.get_ticket(Scope.system("test"), ticket_id)
    await services.add_event(Scope.system("maintenance"), ticket, EventKind.STATUS, public=True,
                             data={"from": "resolved", "to": "closed"})
    await services.add_event(Scope.system("probe-silence"), ticket, EventKind.COMMENT, public=True, body="still")
    await fetch("INSERT INTO ticket_event (ticket_id, county_id, kind, public, actor_label, body) "
                "VALUES ({}, {}, 'comment', true, 'probe:pi-kib-1', 'offline')",
                ticket_id, ticket["county_id"])

    def names(events: list[dict[str, object]]) -> list[object]:
        return [event["actor_name"] for event in events]

    german = (await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=world.auth_only("admin"))).json()
    assert names(german)[0] == "test"
    assert names(german)[-3:] == ["System (automatisch)", "System (Sondenüberwachung)",
                                  "Sonde pi-kib-1"]
    english = (await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=world.auth("admin"))).json()
    assert names(english)[-3:] == ["system (automatic)", "system (probe monitoring)",
                                   "probe pi-kib-1"]
    await login(client, "support@verbund.test.example")
    page = await client.get(f"/tickets/{ticket_id}")
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page.text, re.S)
    assert page.status_code == 200 and timeline
    authors = re.findall(r'<span class="muted">[^·<]+ · ([^·<]+) ·', timeline.group(1))
    assert authors[-3:] == ["System (automatisch)", "System (Sondenüberwachung)", "Sonde pi-kib-1"]
    assert "maintenance" not in timeline.group(1) and "probe:" not in timeline.group(1)
