"""Probe metrics for /metrics: ingest batches and samples as they arrive, derivation passes and backlog,
each probe's last contact and its last reported run."""

from __future__ import annotations

from schoolit import metrics
from schoolit.accounts import directory
from schoolit.sql import fetch

INGEST_BATCHES = metrics.counter("schoolit_ingest_batches_total", "Sample batches received, by outcome",
                                 ("result",))
INGEST_SAMPLES = metrics.counter("schoolit_ingest_samples_total", "Samples stored")
INGEST_REFUSED_SAMPLES = metrics.counter("schoolit_ingest_refused_samples_total",
                                         "Samples refused (unknown or foreign assets); the rest of their batch stored")
DERIVATION_PASS_BATCHES = metrics.histogram("schoolit_derivation_pass_batches", "Batches one derivation pass took in",
                                            buckets=(1, 2, 5, 10, 20, 50, 100, 1000))
DERIVATION_PASS_SECONDS = metrics.histogram("schoolit_derivation_pass_seconds", "Time of one derivation pass",
                                            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))


@metrics.gauge_source("schoolit_probe_last_seen_seconds", "Seconds since each probe last talked to the server",
                      ("county", "probe"))
async def probe_last_seen() -> metrics.Samples:
    return [((row["county"], row["name"]), float(row["age"])) for row in await directory.probes_last_seen()]


@metrics.gauge_source("schoolit_probe_last_run", "Each probe's last reported run: targets, reachable, failed, "
                      "refused samples, damaged spool entries, and its age in seconds", ("county", "probe", "figure"))
async def probe_last_run() -> metrics.Samples:
    rows = await fetch("SELECT c.slug, p.name, r.targets, r.reachable, r.failed, r.samples_refused, r.spool_damaged, "
                       "extract(epoch FROM now() - r.started_at) AS age_seconds FROM probe_run r "
                       "JOIN probe_directory p ON p.id = r.probe_id JOIN county_directory c ON c.id = p.county_id "
                       "WHERE p.active")
    figures = ("targets", "reachable", "failed", "samples_refused", "spool_damaged", "age_seconds")
    return [((row["slug"], row["name"], figure), float(row[figure])) for row in rows for figure in figures]


@metrics.gauge_source("schoolit_ingest_derivation_backlog", "Batches and samples stored but not derived yet",
                      ("unit",))
async def derivation_backlog() -> metrics.Samples:
    rows = await fetch("SELECT count(*) AS batches, coalesce(sum(samples), 0) AS samples "
                       "FROM probe_ingest_batch WHERE derived_at IS NULL")  # a partial index keeps this cheap
    return [(("batches",), float(rows[0]["batches"])), (("samples",), float(rows[0]["samples"]))]
