"""The probes' scheduled jobs (`schoolit.jobs`): day partitions of the samples created ahead (hourly),
samples and rollups past their retention dropped (daily), silent probes' tickets (every 5 minutes)."""

from __future__ import annotations

import datetime as dt

from schoolit.accounts.scope import Scope
from schoolit.jobs import Job, outcome
from schoolit.kernel.i18n import N_
from schoolit.probes import health, partitions
from schoolit.settings import get_settings

DAYS_AHEAD = 3


async def make_partitions(days_ahead: int = DAYS_AHEAD) -> str:
    created = await partitions.ensure_partitions(days_ahead=days_ahead)
    return outcome(N_("sample partitions: %(created)s created"), created=created)


async def expire_samples() -> str:
    settings = get_settings()
    expired = await partitions.drop_expired(raw_days=settings.probe_raw_retention_days,
                                            hourly_days=settings.probe_hourly_retention_days,
                                            ap_hourly_days=settings.probe_ap_hourly_retention_days,
                                            daily_days=settings.probe_daily_retention_days)
    return outcome(N_("expired sample partitions dropped: %(partitions)s; stray samples: %(stray)s; hourly rollups: "
                      "%(hourly)s; daily rollups: %(daily)s; batch keys: %(batches)s"),
                   partitions=expired.partitions, stray=expired.default_rows, hourly=expired.hourly_rows,
                   daily=expired.daily_rows, batches=expired.batches)


async def silent_probes() -> str:
    opened, resolved = await health.check_silent_probes(Scope.system("probe-silence"))
    return outcome(N_("silent probes: tickets opened: %(opened)s, resolved: %(resolved)s"),
                   opened=opened, resolved=resolved)


JOBS = (
    Job("partitions", dt.timedelta(hours=1), make_partitions, N_("Create sample partitions ahead")),
    Job("samples", dt.timedelta(days=1), expire_samples, N_("Drop samples past their retention")),
    Job("silent-probes", dt.timedelta(minutes=5), silent_probes, N_("Open tickets for probes gone silent")),
)
