"""`GET /metrics`: Prometheus text that the official parser reads, requests counted by route template
and status, scrape-time sources from the database, and answers only for allowed clients."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from prometheus_client.parser import text_string_to_metric_families

from schoolit import metrics
from schoolit.app import create_app
from schoolit.settings import Settings
from tests.integration.world import World
from tests.support import running_server

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _parse(text: str) -> Samples:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


async def _scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return _parse(response.text)


def _requests(samples: Samples, route: str, status: str = "200", method: str = "GET") -> float:
    key = ("schoolit_http_requests_total", (("method", method), ("route", route), ("status", status)))
    return samples.get(key, 0.0)


def _duration_count(samples: Samples, route: str) -> float:
    key = ("schoolit_http_request_duration_seconds_count", (("method", "GET"), ("route", route)))
    return samples.get(key, 0.0)


async def test_counts_a_request(client: httpx.AsyncClient) -> None:
    before = await _scrape(client)
    assert (await client.get("/health")).status_code == 200
    after = await _scrape(client)
    assert _requests(after, "/health") - _requests(before, "/health") == 1
    assert _duration_count(after, "/health") - _duration_count(before, "/health") == 1
    # The scrape itself is a request too.
    assert _requests(after, "/metrics") - _requests(before, "/metrics") == 1


async def test_routes_are_templates_not_paths(client: httpx.AsyncClient) -> None:
    before = await _scrape(client)
    for code in ("de", "en", "xx-not-a-language"):
        assert (await client.get(f"/language/{code}")).status_code == 302
    after = await _scrape(client)
    assert _requests(after, "/language/{code}", "302") - _requests(before, "/language/{code}", "302") == 3
    routes = {dict(labels).get("route") for name, labels in after if name == "schoolit_http_requests_total"}
    assert not any(route and route.startswith("/language/") and "{" not in route for route in routes)


async def test_database_sources(client: httpx.AsyncClient) -> None:
    samples = await _scrape(client)
    assert samples[("schoolit_database_up", ())] == 1
    assert samples[("schoolit_migrations_pending", ())] == 0
    assert samples[("schoolit_build_info", (("version", metrics.__version__),))] == 1
    ups = {dict(labels)["source"]: value for (name, labels), value in samples.items()
           if name == "schoolit_metrics_source_up"}
    assert ups and set(ups) == set(metrics.SOURCES) and set(ups.values()) == {1.0}


async def test_registry_hook_for_domains(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A domain adds a scrape-time gauge with one decorator; a failing one does not break the scrape."""
    from schoolit.sql import fetch

    monkeypatch.setattr(metrics, "SOURCES", dict(metrics.SOURCES))

    @metrics.gauge_source("schoolit_test_counties", "Counties by federal state", ("state",))
    async def counties() -> metrics.Samples:
        rows = await fetch("SELECT state, count(*) AS n FROM county GROUP BY state")
        return [((row["state"],), row["n"]) for row in rows]

    @metrics.gauge_source("schoolit_test_broken", "Always fails")
    async def broken() -> metrics.Samples:
        raise RuntimeError("boom")

    await fetch("INSERT INTO county (name, slug, state, ags, seat, created_at) "
                "VALUES ('Metrikkreis', 'metrikkreis', 'SL', '10999', '', now())")
    samples = await _scrape(client)
    expected = await fetch("SELECT count(*) AS n FROM county WHERE state = 'SL'")
    assert samples[("schoolit_test_counties", (("state", "SL"),))] == expected[0]["n"] >= 1
    assert samples[("schoolit_metrics_source_up", (("source", "schoolit_test_broken"),))] == 0
    assert samples[("schoolit_metrics_source_up", (("source", "schoolit_test_counties"),))] == 1
    assert samples[("schoolit_database_up", ())] == 1
    with pytest.raises(ValueError, match="already registered"):
        metrics.gauge_source("schoolit_test_counties", "again")(counties)


@pytest.fixture
async def remote_client(app: Litestar, database: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_hidden_from_clients_outside_metrics_allow(remote_client: httpx.AsyncClient) -> None:
    denied = await remote_client.get("/metrics")
    unknown = await remote_client.get("/no-such-page")
    assert denied.status_code == unknown.status_code == 404
    assert denied.headers["content-type"] == unknown.headers["content-type"]
    assert "schoolit_http_requests_total" not in denied.text


async def test_metrics_allow_setting(settings: Settings, database: str) -> None:
    configured = dataclasses.replace(settings, metrics_allow=(ipaddress.ip_network("203.0.113.0/24"),))
    app = create_app(configured, manage_database=False)
    for client_host, status in (("203.0.113.7", 200), ("127.0.0.1", 404), ("198.51.100.1", 404)):
        transport = httpx.ASGITransport(app=app, client=(client_host, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            assert (await http.get("/metrics")).status_code == status, client_host


def test_workers_share_their_counts(database: str, tmp_path: Path) -> None:
    """With `serve --workers 2`, whichever worker answers the scrape reports the requests of both."""
    requests = 40
    with running_server({"DATA_DIR": str(tmp_path)}, "--workers", "2") as base:
        for _ in range(requests):  # a new connection each time, so both workers get some
            assert httpx.get(base + "/health", timeout=5).status_code == 200
        scrapes = [_parse(httpx.get(base + "/metrics", timeout=5).text) for _ in range(6)]
    # +1 for the readiness probe of running_server
    assert {_requests(samples, "/health") for samples in scrapes} == {requests + 1}


async def test_domain_metrics_ingest_tickets_and_probes(client: httpx.AsyncClient, world: World) -> None:
    """The domains' own series: ingest batches and samples, open tickets by county, probe last contact."""
    import datetime as dt
    import uuid

    from tests.integration.probes.network import build_network

    network = await build_network(world)
    before = await _scrape(client)
    sample = {"asset_kind": "access_point", "asset_id": network.access_points["kib"][0], "reachable": True,
              "polled_at": dt.datetime.now(dt.UTC).isoformat(), "uptime_ticks": 100}
    for key in (uuid.uuid4(), uuid.uuid4()):
        body = {"idempotency_key": str(key), "sent_at": sample["polled_at"], "samples": [sample]}
        assert (await client.post("/api/v1/probe/samples", json=body, headers=world.auth("probe"))).status_code == 200
    foreign = {**sample, "asset_id": network.access_points["lb"][0]}
    refused = await client.post("/api/v1/probe/samples", headers=world.auth("probe"), json={
        "idempotency_key": str(uuid.uuid4()), "sent_at": sample["polled_at"], "samples": [sample, foreign]})
    assert refused.status_code == 200 and len(refused.json()["refused"]) == 1
    after = await _scrape(client)

    def grew(name: str, labels: tuple[tuple[str, str], ...] = ()) -> float:
        return after.get((name, labels), 0.0) - before.get((name, labels), 0.0)

    assert grew("schoolit_ingest_batches_total", (("result", "stored"),)) == 3
    assert grew("schoolit_ingest_samples_total") == 3
    assert grew("schoolit_ingest_refused_samples_total") == 1
    open_in_kusel = after[("schoolit_open_tickets", (("county", "kusel"), ("status", "new")))]
    assert open_in_kusel >= 1  # the tickets world extension opened one at the Kusel school
    ages = [v for (name, labels), v in after.items() if name == "schoolit_probe_last_seen_seconds"]
    assert ages and min(ages) < 60
    # Stored, not derived yet (no worker runs under the test client): the backlog shows them until derived.
    assert after[("schoolit_ingest_derivation_backlog", (("unit", "batches"),))] == 3
    assert after[("schoolit_ingest_derivation_backlog", (("unit", "samples"),))] == 3
    from schoolit.probes.derivation import derive_pending

    await derive_pending()
    derived = await _scrape(client)
    assert derived[("schoolit_ingest_derivation_backlog", (("unit", "batches"),))] == 0
    assert derived[("schoolit_ingest_derivation_backlog", (("unit", "samples"),))] == 0
