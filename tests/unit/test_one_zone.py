"""One Europe/Berlin zone: every module reads German local time through `schoolit.kernel.times.BERLIN`;
none builds a ZoneInfo of its own for it (a configured zone, such as a business calendar's, is no
constant and may be built where it is read). One way to write a date: DD.MM.YYYY, by `kernel.times`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import schoolit
from schoolit.dashboards import charts
from schoolit.kernel.times import berlin_time, day_text

ROOT = Path(schoolit.__file__).parent


def test_only_the_kernel_names_the_berlin_zone() -> None:
    builders = sorted(str(path.relative_to(ROOT)) for path in ROOT.rglob("*.py")
                      if path != ROOT / "kernel" / "times.py"
                      and 'ZoneInfo("Europe/Berlin")' in path.read_text(encoding="utf-8"))
    assert builders == []


def test_only_the_kernel_writes_a_date_for_people() -> None:
    """Every date a page, mail or German CSV shows is "07.12.2026": written by `kernel.times` (`day_text`,
    `berlin_time`), never by a module's or template's own strftime or Babel pattern ("7.12.2026" was one)."""
    writers = sorted(str(path.relative_to(ROOT)) for path in (*ROOT.rglob("*.py"), *ROOT.rglob("*.html"))
                     if path != ROOT / "kernel" / "times.py"
                     and any(pattern in path.read_text(encoding="utf-8")
                             for pattern in ('strftime("%d', "d.M.yyyy", "%d.%m.")))
    assert writers == []


def test_dates_and_moments_are_written_day_and_month_in_two_digits() -> None:
    assert day_text(dt.date(2026, 12, 7)) == "07.12.2026" and day_text(None) == "–"
    winter = dt.datetime(2026, 12, 7, 3, 5, tzinfo=dt.UTC)
    assert charts.moment(winter) == "07.12.2026 04:05" == berlin_time(winter, zone=False)  # "Stand …" on dashboards
