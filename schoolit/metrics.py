"""Prometheus metrics at `/metrics`: HTTP requests by route template, and a hook for the domains.

Domains add metrics with one line each, in two ways:

- *live instruments*, updated where things happen (they work with several workers, see below)::

      INGEST_BATCHES = metrics.counter("schoolit_ingest_batches_total", "Sample batches received", ("county",))
      INGEST_BATCHES.labels(county.slug).inc()

- *scrape-time gauges*, read from the database when Prometheus scrapes (one async function each)::

      @metrics.gauge_source("schoolit_open_tickets", "Open tickets by county", ("county",))
      async def open_tickets() -> metrics.Samples:
          return [((r["slug"],), r["n"]) for r in await fetch("SELECT ... GROUP BY slug")]

  A source that fails or times out does not fail the scrape: `schoolit_metrics_source_up{source=...}`
  turns 0 and the error is logged.

Labels must have bounded values (route templates, county slugs, statuses), never raw paths or ids.

Only clients in `METRICS_ALLOW` (default: loopback) are answered; everyone else gets the same 404 as an
unknown path. With `schoolit serve --workers N` (N > 1) the counters are shared between the workers
through prometheus_client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, set up by `prepare_workers`).
"""

from __future__ import annotations

import asyncio
import atexit
import ipaddress
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from schoolit import __version__
from schoolit.logs import get_logger
from schoolit.settings import Network

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
SOURCE_TIMEOUT = 5.0
UNMATCHED_ROUTE = "<unmatched>"

Samples = Iterable[tuple[Sequence[str], float]]
SourceFunction = Callable[[], Awaitable[Samples]]

log = get_logger("schoolit.metrics")

# `*_created` series double the output and no dashboard of ours reads them.
disable_created_metrics()

# Our own registry, not prometheus_client's global one: no process/platform noise from imports of
# other libraries, and tests can read exactly what the app exports.
REGISTRY = CollectorRegistry(auto_describe=True)


def counter(name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
    """A counter in schoolit's registry (`name` should end in `_total`)."""
    return Counter(name, documentation, labelnames=tuple(labels), registry=REGISTRY)


def histogram(name: str, documentation: str, labels: Sequence[str] = (),
              buckets: Sequence[float] = Histogram.DEFAULT_BUCKETS) -> Histogram:
    """A histogram in schoolit's registry (`name` should end in the unit, e.g. `_seconds`)."""
    return Histogram(name, documentation, labelnames=tuple(labels), registry=REGISTRY, buckets=tuple(buckets))


HTTP_REQUESTS = counter("schoolit_http_requests_total", "HTTP requests answered, by method, route template and status",
                        ("method", "route", "status"))
HTTP_DURATION = histogram("schoolit_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
                          ("method", "route"),
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))


def observe_request(scope: Any, status: int, seconds: float) -> None:
    """Count one answered request. The route is Litestar's path template (`/schools/{id:int}`), never
    the raw path, so the number of series stays bounded whatever clients ask for."""
    route = scope.get("path_template") or UNMATCHED_ROUTE
    method = scope.get("method", "")
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_DURATION.labels(method, route).observe(seconds)


@dataclass(frozen=True)
class GaugeSource:
    """A gauge whose samples an async function computes at scrape time."""

    name: str
    documentation: str
    labels: tuple[str, ...]
    fetch: SourceFunction

    async def collect(self) -> GaugeMetricFamily:
        family = GaugeMetricFamily(self.name, self.documentation, labels=self.labels)
        async with asyncio.timeout(SOURCE_TIMEOUT):
            samples = await self.fetch()
        for label_values, value in samples:
            family.add_metric([str(v) for v in label_values], float(value))
        return family


SOURCES: dict[str, GaugeSource] = {}


def gauge_source(name: str, documentation: str,
                 labels: Sequence[str] = ()) -> Callable[[SourceFunction], SourceFunction]:
    """Decorator: register an async function returning `[(label values, value), ...]` as a gauge."""

    def register(fetch: SourceFunction) -> SourceFunction:
        if name in SOURCES:
            raise ValueError(f"metric {name} is already registered")
        SOURCES[name] = GaugeSource(name, documentation, tuple(labels), fetch)
        return fetch

    return register


@gauge_source("schoolit_build_info", "schoolit version running in this process", ("version",))
async def _build_info() -> Samples:
    return [((__version__,), 1.0)]


@gauge_source("schoolit_database_up", "1 when the database answers a trivial query")
async def _database_up() -> Samples:
    from schoolit import db

    return [((), 1.0 if await db.ping() else 0.0)]


@gauge_source("schoolit_migrations_pending", "Database migrations not yet applied (run `schoolit migrate`)")
async def _migrations_pending() -> Samples:
    from schoolit.migrations import pending_migrations

    return [((), float(len(await pending_migrations(read_only=True))))]


async def _collect_sources() -> list[Metric]:
    families: list[Metric] = []
    up = GaugeMetricFamily("schoolit_metrics_source_up", "1 when a scrape-time metric source answered",
                           labels=("source",))
    for source in SOURCES.values():
        try:
            families.append(await source.collect())
            up.add_metric([source.name], 1.0)
        except Exception as exc:  # one broken source must not hide all other metrics
            log.warning("metric source failed", source=source.name, error=repr(exc))
            up.add_metric([source.name], 0.0)
    return [*families, up]


class _Snapshot:
    """A collector that hands out families computed beforehand (the async sources)."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


async def render() -> bytes:
    """The whole exposition in Prometheus text format."""
    if os.environ.get(MULTIPROC_ENV):
        # Every worker writes its values to files in the directory; any worker can sum them up.
        instruments = CollectorRegistry(auto_describe=True)
        MultiProcessCollector(instruments)
    else:
        instruments = REGISTRY
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_Snapshot(await _collect_sources()))
    return generate_latest(instruments) + generate_latest(scraped)


def client_allowed(host: str | None, allowed: Sequence[Network]) -> bool:
    """True when the client address lies in one of the allowed networks."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in allowed)


def metrics_handler(allowed: Sequence[Network], opt: dict[str, Any] | None = None) -> HTTPRouteHandler:
    """`GET /metrics`, answered only to clients in `allowed` (404 for everyone else); `opt` carries the
    route's access declaration (schoolit.kernel.access)."""

    @get("/metrics", name="metrics", include_in_schema=False, opt=opt or {})
    async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
        if not client_allowed(request.client.host if request.client else None, allowed):
            raise NotFoundException()
        return Response(await render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return metrics


def prepare_workers(workers: int) -> None:
    """Before uvicorn starts several workers: give them one fresh directory to share counters through.

    An operator may set PROMETHEUS_MULTIPROC_DIR themselves; it is emptied here because files of dead
    processes from an earlier run would be added to the new run's counts.
    """
    if workers <= 1:
        return
    configured = os.environ.get(MULTIPROC_ENV)
    if configured:
        for entry in os.scandir(configured):
            if entry.name.endswith(".db"):
                os.unlink(entry.path)
        return
    directory = tempfile.mkdtemp(prefix="schoolit-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
