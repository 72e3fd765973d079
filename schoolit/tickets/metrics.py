"""Ticket metrics for /metrics: open tickets by county and status, read when Prometheus scrapes."""

from __future__ import annotations

from schoolit import metrics
from schoolit.accounts import directory
from schoolit.sql import fetch


@metrics.gauge_source("schoolit_open_tickets", "Tickets not yet closed, by county and status", ("county", "status"))
async def open_tickets() -> metrics.Samples:
    rows = await fetch("SELECT county_id, status, count(*) AS n FROM ticket WHERE status <> 'closed' "
                       "GROUP BY county_id, status")
    counties = await directory.counties_by_id(row["county_id"] for row in rows)
    return [((counties[row["county_id"]]["slug"], row["status"]), float(row["n"])) for row in rows]
