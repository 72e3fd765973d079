"""The one CSV writer: formula-like text quoted, numbers in the file's language, BOM, `;`, CRLF."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from schoolit.csvwriter import write_csv


def _read(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_formula_like_cells_are_quoted() -> None:
    hostile = ['=HYPERLINK("http://evil.example","klick")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    rows = _read(write_csv(["Betreff"], [[value] for value in hostile]))
    assert [row[0] for row in rows[1:]] == ["'" + value for value in hostile]
    assert _read(write_csv(["=Kopf"], []))[0] == ["'=Kopf"]


def test_numbers_follow_the_file_language() -> None:
    german = _read(write_csv(["a", "b", "c", "d"], [[1234, 2.5, Decimal("1.50"), -3]]))
    assert german[1] == ["1234", "2,5", "1,50", "-3"]  # a negative number is a number, not a formula
    english = _read(write_csv(["a", "b", "c"], [[1234, 2.5, Decimal("1.50")]], lang="en"))
    assert english[1] == ["1234", "2.5", "1.50"]
    assert _read(write_csv(["a"], [[None]]))[1] == [""]
