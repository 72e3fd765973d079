"""The accounts domain's scheduled jobs (`schoolit.jobs`): ended login sessions and old login failures;
the directory sync of single sign-on (schoolit.accounts.sso.jobs)."""

from __future__ import annotations

import datetime as dt

from schoolit.accounts.sessions import prune_sessions
from schoolit.accounts.sso import jobs as sso_jobs
from schoolit.jobs import Job, outcome
from schoolit.kernel.i18n import N_
from schoolit.settings import get_settings


async def sessions() -> str:
    idle = dt.timedelta(minutes=get_settings().session_idle_minutes)
    ended, failures = await prune_sessions(idle)
    return outcome(N_("ended sessions removed: %(ended)s; old login failures removed: %(failures)s"),
                   ended=ended, failures=failures)


JOBS = (Job("sessions", dt.timedelta(hours=1), sessions, N_("Remove ended login sessions")), *sso_jobs.JOBS)
