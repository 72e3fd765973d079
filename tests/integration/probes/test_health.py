"""A probe that goes silent gets a ticket of its own, resolved when it is back."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx

from schoolit.accounts.scope import Scope
from schoolit.accounts.tables import Probe
from schoolit.jobs import outcome_text
from schoolit.probes.derivation import derive_pending
from schoolit.probes.health import check_silent_probes
from schoolit.probes.jobs import silent_probes
from schoolit.sql import fetch
from tests.integration.probes.network import build_network
from tests.integration.world import World

SYSTEM = Scope.system("test")


async def ticket(ticket_id: int) -> dict:
    return (await fetch("SELECT school_id, status, source, subject, access_point_id, uplink_id FROM ticket "
                        "WHERE id = {}", ticket_id))[0]


async def silence_ticket(probe_id: int) -> int | None:
    rows = await fetch("SELECT silence_ticket_id FROM probe_run WHERE probe_id = {}", probe_id)
    return rows[0]["silence_ticket_id"] if rows else None


async def test_silent_probe_opens_and_on_return_resolves_its_ticket(client: httpx.AsyncClient, world: World) -> None:
    network = await build_network(world, only=("kib", "rok"), aps_per_school=1)
    network_kib = [*network.access_points["kib"], network.uplinks["kib"]]
    now = dt.datetime.now(dt.UTC)
    samples = [{"asset_kind": "access_point", "asset_id": ap, "polled_at": now.isoformat(), "reachable": True}
               for ap in network.access_points["kib"] + network.access_points["rok"]]
    samples.append({"asset_kind": "uplink", "asset_id": network.uplinks["kib"], "polled_at": now.isoformat(),
                    "reachable": True})
    body = {"idempotency_key": str(uuid.uuid4()), "sent_at": now.isoformat(), "samples": samples}
    assert (await client.post("/api/v1/probe/samples", json=body, headers=world.auth("probe"))).status_code == 200
    await derive_pending()
    never = (await Probe.insert(Probe(name="Nie gesehen", county_id=world.counties["donnersbergkreis"]))
             .returning(Probe.id))[0]["id"]

    await check_silent_probes(SYSTEM)  # it just talked to us
    assert await silence_ticket(world.probe_id) is None

    await fetch("UPDATE probe SET last_seen_at = now() - interval '2 hours' WHERE id = {}", world.probe_id)
    assert outcome_text(await silent_probes(), english=True) == "silent probes: tickets opened: 1, resolved: 0"
    ticket_id = await silence_ticket(world.probe_id)
    assert ticket_id is not None
    opened = await ticket(ticket_id)
    # A county's probe files it at the school with most of its assets; no asset of it is at fault.
    assert opened["school_id"] == world.schools["kib"]["id"] and len(network_kib) == 2
    assert opened["source"] == "probe" and opened["status"] == "new"
    assert opened["subject"].startswith("Sonde „Sonde Kirchheimbolanden“ meldet sich nicht mehr")
    assert opened["access_point_id"] is None and opened["uplink_id"] is None
    await check_silent_probes(SYSTEM)  # still silent: the same ticket, no second
    assert await silence_ticket(world.probe_id) == ticket_id
    assert (await fetch("SELECT count(*) AS n FROM ticket WHERE source = 'probe'"))[0]["n"] == 1
    assert await silence_ticket(never) is None  # never seen: nothing to miss

    assert (await client.get("/api/v1/probe/targets", headers=world.auth("probe"))).status_code == 200  # it is back
    await check_silent_probes(SYSTEM)
    assert await silence_ticket(world.probe_id) is None
    assert (await ticket(ticket_id))["status"] == "resolved"
