"""The end of a ticket's retention: `TICKET_RETENTION_DAYS` after it was closed, the reporter's name and
e-mail address are erased from the ticket, and the reporter's e-mail and IP addresses in its audit rows
are replaced by stable keyed pseudonyms (`schoolit.accounts.audit.pseudonymise_ticket_reporters`), as the
public form's consent text promises. Run daily by the `ticket-retention` job; idempotent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from schoolit.accounts import audit
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import Forbidden
from schoolit.settings import get_settings
from schoolit.sql import fetch


@dataclass(frozen=True)
class ReporterRetention:
    closed_before: dt.datetime
    tickets: int  # tickets whose reporter's name and address were erased now
    audit_rows: int  # audit rows whose reporter e-mail or IP became a pseudonym now


async def erase_reporters(scope: Scope, moment: dt.datetime | None = None) -> ReporterRetention:
    """Erase the reporters of tickets closed more than `TICKET_RETENTION_DAYS` before `moment` (now)."""
    if not scope.everything:
        raise Forbidden("only the system runs the retention job")
    moment = moment or dt.datetime.now(dt.UTC)
    closed_before = moment - dt.timedelta(days=get_settings().ticket_retention_days)
    async with atomic():
        rows = await fetch("UPDATE ticket SET reporter_email = '', reporter_name = '' WHERE status = 'closed' "
                           "AND closed_at < {} AND (reporter_email <> '' OR reporter_name <> '') "
                           "RETURNING id, county_id", closed_before)
        pseudonymised = await audit.pseudonymise_ticket_reporters(closed_before)
        by_county: dict[int, list[int]] = {}
        for row in rows:
            by_county.setdefault(row["county_id"], []).append(row["id"])
        for county_id, ticket_ids in sorted(by_county.items()):
            await audit.record(scope, "ticket.retention", object_type="ticket", county_id=county_id,
                               after={"erased": len(ticket_ids), "closed_before": closed_before.isoformat(),
                                      "ticket_ids": sorted(ticket_ids)})
    return ReporterRetention(closed_before=closed_before, tickets=len(rows), audit_rows=pseudonymised)
