"""`/import`: CSV import in the browser, for those who write the inventory.

Upload a file and choose its kind; the page runs the import as a dry run (the all-or-nothing service
the API uses, `importing.import_csv`) and shows the file's rows with each row's errors in German beside
it. Without errors, "Import now" sends the same content again for real; the result says what was
written, and a file with errors writes nothing and says so.

Thin: parse the form, call the service with the caller's Scope, show the report.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Template

from schoolit.accounts.auth import Caller
from schoolit.inventory import importing
from schoolit.inventory.resources import KINDS
from schoolit.kernel import navigation
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import N_, gettext

ACCESS = requires(Permission.INVENTORY_WRITE)
MAX_UPLOAD = 10 * 1024 * 1024  # a page round trip; bigger files go through `schoolit import` or the API
PREVIEW_ROWS = 200

navigation.register(navigation.NavItem("/import", N_("CSV import"), Permission.INVENTORY_WRITE))


def _kinds() -> list[tuple[str, str]]:
    return [(name, gettext(kind.label)) for name, kind in KINDS.items()]


def _preview(text: str, delimiter: str, errors: list[Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """The file's header and its first rows, each with its number (as a spreadsheet counts) and errors."""
    by_row: dict[int, list[Any]] = defaultdict(list)
    for error in errors:
        by_row[error.row].append(error)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter or ";")
    header = next(reader, [])
    rows: list[dict[str, Any]] = []
    for number, cells in enumerate(reader, start=2):
        if len(rows) >= PREVIEW_ROWS and number not in by_row:
            continue
        rows.append({"number": number, "cells": cells, "errors": by_row.get(number, [])})
    whole_file = [e for e in errors if e.row <= 1]
    if whole_file:
        rows.insert(0, {"number": 1, "cells": [], "errors": whole_file})
    return header, rows


def decode_text(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding or "utf-8-sig")
    except (LookupError, UnicodeDecodeError):
        return data.decode("utf-8", errors="replace")


async def posted_file(form: Any) -> tuple[bytes, str, bool]:
    """A check-then-commit form's file: (bytes, text, commit) — the upload for `action=check`, the checked
    content sent back (text) for `action=commit`."""
    commit = form.get("action") == "commit"
    upload = form.get("file")
    if commit:
        text = str(form.get("content") or "")
        return text.encode("utf-8"), text, True
    if isinstance(upload, UploadFile):
        return await upload.read(), "", False
    return b"", "", False


class ImportPages(Controller):
    path = "/import"
    include_in_schema = False

    @get("/", name="import", opt=ACCESS)
    async def form(self) -> Template:
        return Template("inventory/import.html", context={"kinds": _kinds(), "kind": "", "report": None})

    @post("/", opt=ACCESS, status_code=200, request_max_body_size=MAX_UPLOAD + 64 * 1024)
    async def run(self, caller: Caller, request: Request[Any, Any, Any]) -> Template:
        """`action=check` (a dry run of the uploaded file) or `action=commit` (the checked content)."""
        form = await request.form()
        # Not `kind`: that names the devices' column, whose input limit a kind's name need not fit.
        kind = str(form.get("import_kind") or "")
        data, text, commit = await posted_file(form)
        context: dict[str, Any] = {"kinds": _kinds(), "kind": kind, "report": None, "missing": None}
        if kind not in KINDS:
            context["missing"] = N_("Choose what the file holds.")
            return Template("inventory/import.html", status_code=422, context=context)
        if not data:
            context["missing"] = N_("Choose a CSV file.")
            return Template("inventory/import.html", status_code=422, context=context)
        report = await importing.import_csv(caller, kind, data, dry_run=not commit)
        text = text or decode_text(data, report.encoding)
        header, rows = _preview(text, report.delimiter, report.errors)
        context.update(report=report, header=header, rows=rows, content=text, committed=commit and report.ok,
                       error_rows=len({e.row for e in report.errors}))
        return Template("inventory/import.html", status_code=200 if report.ok else 422, context=context)
