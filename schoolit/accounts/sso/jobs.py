"""The directory sync as a scheduled job (`schoolit.jobs`): daily, also `schoolit sso sync`."""

from __future__ import annotations

import datetime as dt

from schoolit.accounts.sso import services
from schoolit.jobs import Job, outcome
from schoolit.kernel.i18n import N_


class DirectoryUnreachable(Exception):
    """A directory could not be read: the run fails (and is retried) after disabling nobody there."""


async def sync() -> str:
    report = await services.sync_directories()
    message = N_("directory accounts checked: %(checked)s; disabled: %(disabled)s; "
                 "moved to another role or scope: %(updated)s")
    values = {"checked": report.checked, "disabled": report.disabled, "updated": report.updated}
    if report.errors:
        raise DirectoryUnreachable(f"{message % values}; {'; '.join(report.errors)}")
    return outcome(message, **values)


SYNC = Job("sso-sync", dt.timedelta(days=1), sync, N_("Disable directory accounts that left or lost their group"))
JOBS = (SYNC,)
