"""The probes' panel on the start page (schoolit.web.start): for admins, every probe's last contact,
the silent ones first, from the probe health service with the caller's Scope."""

from __future__ import annotations

from schoolit.accounts.choices import Role
from schoolit.accounts.scope import Scope
from schoolit.kernel.i18n import gettext
from schoolit.kernel.start import Panel
from schoolit.probes import health

LIMIT = 10


async def panels(scope: Scope) -> list[Panel]:
    if scope.role != Role.ADMIN:
        return []
    probes = await health.probe_statuses(scope)
    silent = [p for p in probes if p["silent"] or (p["active"] and p["last_seen_at"] is None)]
    shown = (silent + [p for p in probes if p not in silent])[:LIMIT]
    return [Panel(order=20, title=gettext("Probes"), template="probes/_start_probes.html",
                  context={"probes": shown, "silent": len(silent), "total": len(probes)}, link="/probes",
                  testid="start-probes")]
