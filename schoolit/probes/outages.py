"""What happens after ingest: the probe is seen, and assets that stay down open outage tickets.

Opening and resolving tickets is the tickets domain's job (`schoolit.tickets.services`); this module
only decides when. Until the tickets domain offers that service, transitions are logged.
"""

from __future__ import annotations

from schoolit.accounts.scope import Scope
from schoolit.db import fetch
from schoolit.logs import get_logger
from schoolit.probes.ingest import IngestResult

log = get_logger("schoolit.probes")


async def touch_probe(scope: Scope) -> None:
    """Record that the probe talked to us (for 'probe last seen' in dashboards and metrics)."""
    if scope.actor.id is not None:
        await fetch("UPDATE probe SET last_seen_at = now() WHERE id = {}", scope.actor.id)


async def after_ingest(scope: Scope, result: IngestResult) -> None:
    await touch_probe(scope)
    if result.transitions.down or result.transitions.back:
        log.info("asset transitions", down=len(result.transitions.down), back=len(result.transitions.back))
