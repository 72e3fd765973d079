"""Ticket metrics for /metrics: open tickets by county and status, read when Prometheus scrapes."""

from __future__ import annotations

from schoolit import metrics
from schoolit.db import fetch


@metrics.gauge_source("schoolit_open_tickets", "Tickets not yet closed, by county and status", ("county", "status"))
async def open_tickets() -> metrics.Samples:
    rows = await fetch("SELECT c.slug, t.status, count(*) AS n FROM ticket t JOIN county c ON c.id = t.county_id "
                       "WHERE t.status <> 'closed' GROUP BY c.slug, t.status")
    return [((row["slug"], row["status"]), float(row["n"])) for row in rows]
