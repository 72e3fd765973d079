"""The accounts domain's scheduled job (`schoolit.jobs`): ended login sessions and old login failures."""

from __future__ import annotations

import datetime as dt

from schoolit.accounts import services
from schoolit.jobs import Job
from schoolit.settings import get_settings
from schoolit.web.i18n import N_


async def sessions() -> str:
    idle = dt.timedelta(minutes=get_settings().session_idle_minutes)
    ended, failures = await services.prune_sessions(idle)
    return f"ended sessions removed: {ended}; old login failures removed: {failures}"


JOBS = (Job("sessions", dt.timedelta(hours=1), sessions, N_("Remove ended login sessions")),)
