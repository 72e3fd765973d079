"""`schoolit maintenance retention`: the inventory's jobs on the command line.

Commands act as the system (audited as `retention`). The retention job erases pupil references one
year after the end of the school year in which a loan ended; run it daily (cron or a systemd timer):
it is idempotent and prints what it did.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from schoolit.accounts.scope import Scope
from schoolit.commandline import with_database
from schoolit.inventory import services


async def retention(args: argparse.Namespace) -> int:
    report = await services.erase_pupil_references(Scope.system("retention"), args.today)
    print(f"pupil references erased: {report.erased} (loans that ended on or before {report.cutoff:%Y-%m-%d})")
    for county_id, count in report.by_county.items():
        print(f"  county {county_id}: {count}")
    return 0


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
    job.set_defaults(handler=with_database(retention))
