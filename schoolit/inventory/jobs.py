"""The inventory's scheduled job (`schoolit.jobs`): pupil references erased a year after the school year
in which their loan ended (audited as `retention`)."""

from __future__ import annotations

import datetime as dt

from schoolit.accounts.scope import Scope
from schoolit.inventory import services
from schoolit.jobs import Job, outcome
from schoolit.kernel.i18n import N_


async def retention(today: dt.date | None = None) -> str:
    report = await services.erase_pupil_references(Scope.system("retention"), today)
    return outcome(N_("pupil references erased: %(erased)s (loans that ended on or before %(cutoff)s)"),
                   erased=report.erased, cutoff=f"{report.cutoff:%Y-%m-%d}")


JOBS = (Job("retention", dt.timedelta(days=1), retention, N_("Erase pupil references after the retention period")),)
