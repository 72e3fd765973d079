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
    if result.assets:
        down = await fetch(
            "SELECT count(*) AS n FROM probe_asset_state WHERE (asset_kind, asset_id) IN "
            "(SELECT * FROM unnest({}::smallint[], {}::integer[])) AND NOT reachable",
            [int(kind) for kind, _ in result.assets], [asset_id for _, asset_id in result.assets])
        if down[0]["n"]:
            log.info("assets down after ingest", down=down[0]["n"])
