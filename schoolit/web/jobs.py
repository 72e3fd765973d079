"""`/admin/jobs`: the scheduled jobs (schoolit.jobs) — interval, last run, duration, outcome, next due
time — for admins, with a "run now" button that makes a job due (the next scheduler tick runs it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from schoolit import jobs
from schoolit.kernel import navigation, start
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import N_, gettext, ngettext
from schoolit.kernel.times import berlin_time
from schoolit.settings import get_settings

ACCESS = requires(Permission.JOBS_MANAGE)

navigation.register(navigation.NavItem("/admin/jobs", N_("Scheduled jobs"), Permission.JOBS_MANAGE))


def _when(moment: dt.datetime | None) -> str:
    return berlin_time(moment, seconds=True, zone=False)


def _interval(every: dt.timedelta) -> str:
    seconds = int(every.total_seconds())
    if seconds % 86400 == 0:
        return ngettext("every day", "every %(num)s days", seconds // 86400)
    if seconds % 3600 == 0:
        return ngettext("every hour", "every %(num)s hours", seconds // 3600)
    if seconds % 60 == 0:
        return ngettext("every minute", "every %(num)s minutes", seconds // 60)
    return ngettext("every second", "every %(num)s seconds", seconds)


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s".replace(".", ",")


async def _rows() -> list[dict[str, Any]]:
    records = await jobs.job_runs()
    rows = []
    for job in jobs.registered():
        record = records.get(job.name, {})
        rows.append({
            "name": job.name, "label": gettext(job.label) if job.label else job.name, "every": _interval(job.every),
            "running": record.get("running_since") is not None, "ok": record.get("last_ok"),
            "started": _when(record.get("last_started_at")), "duration": _seconds(record.get("last_duration_seconds")),
            "outcome": jobs.outcome_text(record.get("last_outcome") or ""), "error": record.get("last_error") or "",
            "success": _when(record.get("last_success_at")), "next": _when(record.get("next_due_at")),
            "failures_in_row": record.get("failures_in_row") or 0, "runs": record.get("runs") or 0,
            "where": record.get("running_on") or "",
        })
    return rows


async def start_panels(scope: Any) -> list[start.Panel]:
    """Admins' start page: the scheduled jobs that failed last time or never succeeded, and a count of
    the healthy ones."""
    if not scope.can(Permission.JOBS_MANAGE):
        return []
    rows = await _rows()
    failing = [row for row in rows if row["ok"] is False]
    return [start.Panel(order=10, title=gettext("Scheduled jobs"), template="web/_start_jobs.html",
                        context={"failing": failing, "healthy": sum(1 for row in rows if row["ok"]),
                                 "total": len(rows), "scheduler_on": get_settings().scheduler},
                        link="/admin/jobs", testid="start-jobs")]


class JobsPage(Controller):
    path = "/admin/jobs"
    include_in_schema = False

    @get("/", name="admin_jobs", opt=ACCESS)
    async def page(self, requested: FromQuery[str | None] = None) -> Template:
        return Template("web/jobs.html", context={
            "jobs": await _rows(), "scheduler_on": get_settings().scheduler,
            "requested": requested if jobs.get(requested or "") else None,
        })

    @post("/{job:str}/run", opt=ACCESS, status_code=303)
    async def run_now(self, job: FromPath[str]) -> Redirect:
        if jobs.get(job) is None or not await jobs.request_run(job):
            raise NotFoundException()
        return Redirect(path=f"/admin/jobs?requested={job}", status_code=303)
