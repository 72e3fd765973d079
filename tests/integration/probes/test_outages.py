"""Outage tickets from probe data: one per asset that stays down, one per school when nothing there
answers, resolved when everything is back unless a person has worked on it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from schoolit.probes import derivation
from schoolit.probes.agent.wire import CREDENTIALS_REJECTED
from schoolit.probes.derivation import derive_pending
from schoolit.sql import fetch
from tests.integration.probes.network import Network, build_network
from tests.integration.world import World

T0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)


@pytest.fixture
async def network(world: World) -> Network:
    # The tickets world extension already opened one ticket per school; these tests look at probe tickets.
    return await build_network(world)


async def poll_round(client: httpx.AsyncClient, world: World, minute: int, states: dict[tuple[str, int], bool],
                     *, derive: bool = True) -> None:
    samples: list[dict[str, Any]] = []
    for (kind, asset_id), up in states.items():
        sample: dict[str, Any] = {"asset_kind": kind, "asset_id": asset_id, "reachable": up,
                                  "polled_at": (T0 + dt.timedelta(minutes=minute)).isoformat()}
        if up:
            sample["uptime_ticks"] = 100_000 + minute * 6000
        samples.append(sample)
    body = {"idempotency_key": str(uuid.uuid4()), "sent_at": T0.isoformat(), "samples": samples}
    response = await client.post("/api/v1/probe/samples", json=body, headers=world.auth("probe"))
    assert response.status_code == 200, response.text
    if derive:
        await derive_pending()  # what the server's worker does right after the answer


async def probe_tickets(school_id: int) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT t.id, t.status, t.access_point_id, t.uplink_id, c.name AS category, t.subject FROM ticket t "
        "JOIN ticket_category c ON c.id = t.category_id WHERE t.school_id = {} AND t.source = 'probe' ORDER BY t.id",
        school_id)


def kib(network: Network, *, ap0: bool = True, ap1: bool = True, uplink: bool = True) -> dict[tuple[str, int], bool]:
    first, second = network.access_points["kib"]
    return {("access_point", first): ap0, ("access_point", second): ap1, ("uplink", network.uplinks["kib"]): uplink}


async def test_access_point_down_three_polls_opens_one_ticket_and_recovery_resolves(
        client: httpx.AsyncClient, world: World, network: Network) -> None:
    school = world.schools["kib"]["id"]
    await poll_round(client, world, 0, kib(network))
    for minute in (5, 10):
        await poll_round(client, world, minute, kib(network, ap1=False))
    assert await probe_tickets(school) == []  # two failures are not an outage yet
    for minute in (15, 20, 25):
        await poll_round(client, world, minute, kib(network, ap1=False))
    tickets = await probe_tickets(school)
    assert len(tickets) == 1  # the fourth and fifth failure open nothing new
    assert tickets[0]["access_point_id"] == network.access_points["kib"][1]
    assert tickets[0]["category"] == "WLAN/Netzwerk" and tickets[0]["status"] == "new"
    assert "antwortet nicht" in tickets[0]["subject"]
    await poll_round(client, world, 30, kib(network))
    resolved = await probe_tickets(school)
    assert resolved[0]["status"] == "resolved"
    comments = await fetch("SELECT body, public FROM ticket_event WHERE ticket_id = {} AND kind = 'comment'",
                           resolved[0]["id"])
    assert any(c["public"] and "antworten wieder" in c["body"] for c in comments)
    state = await fetch("SELECT outage_ticket_id FROM probe_asset_state WHERE asset_kind = 1 AND asset_id = {}",
                        network.access_points["kib"][1])
    assert state[0]["outage_ticket_id"] is None


async def test_whole_school_down_is_one_ticket_on_the_uplink(client: httpx.AsyncClient, world: World,
                                                            network: Network) -> None:
    school = world.schools["kib"]["id"]
    await poll_round(client, world, 0, kib(network))
    for minute in (5, 10, 15, 20):
        await poll_round(client, world, minute, kib(network, ap0=False, ap1=False, uplink=False))
    tickets = await probe_tickets(school)
    assert len(tickets) == 1
    assert tickets[0]["uplink_id"] == network.uplinks["kib"] and tickets[0]["category"] == "Internet/Anschluss"
    assert "Schule nicht erreichbar" in tickets[0]["subject"]
    states = await fetch("SELECT DISTINCT outage_ticket_id FROM probe_asset_state WHERE school_id = {}", school)
    assert states == [{"outage_ticket_id": tickets[0]["id"]}]
    await poll_round(client, world, 25, kib(network, ap1=False))  # the uplink and one AP are back
    assert (await probe_tickets(school))[0]["status"] == "new"  # not everything answers yet
    await poll_round(client, world, 30, kib(network))
    assert (await probe_tickets(school))[0]["status"] == "resolved"


async def test_a_ticket_a_person_worked_on_stays_open(client: httpx.AsyncClient, world: World,
                                                     network: Network) -> None:
    school = world.schools["kib"]["id"]
    await poll_round(client, world, 0, kib(network))
    for minute in (5, 10, 15):
        await poll_round(client, world, minute, kib(network, uplink=False))
    ticket = (await probe_tickets(school))[0]
    claimed = await client.post(f"/api/v1/tickets/{ticket['id']}/comments", headers=world.auth("verbund_supporter"),
                                json={"body": "Telekom ist informiert.", "public": True})
    assert claimed.status_code in (200, 201), claimed.text
    await poll_round(client, world, 20, kib(network))
    after = (await probe_tickets(school))[0]
    assert after["status"] != "resolved"
    bodies = [e["body"] for e in await fetch("SELECT body FROM ticket_event WHERE ticket_id = {} AND kind = 'comment'",
                                              ticket["id"])]
    assert any("antworten wieder" in b for b in bodies)  # still told, just not closed behind the person's back


async def test_batches_derived_together_open_one_ticket_and_a_past_outage_none(
        client: httpx.AsyncClient, world: World, network: Network) -> None:
    """The worker may take many batches in one pass: the state after the pass decides."""
    school = world.schools["kib"]["id"]
    await poll_round(client, world, 0, kib(network), derive=False)
    for minute in (5, 10, 15, 20):
        await poll_round(client, world, minute, kib(network, ap1=False), derive=False)
    assert await probe_tickets(school) == []  # stored, not derived yet
    assert (await derive_pending()).batches == 5
    tickets = await probe_tickets(school)
    assert len(tickets) == 1 and tickets[0]["access_point_id"] == network.access_points["kib"][1]
    # An outage of the other access point that began and ended within one pass (a replayed backlog)
    # is history by the time it is derived: it opens nothing.
    for minute in (25, 30, 35):
        await poll_round(client, world, minute, kib(network, ap0=False), derive=False)
    await poll_round(client, world, 40, kib(network), derive=False)
    await derive_pending()
    after = await probe_tickets(school)
    assert [t["id"] for t in after] == [tickets[0]["id"]] and after[0]["status"] == "resolved"


async def test_a_backlog_in_many_passes_is_checked_for_outages_after_the_last(
        client: httpx.AsyncClient, world: World, network: Network, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outages are looked for once the backlog is derived (each pass here takes one batch): an outage that
    ended within the backlog opens nothing, one that lasts opens its ticket. While a backlog lasts longer than
    `OUTAGE_CHECK_SECONDS`, the schools of its passes are checked on the way."""
    school = world.schools["kib"]["id"]
    one_batch = 3  # samples of a poll round: every pass takes one batch
    await poll_round(client, world, 0, kib(network), derive=False)
    for minute in (5, 10, 15, 20):
        await poll_round(client, world, minute, kib(network, ap1=False), derive=False)
    await poll_round(client, world, 25, kib(network), derive=False)
    derived = await derive_pending(limit=one_batch)
    assert derived.batches == 6 and derived.uplink_passes == 6  # six passes
    assert await probe_tickets(school) == []

    for minute in (30, 35, 40):
        await poll_round(client, world, minute, kib(network, ap1=False), derive=False)
    await derive_pending(limit=one_batch)
    (ticket,) = await probe_tickets(school)
    assert ticket["access_point_id"] == network.access_points["kib"][1] and ticket["status"] == "new"

    # Checked after every pass (the backlog outlasts the interval): the first access point's outage opens its
    # ticket on the way, and the pass that sees it answer again resolves it.
    monkeypatch.setattr(derivation, "OUTAGE_CHECK_SECONDS", 0)
    for minute in (45, 50, 55):
        await poll_round(client, world, minute, kib(network, ap0=False, ap1=False), derive=False)
    await poll_round(client, world, 60, kib(network, ap1=False), derive=False)
    await derive_pending(limit=one_batch)
    first, second = await probe_tickets(school)
    assert first["id"] == ticket["id"] and first["status"] == "new"
    assert second["access_point_id"] == network.access_points["kib"][0] and second["status"] == "resolved"


async def test_devices_failing_in_three_passes_end_with_one_school_level_ticket(
        client: httpx.AsyncClient, world: World, network: Network) -> None:
    """One access point, then the other, then the uplink, each in passes of its own: the first
    access point's ticket becomes the school's (subject, category, uplink, priority, a public event),
    the second's is folded into it, and recovery resolves it with a public comment."""
    school = world.schools["kib"]["id"]
    await poll_round(client, world, 0, kib(network))
    for minute in (5, 10, 15):
        await poll_round(client, world, minute, kib(network, ap0=False))
    for minute in (20, 25, 30):
        await poll_round(client, world, minute, kib(network, ap0=False, ap1=False))
    first, second = await probe_tickets(school)
    assert first["access_point_id"] == network.access_points["kib"][0]
    assert second["access_point_id"] == network.access_points["kib"][1]
    before = (await fetch("SELECT priority FROM ticket WHERE id = {}", first["id"]))[0]["priority"]
    for minute in (35, 40, 45):
        await poll_round(client, world, minute, kib(network, ap0=False, ap1=False, uplink=False))

    tickets = await probe_tickets(school)
    assert [t["id"] for t in tickets] == [first["id"], second["id"]]  # nothing new opened
    school_ticket, folded = tickets
    assert school_ticket["status"] == "new" and folded["status"] == "resolved"
    assert "Schule nicht erreichbar" in school_ticket["subject"] and school_ticket["category"] == "Internet/Anschluss"
    assert school_ticket["uplink_id"] == network.uplinks["kib"] and school_ticket["access_point_id"] is None
    after = (await fetch("SELECT priority, impact FROM ticket WHERE id = {}", school_ticket["id"]))[0]
    assert after["priority"] < before and after["impact"] == "high"
    events = await fetch("SELECT kind, public, body FROM ticket_event WHERE ticket_id = {} ORDER BY id",
                         school_ticket["id"])
    assert any(e["public"] and e["body"].startswith("Schule offline") for e in events)
    assert any(e["kind"] == "priority" for e in events)
    number = (await fetch("SELECT number FROM ticket WHERE id = {}", school_ticket["id"]))[0]["number"]
    folded_comments = await fetch("SELECT body FROM ticket_event WHERE ticket_id = {} AND kind = 'comment'",
                                  folded["id"])
    assert any(number in c["body"] for c in folded_comments)
    states = await fetch("SELECT DISTINCT outage_ticket_id FROM probe_asset_state WHERE school_id = {}", school)
    assert states == [{"outage_ticket_id": school_ticket["id"]}]

    # Another pass while everything is still down changes nothing.
    await poll_round(client, world, 50, kib(network, ap0=False, ap1=False, uplink=False))
    assert await probe_tickets(school) == tickets
    assert len(await fetch("SELECT 1 FROM ticket_event WHERE ticket_id = {} AND data->>'outage' = 'school'",
                           school_ticket["id"])) == 1

    await poll_round(client, world, 55, kib(network))
    recovered = await probe_tickets(school)
    assert [t["status"] for t in recovered] == ["resolved", "resolved"]
    comments = await fetch("SELECT body, public FROM ticket_event WHERE ticket_id = {} AND kind = 'comment' "
                           "ORDER BY id DESC LIMIT 1", school_ticket["id"])
    assert comments[0]["public"] and "antworten wieder" in comments[0]["body"]


async def test_refused_credentials_open_a_ticket_that_says_so(client: httpx.AsyncClient, world: World,
                                                             network: Network) -> None:
    """Every device of the school refuses the profile's key (a wrong key entered): tickets per device
    that say "SNMP-Zugangsdaten abgelehnt", not a school outage titled "antwortet nicht"."""
    school = world.schools["kib"]["id"]
    await poll_round(client, world, 0, kib(network))
    for minute in (5, 10, 15):
        samples = [{"asset_kind": kind, "asset_id": asset_id, "reachable": False,
                    "polled_at": (T0 + dt.timedelta(minutes=minute)).isoformat(),
                    "error": f"{CREDENTIALS_REJECTED}Wrong SNMP PDU digest"}
                   for kind, asset_id in kib(network)]
        body = {"idempotency_key": str(uuid.uuid4()), "sent_at": T0.isoformat(), "samples": samples}
        assert (await client.post("/api/v1/probe/samples", json=body, headers=world.auth("probe"))).status_code == 200
        await derive_pending()
    tickets = await probe_tickets(school)
    assert len(tickets) == 3
    assert all("SNMP-Zugangsdaten abgelehnt" in t["subject"] and "antwortet nicht" not in t["subject"]
               for t in tickets), [t["subject"] for t in tickets]
    await poll_round(client, world, 20, kib(network))  # the profile is fixed
    assert {t["status"] for t in await probe_tickets(school)} == {"resolved"}


async def test_the_ping_tells_a_dead_device_from_a_silent_snmp_agent(client: httpx.AsyncClient, world: World,
                                                                    network: Network) -> None:
    school = world.schools["kib"]["id"]
    first, second = network.access_points["kib"]
    await poll_round(client, world, 0, kib(network))
    for minute in (5, 10, 15):
        samples = [{"asset_kind": "access_point", "asset_id": ap, "reachable": False, "icmp_reachable": pings,
                    "polled_at": (T0 + dt.timedelta(minutes=minute)).isoformat(), "error": "No SNMP response"}
                   for ap, pings in ((first, True), (second, False))]
        samples.append({"asset_kind": "uplink", "asset_id": network.uplinks["kib"], "reachable": True,
                        "uptime_ticks": 100_000 + minute * 6000,
                        "polled_at": (T0 + dt.timedelta(minutes=minute)).isoformat()})
        body = {"idempotency_key": str(uuid.uuid4()), "sent_at": T0.isoformat(), "samples": samples}
        assert (await client.post("/api/v1/probe/samples", json=body, headers=world.auth("probe"))).status_code == 200
        await derive_pending()
    subjects = {t["access_point_id"]: t["subject"] for t in await probe_tickets(school)}
    assert "antwortet nicht auf SNMP, ist aber per Ping erreichbar" in subjects[first]
    assert "antwortet nicht und ist auch per Ping nicht erreichbar" in subjects[second]
