"""The column tables of docs/import.md, written from the resource descriptions.

`python -m schoolit.inventory.import_docs` rewrites the table under each `### <kind>` heading of the
"Columns" section (the prose around the tables stays as written); tests/unit/inventory/test_import_docs.py
fails when the committed document is not what this writes. A column's last cell is its `note`, else
what its description says: required, needed to create, the kind of value.
"""

from __future__ import annotations

import sys
from pathlib import Path

from schoolit.describe.csvformat import Column, Kind
from schoolit.inventory.resources import KINDS
from schoolit.inventory.resources.school import SCHOOL

DOC = Path(__file__).resolve().parents[2] / "docs" / "import.md"
HEADER = "| German | English | also accepted | |\n|---|---|---|---|\n"


def _note(column: Column) -> str:
    if column.note:
        return column.note
    if column.required:
        return "required"
    if column.to_create:
        return "to create"
    return column.what


def _aliases(kind: Kind, column: Column) -> str:
    if column.field == "school_number" and kind is not SCHOOL.csv_kind:
        return "(as above)"
    return ", ".join(a for a in column.aliases if a not in (column.de, column.en))


def table(kind: Kind) -> str:
    """The Markdown table of one kind's columns, in file order."""
    rows = [f"| {c.de} | {c.en} | {_aliases(kind, c)} | {_note(c)} |".replace("  |", " |") for c in kind.columns]
    return HEADER + "\n".join(rows) + "\n"


def render(text: str) -> str:
    """`text` (docs/import.md) with each kind's column table written anew."""
    for kind in KINDS.values():
        heading = f"\n### {kind.name}\n"
        before, _heading, rest = text.partition(heading)
        if not _heading:
            raise ValueError(f"docs/import.md has no section {heading.strip()}")
        start = rest.index(HEADER)
        end = rest.find("\n\n", start)
        end = len(rest) if end < 0 else end + 1
        text = before + heading + rest[:start] + table(kind) + rest[end:]
    return text


def main() -> int:
    DOC.write_text(render(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
