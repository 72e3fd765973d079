"""`schoolit sso sync`: the directory sync on the command line. It is the scheduled job `sso-sync`
(daily, run by the server's scheduler), run now through the same lock and record."""

from __future__ import annotations

from typing import Any

from schoolit.accounts.sso.jobs import SYNC
from schoolit.commandline import job_command


def register_maintenance(jobs: Any) -> None:
    """`schoolit maintenance sso-sync` (the job's own name, like every scheduled job's)."""
    job = jobs.add_parser("sso-sync", help="the directory sync (as `schoolit sso sync`)",
                          description="Run the directory sync of single sign-on now (see `schoolit sso sync`).")
    job.set_defaults(handler=job_command(SYNC))


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
                    "disables nobody (exit code 1). The server runs this daily by itself (job sso-sync).")
    job.set_defaults(handler=job_command(SYNC))
