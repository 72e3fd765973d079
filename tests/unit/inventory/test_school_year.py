"""The school year and the loans' retention cutoff that follows from it (no database)."""

from __future__ import annotations

import datetime as dt

from schoolit.inventory.services import retention_cutoff, school_year_end


def test_school_year_ends_on_31_july() -> None:
    assert school_year_end(dt.date(2026, 7, 31)) == dt.date(2026, 7, 31)
    assert school_year_end(dt.date(2026, 8, 1)) == dt.date(2027, 7, 31)
    assert school_year_end(dt.date(2027, 2, 1)) == dt.date(2027, 7, 31)


def test_retention_cutoff_is_one_year_after_the_school_year_end() -> None:
    # A loan returned in school year 2025/26 (ends 31.07.2026) is erased from 31.07.2027 on.
    assert retention_cutoff(dt.date(2027, 7, 30)) == dt.date(2025, 7, 31)
    assert retention_cutoff(dt.date(2027, 7, 31)) == dt.date(2026, 7, 31)
    assert retention_cutoff(dt.date(2028, 1, 15)) == dt.date(2026, 7, 31)
