"""The one CSV writer of every file the app produces: inventory exports, dashboards and open data,
the tickets' time and cost reports.

Files are written as German Excel opens them: UTF-8 with BOM, `;` between cells, CRLF. A text cell
that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, tab or CR) is quoted
with a leading `'` — a reporter's subject `=HYPERLINK(...)` stays text. Numbers given as numbers are
written in the file's language: `1234,5` in a German file, `1234.5` in an English one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

# Spreadsheets run a cell that starts like this as a formula.
FORMULA_START = frozenset("=+-@\t\r")
DELIMITER = ";"
BOM = "\ufeff"


def cell(value: Any, lang: str = "de") -> str:
    """One cell as text: formula-like text quoted, numbers in the file's language."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        text = str(value) if isinstance(value, Decimal) else repr(value)
        return text.replace(".", ",") if lang == "de" else text
    text = str(value)
    return "'" + text if text[:1] in FORMULA_START else text


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], *, lang: str = "de") -> bytes:
    """A whole file (BOM, `;`, CRLF) from a header and rows of any values (see `cell`)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow([cell(title, lang) for title in header])
    writer.writerows([cell(value, lang) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8")
