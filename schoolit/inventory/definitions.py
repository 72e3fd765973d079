"""Definitions the inventory states once and everyone reads: a gigabit symmetric line, a room covered as
planned, devices in service, open and overdue loans, the school year and its retention day (services,
descriptions and dashboards use these)."""

from __future__ import annotations

import datetime as dt

from schoolit.inventory.choices import AccessPointStatus, DeviceStatus

GIGABIT_MBPS = 1000


def gigabit_symmetric(down_mbps: int | None, up_mbps: int | None) -> bool:
    """A gigabit symmetric line: the same rate both ways, at least 1,000 Mbit/s (derived, never typed in)."""
    return bool(down_mbps and up_mbps and down_mbps >= GIGABIT_MBPS and up_mbps == down_mbps)


def gigabit_symmetric_sql(alias: str) -> str:
    """`gigabit_symmetric` in SQL, for the uplink table under `alias`."""
    return f"({alias}.down_mbps >= {GIGABIT_MBPS} AND {alias}.up_mbps = {alias}.down_mbps)"


# Access points taken down (retired) or disposed of: no longer counted (a school's access points, coverage,
# warranty), but kept with their history.
AP_GONE = (AccessPointStatus.RETIRED.value, AccessPointStatus.DISPOSED.value)


def ap_counted(alias: str) -> str:
    """SQL: the access point under `alias` is counted (neither retired nor disposed of)."""
    return f"{alias}.status NOT IN ({', '.join(repr(status) for status in AP_GONE)})"


# A room (alias `r`) is covered as planned when an access point (alias `a`) that is counted covers it.
AP_COVERS_AS_PLANNED = ap_counted("a")
PLANNED_COVERED = ("EXISTS (SELECT 1 FROM access_point_room ar JOIN access_point a ON a.id = ar.access_point_id "  # noqa: S608 (constants)
                   f"WHERE ar.room_id = r.id AND {AP_COVERS_AS_PLANNED})")
# Devices the school still has for its pupils: lent, in stock or in repair (not lost, not retired).
DEVICES_IN_SERVICE = tuple(s.value for s in (DeviceStatus.STOCK, DeviceStatus.LENT, DeviceStatus.REPAIR))
# Loans (alias `l`): open, and open past their due day (`{}`: the day to compare with).
LOAN_OPEN = "l.returned_on IS NULL"
LOAN_OVERDUE = LOAN_OPEN + " AND l.due_on < {}"


def today() -> dt.date:
    return dt.date.today()


def school_year_end(day: dt.date) -> dt.date:
    """The last day of the school year `day` lies in: 31 July in Rheinland-Pfalz."""
    return dt.date(day.year if day.month <= 7 else day.year + 1, 7, 31)


def retention_cutoff(on: dt.date) -> dt.date:
    """Loans that ended on or before this day ended in a school year that closed at least a year
    before `on`, so their pupil references are erased (RLP school rules)."""
    return dt.date(on.year - 1 if on >= dt.date(on.year, 7, 31) else on.year - 2, 7, 31)
