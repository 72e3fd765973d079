"""The tickets domain's scheduled jobs (`schoolit.jobs`): SLA breaches and 80 % warnings flagged every
five minutes, resolved tickets closed after their policy's close-after days (checked hourly)."""

from __future__ import annotations

import datetime as dt

from schoolit.accounts.scope import Scope
from schoolit.jobs import Job
from schoolit.tickets import services
from schoolit.web.i18n import N_

SYSTEM = Scope.system("maintenance")


async def sla() -> str:
    breached = await services.flag_breaches(SYSTEM)
    warned = await services.flag_warnings(SYSTEM)
    return f"flagged {breached} ticket(s) as SLA breached, {warned} at 80 % of the resolution time"


async def close_resolved() -> str:
    return f"closed {await services.close_resolved(SYSTEM)} resolved ticket(s)"


JOBS = (
    Job("sla-breaches", dt.timedelta(minutes=5), sla, N_("Flag SLA breaches and 80 % warnings")),
    Job("close-resolved", dt.timedelta(hours=1), close_resolved, N_("Close resolved tickets")),
)
