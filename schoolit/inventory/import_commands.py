"""`schoolit import KIND FILE [--dry-run]` and `schoolit export KIND [--lang en] [-o FILE]`.

Both act as the system (audited as `cli`), like the accounts commands. The import shows a progress
bar on a terminal and prints every row error; the exit code is 1 when the file has errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from schoolit.accounts.scope import Scope
from schoolit.commandline import with_database
from schoolit.describe.csvformat import Progress
from schoolit.errors import DomainError
from schoolit.inventory.exporting import export_csv
from schoolit.inventory.importing import ImportReport, import_csv
from schoolit.inventory.resources import KINDS
from schoolit.kernel.i18n import counted, current_locale
from schoolit.settings import get_settings

CLI_SCOPE = Scope.system("cli")
PHASES = {"read": "reading", "check": "checking", "write": "writing"}


@contextlib.contextmanager
def progress_bar() -> Iterator[Progress | None]:
    """A rich progress bar on stderr when it is a terminal; no output at all otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(PHASES.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done, total=max(total, done))

        yield update


def print_report(report: ImportReport) -> None:
    for error in report.errors:
        where = f"row {error.row}" + (f", {error.column}" if error.column else "")
        print(f"{where}: {error.message}", file=sys.stderr)
    if report.ignored_columns:
        print(f"ignored columns: {', '.join(report.ignored_columns)}", file=sys.stderr)
    changed = "" if report.changed is None else f" ({report.changed} changed)"
    would = "would be " if report.dry_run or not report.ok else ""
    print(f"{report.kind}: {counted(report.rows, 'row', 'rows')} ({report.encoding}, '{report.delimiter}'): "
          f"{report.created} {would}created, {report.updated} {would}updated{changed}")
    if not report.ok:
        print(f"{counted(len(report.errors), 'error', 'errors')}: nothing was imported", file=sys.stderr)
    elif report.dry_run:
        print("dry run: nothing was written")


async def import_file(args: argparse.Namespace) -> int:
    try:
        data = await asyncio.to_thread(Path(args.file).read_bytes)
    except OSError as exc:
        print(f"schoolit: error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    current_locale.set(get_settings().default_locale)
    try:
        with progress_bar() as progress:
            report = await import_csv(CLI_SCOPE, args.kind, data, dry_run=args.dry_run, progress=progress)
    except DomainError as exc:
        print(f"schoolit: error: {exc.detail}", file=sys.stderr)
        return 1
    print_report(report)
    return 0 if report.ok else 1


async def export_file(args: argparse.Namespace) -> int:
    target = None if args.output in (None, "-") else Path(args.output)
    if target is not None and not target.parent.is_dir():  # before the export's work, not after it
        print(f"schoolit: error: cannot write {target}: directory {target.parent} does not exist", file=sys.stderr)
        return 1
    content = await export_csv(CLI_SCOPE, args.kind, args.lang)
    if target is None:
        sys.stdout.buffer.write(content)
        return 0
    try:
        await asyncio.to_thread(target.write_bytes, content)  # an existing file is replaced, like `>` does
    except OSError as exc:
        print(f"schoolit: error: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def register(commands: Any) -> None:
    """`schoolit import KIND FILE [--dry-run]` and `schoolit export KIND [--lang en] [-o FILE]`."""
    kinds = list(KINDS)
    importer = commands.add_parser(
        "import", help="import a CSV file of schools, rooms, access points, uplinks or devices",
        description="Import a CSV file (UTF-8 or Windows-1252, ';' or ',', German or English headers; see "
                    "docs/import.md). Rows update the objects with the same natural key and create the others. "
                    "Every row is checked first: with any error nothing is written.")
    importer.add_argument("kind", choices=kinds, metavar="KIND", help=f"one of: {', '.join(kinds)}")
    importer.add_argument("file", metavar="FILE", help="the CSV file")
    importer.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    importer.set_defaults(handler=with_database(import_file))

    exporter = commands.add_parser(
        "export", help="export schools, rooms, access points, uplinks or devices as CSV (the import format)",
        description="Write every object of one kind as CSV in the import format (';', UTF-8 with BOM).")
    exporter.add_argument("kind", choices=kinds, metavar="KIND", help=f"one of: {', '.join(kinds)}")
    exporter.add_argument("--lang", choices=["de", "en"], default="de", help="header language (default de)")
    exporter.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    exporter.set_defaults(handler=with_database(export_file))
