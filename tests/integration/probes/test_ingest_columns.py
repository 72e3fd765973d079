"""Batches that carry their samples as columns (as the agent sends them): stored as the same rows as the same
samples sent as objects, refused alike, and checked alike — a column that does not fit names its position."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import msgspec
import pytest

from schoolit.probes.agent.wire import Sample, SampleBatch, columns_of
from schoolit.sql import fetch
from tests.integration.probes.network import Network, build_network
from tests.integration.probes.test_ingest import T0, field_messages
from tests.integration.world import World


@pytest.fixture
async def network(world: World) -> Network:
    return await build_network(world)


def mixed_samples(network: Network) -> list[Sample]:
    """Every field at least once, nulls in every optional one, a Counter64 at its largest, and samples the
    probe may not send (a foreign access point, an unknown one, a controller's own)."""
    own, other = network.access_points["kib"]
    uplink = network.uplinks["kib"]

    def at(second: int) -> dt.datetime:
        return T0 + dt.timedelta(seconds=second, microseconds=second * 7)

    return [
        Sample(asset_kind="access_point", asset_id=own, polled_at=at(0), reachable=True, response_ms=2.5,
               uptime_ticks=4_000_000_000, clients=31, radio_up=True),
        Sample(asset_kind="access_point", asset_id=network.access_points["lb"][0], polled_at=at(1), reachable=True),
        Sample(asset_kind="access_point", asset_id=other, polled_at=at(2), reachable=False,
               error="Zeitüberschreitung nach 2 s", icmp_reachable=True),
        Sample(asset_kind="uplink", asset_id=uplink, polled_at=at(3), reachable=True, in_octets=2**64 - 1,
               out_octets=0, counter_bits=32, if_speed_mbps=1000, oper_status=1, response_ms=0.25),
        Sample(asset_kind="controller", asset_id=other, polled_at=at(4), reachable=True),
        Sample(asset_kind="access_point", asset_id=999_999, polled_at=at(5), reachable=False, error=""),
        Sample(asset_kind="access_point", asset_id=own, polled_at=at(6), reachable=False, radio_up=False),
    ]


def body(samples: list[Sample], *, as_columns: bool) -> bytes:
    batch = SampleBatch(idempotency_key=uuid.uuid4(), sent_at=T0, samples=[] if as_columns else samples,
                        columns=columns_of(samples) if as_columns else None)
    return msgspec.json.encode(batch)


async def post(client: httpx.AsyncClient, world: World, content: bytes) -> httpx.Response:
    return await client.post("/api/v1/probe/samples", content=content,
                             headers={**world.auth("probe"), "content-type": "application/json"})


async def stored_rows(batch_id: int) -> list[dict[str, Any]]:
    rows = await fetch("SELECT * FROM probe_sample WHERE batch_id = {} ORDER BY polled_at", batch_id)
    return [{name: value for name, value in row.items() if name != "batch_id"} for row in rows]


async def test_columns_are_stored_as_the_same_rows_as_objects(client: httpx.AsyncClient, world: World,
                                                              network: Network) -> None:
    samples = mixed_samples(network)
    as_objects = await post(client, world, body(samples, as_columns=False))
    as_columns = await post(client, world, body(samples, as_columns=True))
    assert as_objects.status_code == as_columns.status_code == 200, as_columns.text
    assert as_columns.json() == as_objects.json()
    assert as_columns.json()["stored"] == 4
    assert [(r["index"], r["reason"]) for r in as_columns.json()["refused"]] == [
        (1, f"unknown access point {network.access_points['lb'][0]}"),
        (4, f"unknown controller {network.access_points['kib'][1]}"), (5, "unknown access point 999999")]
    first, second = (row["id"] for row in await fetch("SELECT id FROM probe_ingest_batch ORDER BY id"))
    rows = await stored_rows(second)
    assert rows == await stored_rows(first)
    assert [row["polled_at"] for row in rows] == [samples[i].polled_at for i in (0, 2, 3, 6)]
    assert rows[0]["response_ms"] == 2.5 and rows[0]["uptime_ticks"] == 4_000_000_000 and rows[0]["in_octets"] is None
    assert rows[1]["error"] == "Zeitüberschreitung nach 2 s" and rows[1]["icmp_reachable"] is True
    assert rows[1]["clients"] is None and rows[1]["radio_up"] is None
    assert (rows[2]["in_octets"], rows[2]["out_octets"], rows[2]["counter_bits"]) == (2**64 - 1, 0, 32)
    assert rows[3]["radio_up"] is False and rows[3]["error"] is None
    assert {row["county_id"] for row in rows} == {world.counties["donnersbergkreis"]}
    assert {row["probe_id"] for row in rows} == {world.probe_id}
    counts = await fetch("SELECT samples, single_sample_aps, uplink_samples FROM probe_ingest_batch ORDER BY id")
    assert counts[0] == counts[1] == {"samples": 4, "single_sample_aps": 1, "uplink_samples": 1}


async def test_columns_that_do_not_fit_name_their_position_and_store_nothing(
        client: httpx.AsyncClient, world: World, network: Network) -> None:
    samples = mixed_samples(network)[:4]
    columns = msgspec.to_builtins(columns_of(samples))
    batch = {"idempotency_key": str(uuid.uuid4()), "sent_at": T0.isoformat(), "columns": columns}

    def posted(**changes: Any) -> bytes:
        return msgspec.json.encode({**batch, "columns": {**columns, **changes}})

    response = await post(client, world, posted(clients=[1, 2], reachable=[True]))
    assert response.status_code == 422
    assert field_messages(response) == [{"field": "columns.reachable", "message": "1 values for 4 samples"},
                                        {"field": "columns.clients", "message": "2 values for 4 samples"}]
    wrong = posted(in_octets=[None, None, None, 2**64], polled_at_us=[2**62, *columns["polled_at_us"][1:]],
                   error=[None, "kaputt\x00", None, None], clients=[1, None, -(2**31) - 1, None])
    response = await post(client, world, wrong)
    assert response.status_code == 422
    assert field_messages(response) == [
        {"field": "columns.polled_at_us[0]", "message": "at most 253402300799999999"},
        {"field": "columns.clients[2]", "message": "at least -2147483648"},
        {"field": "columns.in_octets[3]", "message": "at most 18446744073709551615"},
        {"field": "columns.error[1]", "message": "must not contain control characters"}]
    both = msgspec.json.encode({**batch, "samples": [msgspec.to_builtins(samples[0])]})
    response = await post(client, world, both)
    assert response.status_code == 422
    assert field_messages(response) == [
        {"field": "columns", "message": "a batch carries its samples as `samples` or as `columns`, not both"}]
    response = await post(client, world, posted(asset_kind=["access_point", "router", "uplink", "uplink"]))
    assert response.status_code == 422
    assert field_messages(response)[0]["field"] == "columns.asset_kind[1]"
    assert (await fetch("SELECT count(*) AS n FROM probe_ingest_batch"))[0]["n"] == 0
    assert (await post(client, world, posted())).json()["stored"] == 3  # the foreign access point refused


async def test_one_long_error_among_many_samples_is_stored_as_sent(client: httpx.AsyncClient, world: World,
                                                                   network: Network) -> None:
    """The COPY lays each error in as long as it is: one long message costs its own length, not every sample's."""
    own = network.access_points["kib"][0]
    samples = [Sample(asset_kind="access_point", asset_id=own, polled_at=T0 + dt.timedelta(seconds=n),
                      reachable=False, error="x" * 2_000_000 if n == 1 else "timeout") for n in range(5000)]
    response = await post(client, world, body(samples, as_columns=True))
    assert response.status_code == 200 and response.json()["stored"] == 5000
    lengths = await fetch("SELECT length(error) AS n, count(*) AS c FROM probe_sample GROUP BY 1 ORDER BY 1")
    assert lengths == [{"n": 7, "c": 4999}, {"n": 2_000_000, "c": 1}]
