"""`schoolit inventory mdm-sync --county SLUG FILE [--dry-run] [--adopt SERIAL=SCHOOL_NUMBER ...]`: the MDM sync
(`inventory.mdm`) from the command line, scoped to one county and audited as `cli`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from schoolit.accounts import directory
from schoolit.accounts.choices import ActorKind, Role
from schoolit.accounts.scope import Actor, Scope
from schoolit.commandline import with_database
from schoolit.errors import DomainError
from schoolit.inventory import mdm
from schoolit.inventory.services.shared import school_ref_by_number
from schoolit.kernel.i18n import counted, current_locale
from schoolit.settings import get_settings


def county_scope(county_id: int) -> Scope:
    """The CLI acting for one county, with a supporter's rights there (the sync sees no other county)."""
    return Scope(role=Role.SUPPORTER, actor=Actor(ActorKind.SYSTEM, label="cli"), county_ids=frozenset({county_id}))


async def _adoptions(pairs: list[str], county_id: int) -> dict[str, int] | str:
    adopt: dict[str, int] = {}
    for pair in pairs:
        serial, _sep, number = pair.partition("=")
        school = await school_ref_by_number(number.strip())
        if not serial.strip() or school is None or school.county_id != county_id:
            return f"--adopt {pair}: no school {number.strip()!r} in this county"
        adopt[serial.strip().upper()] = school.id
    return adopt


async def mdm_sync(args: argparse.Namespace) -> int:
    current_locale.set(get_settings().default_locale)
    county_id = await directory.county_id_by_slug(args.county)
    if county_id is None:
        print(f"schoolit: error: unknown county {args.county}", file=sys.stderr)
        return 1
    try:
        data = await asyncio.to_thread(Path(args.file).read_bytes)
    except OSError as exc:
        print(f"schoolit: error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    adopt = await _adoptions(args.adopt, county_id)
    if isinstance(adopt, str):
        print(f"schoolit: error: {adopt}", file=sys.stderr)
        return 1
    try:
        report = await mdm.sync(county_scope(county_id), data, dry_run=args.dry_run, adopt=adopt)
    except DomainError as exc:
        print(f"schoolit: error: {exc.detail}", file=sys.stderr)
        return 1
    for error in report.errors:
        where = [("entry " if report.shape == "json" else "row ") + str(error.row)] if error.row else []
        where += [error.column] if error.column else []
        print(f"{', '.join(where) or 'file'}: {error.message}", file=sys.stderr)
    if not report.ok:
        print(f"{counted(len(report.errors), 'error', 'errors')}: nothing was synced", file=sys.stderr)
        return 1
    would = "would be " if args.dry_run else ""
    print(f"{report.source_label}: {counted(report.matched, 'device', 'devices')} {would}matched ({report.changed} "
          f"{would}changed, {report.adopted} {would}adopted), {len(report.unknown)} unknown to the inventory, "
          f"{report.flagged_total} not seen for {counted(report.silent_after_days, 'day', 'days')}")
    for row in report.unknown:
        print(f"unknown: {row.serial} {row.model}".rstrip())
    for row in report.disposed:
        print(f"disposed of, still in the MDM (left as it is): {row.serial}")
    if args.dry_run:
        print("dry run: nothing was written")
    return 0


def register(commands: Any) -> None:
    """`schoolit inventory mdm-sync`."""
    inventory = commands.add_parser("inventory", help="inventory tasks (MDM sync)",
                                    description="Inventory tasks beyond import and export.")
    tasks = inventory.add_subparsers(dest="task", metavar="TASK", required=True)
    sync = tasks.add_parser(
        "mdm-sync", help="sync a device export of Relution, Jamf School or Intune into one county",
        description="Match an MDM's device export (CSV or JSON; see docs/import.md, 'MDM sync') to the county's "
                    "devices by serial number: enrolment, last check-in, OS version. All or nothing.")
    sync.add_argument("--county", required=True, metavar="SLUG", help="the county whose devices are synced")
    sync.add_argument("file", metavar="FILE", help="the export file")
    sync.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    sync.add_argument("--adopt", action="append", default=[], metavar="SERIAL=SCHOOL_NUMBER",
                      help="create a device the inventory lacks at this school (repeatable)")
    sync.set_defaults(handler=with_database(mdm_sync))
