"""`schoolit maintenance partitions|samples|derive`: sample partitions ahead, retention behind, and the
derivation of stored batches without a running server."""

from __future__ import annotations

import argparse
from typing import Any

from schoolit.commandline import with_database
from schoolit.probes import derivation, partitions
from schoolit.settings import get_settings


async def make_partitions(args: argparse.Namespace) -> int:
    created = await partitions.ensure_partitions(days_ahead=args.days_ahead)
    print(f"sample partitions: {created} created")
    return 0


async def expire_samples(args: argparse.Namespace) -> int:
    settings = get_settings()
    expired = await partitions.drop_expired(raw_days=settings.probe_raw_retention_days,
                                            hourly_days=settings.probe_hourly_retention_days,
                                            ap_hourly_days=settings.probe_ap_hourly_retention_days,
                                            daily_days=settings.probe_daily_retention_days)
    print(f"expired: {expired.partitions} sample partitions, {expired.default_rows} stray samples, "
          f"{expired.hourly_rows} hourly and {expired.daily_rows} daily rollups, {expired.batches} batch keys")
    return 0


async def derive(args: argparse.Namespace) -> int:
    derived = await derivation.derive_pending()
    print(f"derived: {derived.batches} batches, {derived.samples} samples")
    return 0


def register_maintenance(jobs: Any) -> None:
    """Add the probes' maintenance jobs."""
    handler = with_database

    make = jobs.add_parser("partitions", help="create the daily sample partitions ahead",
                           description="Create the day partitions of the sample table from yesterday to N days ahead.")
    make.add_argument("--days-ahead", type=int, default=3, metavar="N")
    make.set_defaults(handler=handler(make_partitions))
    expire = jobs.add_parser("samples", help="drop samples and rollups past their retention",
                             description="Drop raw sample partitions older than PROBE_RAW_RETENTION_DAYS and "
                                         "rollups older than PROBE_HOURLY/AP_HOURLY/DAILY_RETENTION_DAYS.")
    expire.set_defaults(handler=handler(expire_samples))
    derive_job = jobs.add_parser("derive", help="derive state, rollups and outages from stored batches",
                                 description="Derive state, rollups and outage tickets from every stored batch not "
                                             "derived yet (the server does this by itself while it runs).")
    derive_job.set_defaults(handler=handler(derive))
