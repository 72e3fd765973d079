"""The probes' own health: each probe's last run as the server saw it, and silent probes' tickets.

`probe_statuses` lists per probe its last contact and its last reported run (targets, answered,
failed, refused samples, spool entries replayed and set aside), for the network team (API, the page
`/probes` and /metrics).

Probes that go silent get a ticket of their own, resolved when they are back.

A probe that stops (its host is off, cron is broken, the token was revoked, a run hangs) sends
nothing, so none of its assets' outages can open: silence itself must be noticed. A probe that has
talked to the server before and has not for `PROBE_SILENT_AFTER_MINUTES` gets one ticket (source
probe), remembered in its `probe_run` row; when it talks again, the ticket gets a public comment and is
resolved (unless a person worked on it), like an outage ticket.

The ticket needs a school: a school's probe files it there; a county's central probe files it at the
school with most of its polled assets (where its silence hurts most). A county probe that has never
polled anything has no such school and is only logged.

`check_silent_probes` is the scheduled job `silent-probes` (`schoolit.probes.jobs`, every five
minutes: probes post every few minutes, silence is a matter of half hours); the scheduler runs a job
once in the whole installation, and an advisory lock keeps a second caller (the command line) from
opening a ticket twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.kernel.access import Permission
from schoolit.kernel.times import berlin_time
from schoolit.logs import get_logger
from schoolit.settings import get_settings
from schoolit.sql import fetch, lock
from schoolit.tickets import outages as tickets

log = get_logger("schoolit.probes")
CATEGORY = "WLAN/Netzwerk"
_LOCK = "probe-silence"

_CANDIDATES = """
SELECT p.id, p.name, p.county_id, p.school_id, p.last_seen_at, r.silence_ticket_id,
       coalesce(p.school_id, (SELECT s.school_id FROM probe_asset_state s WHERE s.probe_id = p.id
                              GROUP BY s.school_id ORDER BY count(*) DESC, s.school_id LIMIT 1)) AS ticket_school_id
  FROM probe_directory p LEFT JOIN probe_run r ON r.probe_id = p.id
 WHERE p.active AND p.last_seen_at IS NOT NULL
   AND ((r.silence_ticket_id IS NULL AND p.last_seen_at < now() - {}::interval)
        OR (r.silence_ticket_id IS NOT NULL AND p.last_seen_at >= now() - {}::interval))
"""
_STATUSES = """
SELECT p.id, p.name, p.county_id, c.name AS county_name, p.school_id, s.name AS school_name, p.active,
       p.last_seen_at, p.active AND p.last_seen_at < now() - {}::interval AS silent,
       now() - p.last_seen_at AS silent_for, r.started_at AS last_run_at, r.duration_s AS last_run_seconds,
       r.targets, r.reachable, r.failed, r.samples_refused, r.spool_replayed, r.spool_damaged, r.version,
       r.silence_ticket_id
  FROM probe_directory p LEFT JOIN probe_run r ON r.probe_id = p.id
  JOIN county_directory c ON c.id = p.county_id LEFT JOIN school_directory s ON s.id = p.school_id
 WHERE {} ORDER BY c.name, p.name, p.id
"""


def silent_after_interval() -> dt.timedelta:
    return dt.timedelta(minutes=get_settings().probe_silent_after_minutes)


async def _remember(probe_id: int, ticket_id: int | None, since: Any) -> None:
    # A probe silent since before it ever reported a run has no row yet: the ticket makes one.
    await fetch("INSERT INTO probe_run (probe_id, started_at, silence_ticket_id) VALUES ({}, {}, {}) "
                "ON CONFLICT (probe_id) DO UPDATE SET silence_ticket_id = EXCLUDED.silence_ticket_id",
                probe_id, since, ticket_id)


async def check_silent_probes(scope: Scope) -> tuple[int, int]:
    """Open a ticket for each probe silent too long, resolve those of probes that are back; how many
    tickets were opened and resolved. `scope` is the system's (the scheduled job's)."""
    opened = resolved = 0
    silent_after = silent_after_interval()
    async with atomic():
        await lock(_LOCK)
        for probe in await fetch(_CANDIDATES, silent_after, silent_after):
            if probe["silence_ticket_id"] is not None:
                await tickets.resolve_outage_ticket(
                    scope, probe["silence_ticket_id"], f"Die Sonde „{probe['name']}“ meldet sich wieder.")
                await _remember(probe["id"], None, probe["last_seen_at"])
                log.info("probe back", probe_id=probe["id"], ticket_id=probe["silence_ticket_id"])
                resolved += 1
                continue
            if probe["ticket_school_id"] is None:
                log.warning("probe silent, no school to file a ticket at", probe_id=probe["id"])
                continue
            seen = berlin_time(probe["last_seen_at"], zone=False)
            ticket = await tickets.open_probe_ticket(
                scope, school_id=probe["ticket_school_id"], category=CATEGORY,
                summary=f"Sonde „{probe['name']}“ meldet sich nicht mehr "
                        f"(zuletzt {seen}): "
                        "keine Messwerte, keine Ausfallmeldungen ihrer Geräte.")
            await _remember(probe["id"], int(ticket["id"]), probe["last_seen_at"])
            log.warning("probe silent", probe_id=probe["id"], ticket_id=ticket["id"])
            opened += 1
    return opened, resolved


async def probe_statuses(scope: Scope) -> list[dict[str, Any]]:
    """Every probe in the scope with its last contact, its last reported run and its silence ticket."""
    scope.require(Permission.INVENTORY_WRITE)
    return await fetch(_STATUSES, silent_after_interval(), scope.where("p.county_id", school="p.school_id"))
