"""`schoolit-probe`: the SNMP cron agent that polls access points and uplink routers.

The polling commands (`run`, `check`) arrive with the probes issue; this entry point exists from the
start so packaging, deployment units and the docker image can refer to it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from schoolit import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schoolit-probe",
        description="Poll access points and uplink routers by SNMP and push the results to a schoolit server.",
    )
    parser.add_argument("--version", action="version", version=f"schoolit-probe {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help(sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
