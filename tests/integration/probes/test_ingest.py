"""The probe endpoints: targets for the probe's scope, batches stored once, state and rollups once derived."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import msgspec
import pytest

from schoolit.db import atomic
from schoolit.metrics import REGISTRY
from schoolit.probes import access_point_pass as ap_pass
from schoolit.probes.agent.wire import Sample, SampleBatch, TargetList
from schoolit.probes.derivation import (
    DERIVATION_LOCK,
    DERIVATION_SETTINGS,
    GENERAL_SETTINGS,
    PASS,
    SIMPLE,
    SIMPLE_SETTINGS,
    derive_pending,
)
from schoolit.probes.ingest import ingest
from schoolit.sql import execute, fetch
from tests.integration.probes.network import Network, build_network, fresh_school, probe_scope
from tests.integration.world import World

T0 = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
async def network(world: World) -> Network:
    return await build_network(world)


def batch(*samples: dict[str, Any], key: uuid.UUID | None = None) -> dict[str, Any]:
    return {"idempotency_key": str(key or uuid.uuid4()), "sent_at": T0.isoformat(), "samples": list(samples)}


def ap_sample(ap_id: int, minute: int, reachable: bool = True, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"asset_kind": "access_point", "asset_id": ap_id, "reachable": reachable,
                              "polled_at": (T0 + dt.timedelta(minutes=minute)).isoformat()}
    if reachable:
        values.update(uptime_ticks=1_000_000 + minute * 6000, clients=fields.pop("clients", 12), response_ms=3.5)
    return {**values, **fields}


async def test_targets_are_the_probes_scope_with_credentials(client: httpx.AsyncClient, world: World,
                                                             network: Network) -> None:
    response = await client.get("/api/v1/probe/targets", headers=world.auth("probe"))
    assert response.status_code == 200
    targets = msgspec.json.decode(response.content, type=TargetList)
    ids = {(t.asset_kind, t.asset_id) for t in targets.targets}
    donnersberg = {("access_point", ap) for key in ("kib", "rok") for ap in network.access_points[key]} | {
        ("uplink", network.uplinks[key]) for key in ("kib", "rok")}
    elsewhere = {("access_point", ap) for key in ("kus", "lb") for ap in network.access_points[key]} | {
        ("uplink", network.uplinks[key]) for key in ("kus", "lb")}
    assert donnersberg <= ids and not ids & elsewhere
    counties = await fetch("SELECT DISTINCT county_id FROM access_point WHERE id = ANY({})",
                           [asset_id for kind, asset_id in ids if kind == "access_point"])
    assert counties == [{"county_id": world.counties["donnersbergkreis"]}]
    kib_ap = next(t for t in targets.targets if t.asset_id == network.access_points["kib"][0])
    assert kib_ap.community == "community-kib" and kib_ap.profile == "aruba-instant"
    assert kib_ap.row_index.count(".") == 5
    uplink = next(t for t in targets.targets if t.asset_kind == "uplink")
    assert uplink.if_index == 1
    assert response.headers["etag"] == targets.etag
    unchanged = await client.get("/api/v1/probe/targets",
                                 headers={**world.auth("probe"), "if-none-match": targets.etag})
    assert unchanged.status_code == 304
    assert (await client.get("/api/v1/probe/targets", headers=world.auth("admin"))).status_code == 403
    probe_row = await fetch("SELECT last_seen_at FROM probe WHERE id = {}", world.probe_id)
    assert probe_row[0]["last_seen_at"] is not None


async def test_batch_is_stored_once(client: httpx.AsyncClient, world: World, network: Network) -> None:
    ap = network.access_points["kib"][0]
    body = batch(ap_sample(ap, 0), ap_sample(ap, 5), ap_sample(ap, 10))
    first = await client.post("/api/v1/probe/samples", json=body, headers=world.auth("probe"))
    assert first.status_code == 200 and first.json() == {"stored": 3, "duplicate": False, "refused": []}
    again = await client.post("/api/v1/probe/samples", json=body, headers=world.auth("probe"))
    assert again.json() == {"stored": 0, "duplicate": True, "refused": []}
    rows = await fetch("SELECT count(*) AS n FROM probe_sample WHERE asset_id = {} AND asset_kind = 1", ap)
    assert rows[0]["n"] == 3
    # The answer means "stored"; state and rollups come with the derivation, once.
    assert await fetch("SELECT 1 FROM probe_asset_state WHERE asset_kind = 1 AND asset_id = {}", ap) == []
    derived = await derive_pending()
    assert (derived.batches, derived.samples) == (1, 3)
    assert (await derive_pending()).batches == 0
    state = (await fetch("SELECT * FROM probe_asset_state WHERE asset_kind = 1 AND asset_id = {}", ap))[0]
    assert state["reachable"] and state["clients"] == 12
    assert state["last_polled_at"] == T0 + dt.timedelta(minutes=10)
    hourly = await fetch("SELECT samples, up_samples, clients_max FROM probe_rollup_hours WHERE asset_id = {}", ap)
    assert hourly == [{"samples": 3, "up_samples": 3, "clients_max": 12}]


async def test_one_process_derives_at_a_time(client: httpx.AsyncClient, world: World, network: Network,
                                             database: str) -> None:
    ap = network.access_points["kib"][0]
    posted = await client.post("/api/v1/probe/samples", json=batch(ap_sample(ap, 0)), headers=world.auth("probe"))
    assert posted.status_code == 200
    other_worker = await asyncpg.connect(database)  # another server process, in the middle of a pass
    try:
        await other_worker.execute("SELECT pg_advisory_lock($1)", DERIVATION_LOCK)
        skipped = await derive_pending(wait=False)
        assert skipped.busy and skipped.batches == 0
        assert await fetch("SELECT 1 FROM probe_asset_state WHERE asset_kind = 1 AND asset_id = {}", ap) == []
    finally:
        await other_worker.close()
    derived = await derive_pending(wait=False)
    assert not derived.busy and derived.batches == 1
    state = await fetch("SELECT last_polled_at FROM probe_asset_state WHERE asset_kind = 1 AND asset_id = {}", ap)
    assert state == [{"last_polled_at": T0}]


async def test_probe_last_seen_is_written_at_most_once_a_minute(client: httpx.AsyncClient, world: World,
                                                                network: Network) -> None:
    ap = network.access_points["kib"][0]
    recently = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    await fetch("UPDATE probe SET last_seen_at = {} WHERE id = {}", recently, world.probe_id)
    posted = await client.post("/api/v1/probe/samples", json=batch(ap_sample(ap, 0)), headers=world.auth("probe"))
    assert posted.status_code == 200
    assert (await fetch("SELECT last_seen_at FROM probe WHERE id = {}", world.probe_id))[0]["last_seen_at"] == recently
    long_ago = recently - dt.timedelta(minutes=2)
    await fetch("UPDATE probe SET last_seen_at = {} WHERE id = {}", long_ago, world.probe_id)
    posted = await client.post("/api/v1/probe/samples", json=batch(ap_sample(ap, 5)), headers=world.auth("probe"))
    assert posted.status_code == 200
    seen = (await fetch("SELECT last_seen_at FROM probe WHERE id = {}", world.probe_id))[0]["last_seen_at"]
    assert seen > recently


async def test_samples_of_unknown_or_foreign_assets_are_refused_and_the_rest_stored(
        client: httpx.AsyncClient, world: World, network: Network) -> None:
    own = network.access_points["kib"][0]
    foreign = network.access_points["lb"][0]
    body = batch(ap_sample(own, 0), ap_sample(foreign, 0), ap_sample(999_999, 0), ap_sample(own, 5))
    response = await client.post("/api/v1/probe/samples", json=body, headers=world.auth("probe"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["stored"] == 2 and answer["duplicate"] is False
    assert answer["refused"] == [
        # The same words for another county's asset as for one that does not exist: nothing leaks.
        {"index": 1, "asset_kind": "access_point", "asset_id": foreign, "reason": f"unknown access point {foreign}"},
        {"index": 2, "asset_kind": "access_point", "asset_id": 999_999, "reason": "unknown access point 999999"}]
    rows = await fetch("SELECT asset_id FROM probe_sample ORDER BY polled_at")
    assert [r["asset_id"] for r in rows] == [own, own]
    assert (await fetch("SELECT samples FROM probe_ingest_batch"))[0]["samples"] == 2
    again = await client.post("/api/v1/probe/samples", json=body, headers=world.auth("probe"))
    assert again.json()["duplicate"] is True
    assert (await fetch("SELECT count(*) AS n FROM probe_sample"))[0]["n"] == 2


async def test_a_run_report_is_shown_per_probe(client: httpx.AsyncClient, world: World, network: Network) -> None:
    ap = network.access_points["kib"][0]
    started = T0 + dt.timedelta(minutes=1)
    report = {"started_at": started.isoformat(), "duration_s": 12.5, "targets": 40, "reachable": 37, "failed": 3,
              "spool_replayed": 4, "spool_damaged": 1, "samples_refused": 2, "version": "1.2.3"}
    body = {**batch(ap_sample(ap, 0), ap_sample(999_999, 0)), "run": report}
    assert (await client.post("/api/v1/probe/samples", json=body, headers=world.auth("probe"))).status_code == 200
    older = {**batch(), "run": {**report, "started_at": T0.isoformat(), "targets": 1}}  # replayed late
    assert (await client.post("/api/v1/probe/samples", json=older, headers=world.auth("probe"))).status_code == 200
    response = await client.get("/api/v1/stats/probes", headers=world.auth("admin"))
    assert response.status_code == 200, response.text
    (shown,) = [p for p in response.json() if p["id"] == world.probe_id]
    assert (shown["targets"], shown["reachable"], shown["failed"]) == (40, 37, 3)
    assert shown["samples_refused"] == 3 and shown["spool_damaged"] == 1 and shown["version"] == "1.2.3"
    assert shown["spool_replayed"] == 4 and shown["county_name"] == "Donnersbergkreis" and shown["school_name"] is None
    assert shown["last_run_at"].startswith("2026-11-23T07:01") and shown["silent"] is False
    assert (await client.get("/api/v1/stats/probes", headers=world.auth("probe"))).status_code == 403


def field_messages(response: httpx.Response) -> list[dict[str, str]]:
    """Each error's field code and reason (the label beside them is the field's, or its code)."""
    errors = response.json()["errors"]
    assert all(error["label"] for error in errors)
    return [{"field": error["field"], "message": error["message"]} for error in errors]


async def test_invalid_batch_names_fields(client: httpx.AsyncClient, world: World, network: Network) -> None:
    response = await client.post("/api/v1/probe/samples", headers=world.auth("probe"), json={
        "idempotency_key": "not-a-uuid", "sent_at": T0.isoformat(), "samples": []})
    assert response.status_code == 422
    assert field_messages(response) == [{"field": "idempotency_key", "message": "must be a UUID"}]
    body = batch(ap_sample(network.access_points["kib"][0], 0), ap_sample(network.access_points["kib"][0], 5))
    body["samples"][1]["clients"] = "viele"
    response = await client.post("/api/v1/probe/samples", headers=world.auth("probe"), json=body)
    assert response.status_code == 422
    assert field_messages(response) == [{"field": "samples[1].clients", "message": "must be a whole number"}]
    response = await client.post("/api/v1/probe/samples", headers={**world.auth("probe"),
                                 "content-type": "application/json"}, content=b'{"samples": [')
    assert response.status_code == 400 and "not valid JSON" in response.json()["detail"]
    assert (await fetch("SELECT count(*) AS n FROM probe_ingest_batch"))[0]["n"] == 0


async def test_numbers_beyond_their_columns_and_nul_bytes_are_a_422_per_sample(
        client: httpx.AsyncClient, world: World, network: Network) -> None:
    """The ingest route decodes its batch itself (no input-limit hook): what no column could hold is
    still refused as a 422 naming every sample and field, never a database error (500)."""
    ap = network.access_points["kib"][0]
    body = batch(ap_sample(ap, 0), ap_sample(2**40, 1), ap_sample(ap, 2, reachable=False, error="timeout\x00"),
                 ap_sample(ap, 3, in_octets=2**70, uptime_ticks=2**63), ap_sample(ap, 4, response_ms=1e300, clients=-1))
    body["run"] = {"started_at": T0.isoformat(), "duration_s": 1.0, "targets": 2**31, "reachable": 0, "failed": 0,
                   "version": "1.0\x00"}
    response = await client.post("/api/v1/probe/samples", json=body, headers=world.auth("probe"))
    assert response.status_code == 422, response.text
    assert field_messages(response) == [
        {"field": "samples[1].asset_id", "message": "at most 2147483647"},
        {"field": "samples[2].error", "message": "must not contain control characters"},
        {"field": "samples[3].uptime_ticks", "message": "at most 9223372036854775807"},
        {"field": "samples[3].in_octets", "message": "at most 18446744073709551615"},
        {"field": "samples[4].response_ms", "message": "at most 3.4e+38"},
        {"field": "run.targets", "message": "at most 2147483647"},
        {"field": "run.version", "message": "must not contain control characters"}]
    assert (await fetch("SELECT count(*) AS n FROM probe_ingest_batch"))[0]["n"] == 0
    counter64 = batch(ap_sample(ap, 0, in_octets=2**64 - 1, clients=-1))  # the largest Counter64 fits
    assert (await client.post("/api/v1/probe/samples", json=counter64, headers=world.auth("probe"))).status_code == 200


async def test_uplink_rates_availability_and_coverage(client: httpx.AsyncClient, world: World) -> None:
    await fresh_school(world, "fresh")
    network = await build_network(world, only=("fresh",))
    uplink = network.uplinks["fresh"]
    ap0, ap1 = network.access_points["fresh"]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=20)

    def at(minute: int) -> str:
        return (now + dt.timedelta(minutes=minute)).isoformat()

    samples = []
    for minute in (0, 5, 10, 15):
        samples.append({"asset_kind": "uplink", "asset_id": uplink, "polled_at": at(minute), "reachable": True,
                        "uptime_ticks": 500_000 + minute * 6000, "in_octets": minute * 60 * 12_500_000,
                        "out_octets": minute * 60 * 1_250_000, "if_speed_mbps": 1000, "oper_status": 1})
        samples.append({"asset_kind": "access_point", "asset_id": ap0, "polled_at": at(minute), "reachable": True,
                        "uptime_ticks": 10_000 + minute * 6000, "clients": 20 + minute})
        samples.append({"asset_kind": "access_point", "asset_id": ap1, "polled_at": at(minute),
                        "reachable": minute == 0, **({"uptime_ticks": 7000} if minute == 0 else {})})
    response = await client.post("/api/v1/probe/samples", json=batch(*samples), headers=world.auth("probe"))
    assert response.status_code == 200, response.text
    await derive_pending()

    school = world.schools["fresh"]["id"]
    figures = (await client.get(f"/api/v1/stats/schools/{school}/network",
                                headers=world.auth("verbund_supporter"))).json()
    link = figures["uplinks"][0]
    assert link["live"] is True
    assert link["in_mbps"] == pytest.approx(100.0) and link["out_mbps"] == pytest.approx(10.0)
    assert link["utilisation"] == pytest.approx(0.1) and link["utilisation_peak_7d"] == pytest.approx(0.1)
    by_id = {ap["id"]: ap for ap in figures["access_points"]}
    assert by_id[ap0]["live"] and by_id[ap0]["availability"]["24h"] == 1.0 and by_id[ap0]["clients"] == 35
    assert not by_id[ap1]["live"] and by_id[ap1]["availability"]["24h"] == pytest.approx(0.25)
    # Up since: sysUpTime back from the poll that read it (10,000 + 15 * 6,000 ticks = 1,000 s at minute 15).
    assert dt.datetime.fromisoformat(by_id[ap0]["up_since"]) == now + dt.timedelta(minutes=15, seconds=-1000)
    assert by_id[ap1]["up_since"] is None  # down: no uptime to show
    assert dt.datetime.fromisoformat(link["up_since"]) == now + dt.timedelta(minutes=15, seconds=-5900)
    coverage = figures["coverage"]
    # Rooms 1 and 2 are covered by AP 0 (live); room 2 also by AP 1 (down); room 3 by nothing.
    assert coverage["teaching_rooms"] == 3
    assert coverage["planned"] == pytest.approx(2 / 3, abs=1e-4) and coverage["live"] == pytest.approx(2 / 3)
    assert [r["name"] for r in coverage["rooms_without_working_wlan"]] == ["A 1.03"]
    foreign = await client.get(f"/api/v1/stats/schools/{school}/network", headers=world.auth("ludwigsburg_authority"))
    assert foreign.status_code == 404


async def test_stale_state_is_not_live(client: httpx.AsyncClient, world: World) -> None:
    await fresh_school(world, "fresh")
    network = await build_network(world, only=("fresh",))
    ap = network.access_points["fresh"][0]
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    sample = {"asset_kind": "access_point", "asset_id": ap, "polled_at": long_ago.isoformat(), "reachable": True,
              "uptime_ticks": 5}
    posted = await client.post("/api/v1/probe/samples", json=batch(sample), headers=world.auth("probe"))
    assert posted.status_code == 200
    await derive_pending()
    figures = (await client.get(f"/api/v1/stats/schools/{world.schools['fresh']['id']}/network",
                                headers=world.auth("admin"))).json()
    assert figures["coverage"]["live"] == 0.0 and figures["coverage"]["planned"] == pytest.approx(2 / 3, abs=1e-4)


async def bulk_access_points(world: World, count: int) -> list[int]:
    """`count` access points at one school of the probe's county (straight in SQL: many)."""
    school = world.schools["kib"]
    return [row["id"] for row in await fetch(
        "INSERT INTO access_point (county_id, school_id, name, vendor, model, serial, snmp_port, status, "
        "funding_programme, created_at, updated_at) SELECT {}, {}, 'AP ' || n, 'aruba', 'AP-505', "
        "'BULK' || lpad(n::text, 5, '0'), 161, 'active', 'other', now(), now() FROM generate_series(1, {}) AS n "
        "RETURNING id", school["county_id"], school["id"], count)]


def sweep_batch(aps: list[int], at: dt.datetime, sweeps: int = 1) -> SampleBatch:
    """Every access point polled `sweeps` times a minute apart, all answering."""
    samples = [Sample(asset_kind="access_point", asset_id=ap, polled_at=at + dt.timedelta(minutes=minute),
                      reachable=True, uptime_ticks=10_000 + minute * 6000, clients=minute, radio_up=True)
               for minute in range(sweeps) for ap in aps]
    return SampleBatch(idempotency_key=uuid.uuid4(), sent_at=at, samples=samples)


async def row_pages(table: str, aps: list[int], condition: str = "true", *args: Any) -> dict[int, int]:
    """The heap page of each access point's row in `table` (rows where `condition` holds)."""
    return {row["asset_id"]: row["page"] for row in await fetch(
        f"SELECT asset_id, (ctid::text::point)[0] AS page FROM {table} WHERE asset_id = ANY({{}}) "  # noqa: S608
        f"AND {condition}", aps, *args)}


async def test_a_pass_writes_one_row_per_asset_in_place_and_an_hours_rollup_once(world: World) -> None:
    """A pass writes one row per asset polled: its state, which carries the open hour's and day's
    rollups. The new row versions stay on their rows' pages (heap-only updates, no new index entries, old
    versions pruned in place); an hour's rollup row is written once, by the first pass after it ended."""
    scope, aps = await probe_scope(world), await bulk_access_points(world, 400)
    pages = []
    for sweep in range(2):  # one sweep a minute, within one hour
        assert (await ingest(scope, sweep_batch(aps, T0 + dt.timedelta(minutes=sweep)))).stored == len(aps)
        assert (await derive_pending()).batches == 1
        pages.append(await row_pages("probe_asset_state", aps))
    assert sum(pages[1][ap] == pages[0][ap] for ap in aps) == len(aps)
    assert await fetch("SELECT 1 FROM probe_rollup_hourly WHERE asset_id = ANY({})", aps) == []
    open_hours = await fetch("SELECT DISTINCT hour_at, hour_samples FROM probe_asset_state WHERE asset_kind = 1 "
                             "AND asset_id = ANY({})", aps)
    assert open_hours == [{"hour_at": T0.replace(minute=0), "hour_samples": 2}]

    # Each access point's first poll of the next hour ends its open hour: the access points' own statement.
    assert (await ingest(scope, sweep_batch(aps, T0 + dt.timedelta(hours=1)))).stored == len(aps)
    assert (await derive_pending()).simple == len(aps)
    ended = await fetch("SELECT DISTINCT hour, samples FROM probe_rollup_hourly WHERE asset_id = ANY({})", aps)
    assert ended == [{"hour": T0.replace(minute=0), "samples": 2}]
    assert len(await fetch("SELECT 1 FROM probe_rollup_hourly WHERE asset_id = ANY({})", aps)) == len(aps)
    assert (await fetch("SELECT DISTINCT hour_at, hour_samples FROM probe_asset_state WHERE asset_kind = 1 "
                        "AND asset_id = ANY({})", aps)) == [{"hour_at": T0.replace(minute=0) + dt.timedelta(hours=1),
                                                            "hour_samples": 1}]


async def test_a_pass_without_single_samples_skips_the_access_points_statement(world: World) -> None:
    """Each batch counts its access points with one sample in it. A pass of batches with none (a spool
    replayed: several poll rounds per batch) goes straight to the general statement, and derives the same;
    a batch of one poll round, or one stored before the count (none), runs the access points' own."""
    scope, aps = await probe_scope(world), await bulk_access_points(world, 50)
    replay = sweep_batch(aps, T0, sweeps=3)
    replay.samples.append(Sample(asset_kind="access_point", asset_id=aps[0], polled_at=T0 + dt.timedelta(minutes=3),
                                 reachable=False))
    stored = [await ingest(scope, replay), await ingest(scope, sweep_batch(aps[:10], T0 + dt.timedelta(minutes=4),
                                                                           sweeps=2))]
    counts = await fetch("SELECT single_sample_aps FROM probe_ingest_batch WHERE id = ANY({}) ORDER BY id",
                         [result.batch_id for result in stored])
    assert [row["single_sample_aps"] for row in counts] == [0, 0]
    derived = await derive_pending()
    assert (derived.batches, derived.simple_passes, derived.simple) == (2, 0, 0)
    state = {row["asset_id"]: row for row in await fetch(
        "SELECT asset_id, last_polled_at, reachable, consecutive_failures, hour_samples, hour_up_samples "
        "FROM probe_asset_state WHERE asset_kind = 1 AND asset_id = ANY({})", aps)}
    assert state[aps[0]] == {"asset_id": aps[0], "last_polled_at": T0 + dt.timedelta(minutes=5), "reachable": True,
                             "consecutive_failures": 0, "hour_samples": 6, "hour_up_samples": 5}
    assert state[aps[20]]["last_polled_at"] == T0 + dt.timedelta(minutes=2)
    assert state[aps[20]]["hour_samples"] == 3

    one_round = await ingest(scope, sweep_batch(aps, T0 + dt.timedelta(minutes=6)))
    assert (await fetch("SELECT single_sample_aps FROM probe_ingest_batch WHERE id = {}",
                        one_round.batch_id))[0]["single_sample_aps"] == len(aps)
    derived = await derive_pending()
    assert (derived.simple_passes, derived.simple) == (1, len(aps))

    uncounted = await ingest(scope, sweep_batch(aps, T0 + dt.timedelta(minutes=7), sweeps=2))
    await execute("UPDATE probe_ingest_batch SET single_sample_aps = NULL WHERE id = {}", uncounted.batch_id)
    derived = await derive_pending()
    assert (derived.simple_passes, derived.simple) == (1, 0)
    assert (await fetch("SELECT DISTINCT hour_samples FROM probe_asset_state WHERE asset_kind = 1 "
                        "AND asset_id = ANY({})", aps[10:])) == [{"hour_samples": 6}]


async def test_an_assets_open_day_moves_to_the_daily_rollups_when_its_next_day_begins(world: World) -> None:
    """An asset's open day is in its state row; its first sample of a new day moves the day before to the
    daily rollups, adding to what is there already. A late sample of a finished day goes straight to
    them. Readers (`probe_rollup_days`) count every sample once either way."""
    scope, aps = await probe_scope(world), await bulk_access_points(world, 400)
    today = (await fetch("SELECT (now() AT TIME ZONE 'Europe/Berlin')::date AS day"))[0]["day"]
    ap, yesterday = aps[0], today - dt.timedelta(days=1)
    county, school = (await fetch("SELECT county_id, school_id FROM access_point WHERE id = {}", ap))[0].values()
    await fetch("INSERT INTO probe_rollup_daily (asset_kind, asset_id, day, county_id, school_id, samples, up_samples, "
                "clients_max) VALUES (1, {}, {}, {}, {}, 2, 1, 40)", ap, yesterday, county, school)
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=BERLIN).astimezone(dt.UTC)
    for minutes in (10, 5):  # two sweeps late yesterday
        assert (await ingest(scope, sweep_batch(aps, midnight - dt.timedelta(minutes=minutes)))).stored == len(aps)
        await derive_pending()
    assert len(await fetch("SELECT 1 FROM probe_rollup_daily WHERE asset_id = ANY({})", aps)) == 1
    assert (await fetch("SELECT DISTINCT day, day_samples FROM probe_asset_state WHERE asset_kind = 1 "
                        "AND asset_id = ANY({})", aps)) == [{"day": yesterday, "day_samples": 2}]

    assert (await ingest(scope, sweep_batch(aps, midnight + dt.timedelta(minutes=30)))).stored == len(aps)
    assert (await derive_pending()).simple == len(aps)  # the access points' own statement ends the day too
    closed = await fetch("SELECT asset_id, samples, up_samples, clients_max FROM probe_rollup_daily "
                         "WHERE asset_id = ANY({}) AND day = {}", aps, yesterday)
    assert len(closed) == len(aps)
    assert [row for row in closed if row["asset_id"] == ap] == [
        {"asset_id": ap, "samples": 4, "up_samples": 3, "clients_max": 40}]
    assert (await fetch("SELECT DISTINCT day, day_samples FROM probe_asset_state WHERE asset_kind = 1 "
                        "AND asset_id = ANY({})", aps)) == [{"day": today, "day_samples": 1}]

    # A late sample of yesterday (a probe's spool replayed): into the finished day, counted once.
    assert (await ingest(scope, sweep_batch([ap], midnight - dt.timedelta(hours=2)))).stored == 1
    await derive_pending()
    counted = await fetch("SELECT day, sum(samples) AS samples FROM probe_rollup_days WHERE asset_id = {} "
                          "GROUP BY day ORDER BY day", ap)
    assert counted == [{"day": yesterday, "samples": 5}, {"day": today, "samples": 1}]


async def test_a_pass_reads_its_own_batches_not_the_whole_day(world: World) -> None:
    """Late in the day the partition holds every sample so far; a pass finds its batches' rows by the
    batch index instead of scanning them all."""
    scope, aps = await probe_scope(world), await bulk_access_points(world, 400)
    await ingest(scope, sweep_batch(aps, T0, sweeps=60))  # the hour so far: 24,000 samples
    await derive_pending()
    latest = await ingest(scope, sweep_batch(aps, T0 + dt.timedelta(hours=1)))
    async with atomic():
        await execute(DERIVATION_SETTINGS)
        await execute(SIMPLE_SETTINGS)
        simple = (await fetch("EXPLAIN (FORMAT JSON) " + SIMPLE, [latest.batch_id]))[0]["QUERY PLAN"]
        await execute(GENERAL_SETTINGS)
        general = (await fetch("EXPLAIN (FORMAT JSON) " + PASS, [latest.batch_id]))[0]["QUERY PLAN"]
        await execute(ap_pass.SETTINGS)
        samples = (await fetch("EXPLAIN (FORMAT JSON) " + ap_pass.SAMPLES, [latest.batch_id], [aps[0]]))[0]
        prior = (await fetch("EXPLAIN (FORMAT JSON) " + ap_pass.PRIOR, aps))[0]

    def scans(node: dict[str, Any]) -> list[tuple[str, str]]:
        found = [(node["Node Type"], node.get("Relation Name", ""))]
        for child in node.get("Plans", []):
            found += scans(child)
        return found

    for plan in (simple, general, samples["QUERY PLAN"], prior["QUERY PLAN"]):
        plan_scans = scans(json.loads(plan)[0]["Plan"])
        sample_scans = [kind for kind, relation in plan_scans if relation.startswith("probe_sample")]
        assert plan is prior["QUERY PLAN"] or sample_scans, plan_scans
        assert "Seq Scan" not in sample_scans, sample_scans
        # The state, by its unique index (nationwide a scan reads 1,000,000 rows); the access points' too.
        assert ("Seq Scan", "probe_asset_state") not in plan_scans, plan_scans
    assert ("Seq Scan", "access_point") not in scans(json.loads(prior["QUERY PLAN"])[0]["Plan"])


async def test_passes_are_counted_in_metrics(world: World, network: Network) -> None:
    scope = await probe_scope(world)
    passes = REGISTRY.get_sample_value("schoolit_derivation_pass_batches_count") or 0.0
    batches = REGISTRY.get_sample_value("schoolit_derivation_pass_batches_sum") or 0.0
    for minute in range(2):
        await ingest(scope, sweep_batch(network.access_points["kib"], T0 + dt.timedelta(minutes=minute)))
    assert (await derive_pending()).batches == 2
    assert REGISTRY.get_sample_value("schoolit_derivation_pass_batches_count") == passes + 1
    assert REGISTRY.get_sample_value("schoolit_derivation_pass_batches_sum") == batches + 2
    assert REGISTRY.get_sample_value("schoolit_derivation_pass_seconds_count") == passes + 1


async def test_rates_without_an_interface_speed_are_capped_by_the_contract(client: httpx.AsyncClient,
                                                                          world: World) -> None:
    """A PPPoE WAN interface reports ifHighSpeed 0: the contracted rate is then the plausibility
    ceiling, so a 10 GB counter jump (a counter reset to garbage) gives no rate at all, and the
    utilisation never shows 62 times the contract."""
    await fresh_school(world, "fresh")
    network = await build_network(world, only=("fresh",))
    uplink = network.uplinks["fresh"]
    await fetch("UPDATE uplink SET down_mbps = 100, up_mbps = 40 WHERE id = {}", uplink)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=20)
    octets = {0: (0, 0), 5: (1_500_000_000, 300_000_000), 10: (11_500_000_000, 600_000_000),
              15: (13_000_000_000, 900_000_000)}  # 40 Mbit/s in, 8 out; then 10 GB in 5 minutes; then 40 again
    samples = [{"asset_kind": "uplink", "asset_id": uplink, "polled_at": (now + dt.timedelta(minutes=m)).isoformat(),
                "reachable": True, "uptime_ticks": 500_000 + m * 6000, "in_octets": i, "out_octets": o,
                "if_speed_mbps": 0, "oper_status": 1} for m, (i, o) in octets.items()]
    for sample in samples:  # one batch each: the state's rate follows every poll
        assert (await client.post("/api/v1/probe/samples", json=batch(sample),
                                  headers=world.auth("probe"))).status_code == 200
        await derive_pending()
        if sample["polled_at"] == samples[2]["polled_at"]:
            state = await fetch("SELECT in_mbps, utilisation FROM probe_asset_state WHERE asset_id = {} "
                                "AND asset_kind = 2", uplink)
            assert state[0]["in_mbps"] is None and state[0]["utilisation"] is None  # 267 Mbit/s on 100: garbage
    hours = await fetch("SELECT sum(rate_samples) AS rates, max(in_mbps_max) AS peak, max(utilisation_max) AS util "
                        "FROM probe_rollup_hours WHERE asset_kind = 2 AND asset_id = {}", uplink)
    assert hours[0]["rates"] == 2  # minutes 5 and 15; the jump gave none
    assert hours[0]["peak"] == pytest.approx(40.0) and hours[0]["util"] == pytest.approx(0.4)


async def test_one_lost_poll_does_not_flip_a_room_but_dead_radios_do(client: httpx.AsyncClient,
                                                                       world: World) -> None:
    await fresh_school(world, "fresh")
    network = await build_network(world, only=("fresh",))
    ap0, ap1 = network.access_points["fresh"]
    school = world.schools["fresh"]["id"]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=20)

    async def poll(minute: int, ap: int, reachable: bool, **fields: Any) -> None:
        sample = {"asset_kind": "access_point", "asset_id": ap, "reachable": reachable,
                  "polled_at": (now + dt.timedelta(minutes=minute)).isoformat(), **fields}
        assert (await client.post("/api/v1/probe/samples", json=batch(sample),
                                  headers=world.auth("probe"))).status_code == 200
        await derive_pending()

    async def without_wlan() -> list[str]:
        figures = (await client.get(f"/api/v1/stats/schools/{school}/network",
                                    headers=world.auth("verbund_supporter"))).json()
        return [room["name"] for room in figures["coverage"]["rooms_without_working_wlan"]]

    await poll(0, ap0, True, uptime_ticks=100, clients=3, radio_up=True)
    await poll(0, ap1, True, uptime_ticks=100, clients=1, radio_up=True)
    assert await without_wlan() == ["A 1.03"]  # room 3 has no access point
    for minute in (5, 10):  # ap0 misses two polls: fewer than the outage threshold (3)
        await poll(minute, ap0, False)
        assert await without_wlan() == ["A 1.03"]
    await poll(15, ap0, False)  # the third: as the outage ticket opens, its rooms lose WLAN
    assert await without_wlan() == ["A 1.01", "A 1.03"]  # room 2 keeps ap1
    await poll(20, ap1, True, uptime_ticks=120_100, clients=0, radio_up=False)  # answers, but radios are off
    assert await without_wlan() == ["A 1.01", "A 1.02", "A 1.03"]


async def test_the_school_page_shows_since_when_devices_run(client: httpx.AsyncClient, world: World) -> None:
    await fresh_school(world, "fresh")
    network = await build_network(world, only=("fresh",))
    ap = network.access_points["fresh"][0]
    polled = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    samples = [ap_sample(ap, 0) | {"polled_at": polled.isoformat(), "uptime_ticks": 360_000},  # up one hour
               {"asset_kind": "uplink", "asset_id": network.uplinks["fresh"], "polled_at": polled.isoformat(),
                "reachable": True, "uptime_ticks": 8_640_000}]  # up one day
    assert (await client.post("/api/v1/probe/samples", json=batch(*samples),
                              headers=world.auth("probe"))).status_code == 200
    await derive_pending()
    page = await client.get(f"/dashboards/schools/{world.schools['fresh']['id']}/network",
                            headers=world.auth("verbund_supporter"))
    assert page.status_code == 200
    assert "<th>Läuft seit</th>" in page.text and 'data-testid="up-since">01.12.2026 09:00' in page.text
    assert "Router des Anschlusses Deutsche Glasfaser läuft seit 30.11.2026 10:00" in page.text


async def test_32_bit_counters_wrap_into_a_rate(client: httpx.AsyncClient, world: World) -> None:
    """A router without HC counters: its 32-bit counters wrap at 4 GiB (every 5.7 minutes at 100 Mbit/s);
    a wrap of a marked sample is a rate, a counter going back in an unmarked (HC) sample is none."""
    await fresh_school(world, "fresh")
    network = await build_network(world, only=("fresh",))
    uplink = network.uplinks["fresh"]
    await fetch("UPDATE uplink SET down_mbps = 250, up_mbps = 40 WHERE id = {}", uplink)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=20)
    wrap, step = 2**32, 3_750_000_000  # 100 Mbit/s for 5 minutes
    octets = {0: 4_000_000_000, 5: (4_000_000_000 + step) % wrap, 10: (4_000_000_000 + 2 * step) % wrap}
    for minute, in_octets in octets.items():
        sample = {"asset_kind": "uplink", "asset_id": uplink, "reachable": True,
                  "uptime_ticks": 500_000 + minute * 6000, "in_octets": in_octets,
                  "polled_at": (now + dt.timedelta(minutes=minute)).isoformat(),
                  "out_octets": 150_000 * minute, "if_speed_mbps": 0, "oper_status": 1, "counter_bits": 32}
        assert (await client.post("/api/v1/probe/samples", json=batch(sample),
                                  headers=world.auth("probe"))).status_code == 200
        await derive_pending()
        if minute == 5:  # the counter went from 4.0 billion back to 3.46 billion: it wrapped
            state = (await fetch("SELECT in_mbps, out_mbps FROM probe_asset_state WHERE asset_kind = 2 AND "
                                 "asset_id = {}", uplink))[0]
            assert state["in_mbps"] == pytest.approx(100.0) and state["out_mbps"] == pytest.approx(0.02)
    hours = await fetch("SELECT sum(rate_samples) AS rates, max(in_mbps_max) AS peak FROM probe_rollup_hours "
                        "WHERE asset_kind = 2 AND asset_id = {}", uplink)
    assert hours[0]["rates"] == 2 and hours[0]["peak"] == pytest.approx(100.0)
