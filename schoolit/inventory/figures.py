"""Inventory figures per school of a set of counties: what the dashboards read of the inventory.

Set-based (one query grouped by school for all counties asked for, never one per school), so a county
page, an arrangement's counties and the open-data export use the same queries. The definitions stay
here with the tables: devices in service, open and overdue loans. Each function restricts to the
caller's scope as well as to the counties asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from schoolit.accounts.scope import Scope
from schoolit.inventory.services import DEVICES_IN_SERVICE, LOAN_OPEN, LOAN_OVERDUE
from schoolit.sql import Fragment, all_of, fetch, fragment


def _in(scope: Scope, county_expr: str, county_ids: Sequence[int]) -> Fragment:
    """`county_expr = ANY(ids)` within the scope."""
    return all_of(fragment(f"{county_expr} = ANY({{}})", sorted(county_ids)), scope.where(county_expr, school=None))


async def schools(scope: Scope, county_ids: Sequence[int]) -> list[dict[str, Any]]:
    """`id, county_id, school_number, name, school_type, pupils` of the counties' schools by name."""
    return await fetch("SELECT id, county_id, school_number, name, school_type, pupils FROM school "
                       "WHERE {} ORDER BY name, id", _in(scope, "county_id", county_ids))


async def uplink_lines(scope: Scope, county_ids: Sequence[int]) -> list[dict[str, Any]]:
    """`school_id, status, down_mbps, up_mbps` of every line not terminated."""
    return await fetch("SELECT school_id, status, down_mbps, up_mbps FROM uplink "
                       "WHERE {} AND status <> 'terminated'", _in(scope, "county_id", county_ids))


async def devices_in_service(scope: Scope, county_ids: Sequence[int]) -> dict[int, int]:
    """Per school the devices it still has for its pupils (lent, in stock or in repair)."""
    rows = await fetch("SELECT school_id, count(*) AS available FROM device WHERE {} "
                       "AND status = ANY({}) GROUP BY school_id", _in(scope, "county_id", county_ids),
                       list(DEVICES_IN_SERVICE))
    return {row["school_id"]: row["available"] for row in rows}


async def loans(scope: Scope, county_ids: Sequence[int], today: dt.date) -> dict[int, dict[str, int]]:
    """Per school `open` and `overdue` (open past their due day on `today`) loans."""
    rows = await fetch(f"SELECT l.school_id, count(*) AS open, count(*) FILTER (WHERE {LOAN_OVERDUE}) AS overdue "  # noqa: S608
                       f"FROM loan l WHERE {{}} AND {LOAN_OPEN} GROUP BY l.school_id", today,
                       _in(scope, "l.county_id", county_ids))
    return {row["school_id"]: {"open": row["open"], "overdue": row["overdue"]} for row in rows}
