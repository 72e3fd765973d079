"""`schoolit maintenance partitions|samples|silent-probes|derive`: sample partitions ahead, retention
behind, tickets for silent probes, and the derivation of stored batches without a running server."""

from __future__ import annotations

import argparse
import functools
from typing import Any

from schoolit.commandline import job_command, with_database
from schoolit.kernel.i18n import counted
from schoolit.probes import derivation
from schoolit.probes import jobs as scheduled

MAX_DAYS_AHEAD = 60  # a day partition each: a typo like 3000 would create thousands of tables


def _days_ahead(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number from 0 to {MAX_DAYS_AHEAD}, not {value!r}") from None
    if not 0 <= days <= MAX_DAYS_AHEAD:
        raise argparse.ArgumentTypeError(f"a whole number from 0 to {MAX_DAYS_AHEAD}, not {days}")
    return days


async def derive(args: argparse.Namespace) -> int:
    derived = await derivation.derive_pending()
    print(f"derived: {counted(derived.batches, 'batch', 'batches')}, {counted(derived.samples, 'sample', 'samples')}")
    return 0


def register_maintenance(jobs: Any) -> None:
    """Add the probes' maintenance jobs."""
    handler = with_database

    make = jobs.add_parser("partitions", help="create the daily sample partitions ahead",
                           description="Create the day partitions of the sample table from yesterday to N days ahead.")
    make.add_argument("--days-ahead", type=_days_ahead, default=scheduled.DAYS_AHEAD, metavar="N",
                      help=f"0 to {MAX_DAYS_AHEAD} (default {scheduled.DAYS_AHEAD})")
    make.set_defaults(handler=job_command(
        scheduled.JOBS[0], lambda args: functools.partial(scheduled.make_partitions, args.days_ahead)))
    expire = jobs.add_parser("samples", help="drop samples and rollups past their retention",
                             description="Drop raw sample partitions older than PROBE_RAW_RETENTION_DAYS and "
                                         "rollups older than PROBE_HOURLY/AP_HOURLY/DAILY_RETENTION_DAYS.")
    expire.set_defaults(handler=job_command(scheduled.JOBS[1]))
    silent = jobs.add_parser("silent-probes", help="open (resolve) tickets for probes gone silent (back)",
                             description="Open a ticket for each probe that has not talked to the server for "
                                         "PROBE_SILENT_AFTER_MINUTES; resolve those of probes that are back.")
    silent.set_defaults(handler=job_command(scheduled.JOBS[2]))
    derive_job = jobs.add_parser("derive", help="derive state, rollups and outages from stored batches",
                                 description="Derive state, rollups and outage tickets from every stored batch not "
                                             "derived yet (the server does this by itself while it runs).")
    derive_job.set_defaults(handler=handler(derive))
