"""`schoolit sso sync`: the directory sync on the command line (run it nightly from cron or a timer;
the same function is the daily job of the app's scheduler where there is one)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from schoolit.accounts.sso import services
from schoolit.commandline import with_database


async def sync(args: argparse.Namespace) -> int:
    report = await services.sync_directories()
    print(f"directory accounts checked: {report.checked}; disabled: {report.disabled}; "
          f"moved to another role or scope: {report.updated}")
    for error in report.errors:
        print(f"schoolit: error: {error}", file=sys.stderr)
    return 1 if report.errors else 0


def register(commands: Any) -> None:
    """Add `schoolit sso …` to the `schoolit` parser."""
    sso = commands.add_parser("sso", help="single sign-on (directories, OpenID Connect)",
                              description="Single sign-on: LDAP / Active Directory and OpenID Connect providers.")
    actions = sso.add_subparsers(dest="sso_command", metavar="ACTION", required=True)
    job = actions.add_parser(
        "sync", help="disable directory accounts that left the directory or lost their mapped group",
        description="Check every active account of every enabled directory: people who left the directory, "
                    "are disabled there or lost every mapped group are disabled here (their sessions end); the "
                    "others get the role and scope their groups map to now. A directory that cannot be reached "
                    "disables nobody (exit code 1).")
    job.set_defaults(handler=with_database(sync))
