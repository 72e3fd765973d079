"""`schoolit maintenance retention`: the inventory's jobs on the command line.

The retention job (`schoolit.inventory.jobs`, run daily by the server's scheduler) erases pupil
references one year after the end of the school year in which a loan ended, acting as the system
(audited as `retention`); the command runs it now. It is idempotent and prints what it did.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
from typing import Any

from schoolit.commandline import job_command
from schoolit.inventory import jobs as scheduled


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError("a date like 2027-08-01") from None


def register_maintenance(jobs: Any) -> None:
    """`schoolit maintenance retention`."""
    job = jobs.add_parser(
        "retention", help="erase pupil references one year after the school year the loan ended in",
        description="Erase the pupil reference of every loan that ended in a school year (ending 31 July) "
                    "which closed at least a year ago, and write the audit log. Safe to run again.")
    job.add_argument("--today", type=_day, default=None, metavar="YYYY-MM-DD",
                     help="act as if today were this day (default: today)")
    job.set_defaults(handler=job_command(scheduled.JOBS[0],
                                         lambda args: functools.partial(scheduled.retention, args.today)))
