"""`/probes`: per probe its last run, targets answered and failed, refused samples, spool, how long it has
been silent and its open silence ticket, in German, for admins and supporters of its county only."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import httpx

from schoolit.accounts.scope import Scope
from schoolit.accounts.tables import Probe
from schoolit.probes.derivation import derive_pending
from schoolit.probes.health import check_silent_probes
from schoolit.sql import fetch
from tests.integration.accounts.test_login import login
from tests.integration.probes.network import build_network
from tests.integration.world import World


def card(page: str, probe_id: int) -> str:
    """The text of one probe's card, tags removed and white space folded."""
    match = re.search(rf'<li id="probe-{probe_id}".*?</li>', page, re.S)
    assert match, page[:2000]
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split())


async def test_each_probe_with_its_run_spool_silence_and_ticket(client: httpx.AsyncClient, world: World) -> None:
    network = await build_network(world, only=("kib",), aps_per_school=2)
    now = dt.datetime.now(dt.UTC)
    samples = [{"asset_kind": "access_point", "asset_id": ap, "polled_at": now.isoformat(), "reachable": True}
               for ap in network.access_points["kib"]]
    run = {"started_at": (now - dt.timedelta(seconds=20)).isoformat(), "duration_s": 12.25, "targets": 40,
           "reachable": 37, "failed": 3, "spool_replayed": 4, "spool_damaged": 1, "samples_refused": 2,
           "version": "0.1.0"}
    body = {"idempotency_key": str(uuid.uuid4()), "sent_at": now.isoformat(), "samples": samples, "run": run}
    assert (await client.post("/api/v1/probe/samples", json=body, headers=world.auth("probe"))).status_code == 200
    await derive_pending()  # the probe's assets are at a school now: its silence ticket goes there
    county = world.counties["donnersbergkreis"]
    never = (await Probe.insert(Probe(name="Sonde Rockenhausen", county_id=county,
                                      school_id=world.schools["rok"]["id"])).returning(Probe.id))[0]["id"]

    await login(client, "admin@test.example")
    page = await client.get("/probes")
    assert page.status_code == 200
    assert 'href="/probes"' in page.text  # in the navigation
    shown = card(page.text, world.probe_id)
    for text in ("Sonde Kirchheimbolanden", "meldet sich; Geräte antworten nicht", "Donnersbergkreis",
                 "37 von 40 haben geantwortet", "3 ohne Antwort", "Abgelehnte Messwerte 2",
                 "4 Pakete nachgeliefert", "1 beschädigter Eintrag beiseitegelegt", "(12,2 s)", "vor 0 Minuten",
                 "keins offen"):
        assert text in shown, (text, shown)
    assert "hat sich noch nie gemeldet" in card(page.text, never)
    assert "IGS Rockenhausen" in card(page.text, never)

    # Silent for two hours: the silence job opens its ticket, and the page links it.
    await fetch("UPDATE probe SET last_seen_at = now() - interval '2 hours 5 minutes' WHERE id = {}", world.probe_id)
    await check_silent_probes(Scope.system("test"))
    (row,) = await fetch("SELECT t.id, t.number FROM probe_run r JOIN ticket t ON t.id = r.silence_ticket_id "
                         "WHERE r.probe_id = {}", world.probe_id)
    page = await client.get("/probes")
    shown = card(page.text, world.probe_id)
    assert "seit 2 Stunden stumm" in shown and f'href="/tickets/{row["id"]}"' in page.text
    assert f"{row['number']} (Neu)" in shown

    # A person closes the ticket while the probe is still silent: no open ticket is shown.
    await fetch("UPDATE ticket SET status = 'closed' WHERE id = {}", row["id"])
    assert "keins offen" in card((await client.get("/probes")).text, world.probe_id)


async def test_supporters_see_their_counties_probes_authorities_and_schools_not(
        client: httpx.AsyncClient, world: World) -> None:
    other = (await Probe.insert(Probe(name="Sonde Ludwigsburg", county_id=world.counties["ludwigsburg"]))
             .returning(Probe.id))[0]["id"]
    await login(client, "support@verbund.test.example")
    page = await client.get("/probes")
    assert page.status_code == 200 and f'id="probe-{world.probe_id}"' in page.text
    assert f'id="probe-{other}"' not in page.text
    for email in ("st@dbk.test.example", "it@kib.test.example"):
        client.cookies.clear()
        await login(client, email)
        assert (await client.get("/probes")).status_code == 403
        assert 'href="/probes"' not in (await client.get("/")).text
