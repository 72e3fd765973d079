"""Time accounting reports as CSV: the month's minutes per county (per ticket), and the cost split of
an arrangement — hours per member county and each county's share, with the lead county named.

Rows are limited to the caller's scope; the cost split's shares are of the whole arrangement's hours
(a total, not any other county's tickets), so an authority sees its county's share of the team.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from schoolit import rules
from schoolit.accounts import directory, tenants
from schoolit.accounts.choices import ShareRule
from schoolit.accounts.scope import Scope
from schoolit.csvwriter import write_csv
from schoolit.errors import FieldError, NotFound, ValidationFailed
from schoolit.inventory import services as inventory
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import fetch
from schoolit.tickets import overdue
from schoolit.tickets.choices import OPEN_STATUSES


def month_range(month: str | None, today: dt.date | None = None) -> tuple[dt.date, dt.date, str]:
    """First day, first day of the next month, and the label of 'YYYY-MM' (default: this month)."""
    if month is None or month == "":
        today = today or dt.date.today()
        month = f"{today.year:04d}-{today.month:02d}"
    match = re.fullmatch(r"(\d{4})-(\d{2})", month)
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValidationFailed([FieldError("month", N_("must look like 2026-11"))])
    first = dt.date(int(match[1]), int(match[2]), 1)
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following, month


def _hours(minutes: int) -> str:
    return str((Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    # English headers and numbers (hours as 1.50): the authorities' scripts read these files.
    return write_csv(header, rows, lang="en")


async def monthly_time_csv(scope: Scope, month: str | None, county_id: int | None = None) -> tuple[str, bytes]:
    """Per county and ticket: minutes booked in the month. Returns (filename, CSV text)."""
    scope.require(Permission.EXPORT)
    first, following, label = month_range(month)
    if county_id is not None:
        scope.check(county_id, missing=rules.COUNTY_NOT_FOUND)
    rows = await fetch(
        "SELECT e.county_id, t.number, t.school_id, cat.name AS category, t.subject, "
        "sum(e.minutes)::int AS minutes FROM time_entry e JOIN ticket t ON t.id = e.ticket_id "
        "JOIN ticket_category cat ON cat.id = t.category_id "
        "WHERE e.worked_on >= {} AND e.worked_on < {} AND {} "
        "AND ({}::int IS NULL OR e.county_id = {}) "
        "GROUP BY e.county_id, t.number, t.school_id, cat.name, t.subject",
        first, following, scope.where("e.county_id", school="t.school_id"), county_id, county_id)
    # Names from their domains; rows by county name (the database's order of the counties), then number.
    counties = await directory.counties(scope)
    rank = {county["id"]: position for position, county in enumerate(counties)}
    county_names = {county["id"]: county["name"] for county in counties}
    schools = await inventory.school_names(r["school_id"] for r in rows)
    rows.sort(key=lambda r: (rank[r["county_id"]], r["number"]))
    for r in rows:
        r["county"], r["school"] = county_names[r["county_id"]], schools[r["school_id"]]
    body = [[label, r["county"], r["number"], r["school"], r["category"], r["subject"], r["minutes"],
             _hours(r["minutes"])] for r in rows]
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["county"]] = totals.get(r["county"], 0) + r["minutes"]
    body += [[label, county, "TOTAL", "", "", "", minutes, _hours(minutes)] for county, minutes in totals.items()]
    return f"zeiten-{label}.csv", _csv(["month", "county", "ticket", "school", "category", "subject", "minutes",
                                        "hours"], body)


# Per school and per county (GROUPING SETS): the county's median is over its tickets, not of the medians.
_COUNTY_FIGURES = (
    "SELECT county_id, school_id, GROUPING(school_id) AS county_row, "
    "count(*) FILTER (WHERE status = ANY({})) AS open, "
    "count(*) FILTER (WHERE {}) AS breaching, "
    "count(*) FILTER (WHERE resolved_at >= {}) AS resolved, "
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - created_at)) "
    "  FILTER (WHERE resolved_at >= {}) AS median_seconds "
    "FROM ticket WHERE county_id = ANY({}) AND (status = ANY({}) OR resolved_at >= {}) "
    "GROUP BY GROUPING SETS ((county_id, school_id), (county_id))")


async def county_figures(scope: Scope, county_ids: Sequence[int], since: dt.datetime,
                         moment: dt.datetime) -> dict[tuple[int, int | None], dict[str, Any]]:
    """The dashboards' ticket figures per (county, school) and per (county, None) for the whole county:
    `open` tickets and those `breaching` their SLA at `moment` (the queue's rule, `overdue.past_sla`),
    `resolved` since `since` and their `median_seconds` to resolve."""
    ids = sorted(c for c in county_ids if scope.sees_county(c))
    open_ = [s.value for s in OPEN_STATUSES]
    rows = await fetch(_COUNTY_FIGURES, open_, overdue.past_sla(moment, "ticket"), since, since, ids, open_, since)
    return {(row["county_id"], None if row["county_row"] else row["school_id"]): row for row in rows}


async def _arrangement_for(scope: Scope, arrangement_id: int | None) -> dict[str, Any] | None:
    if arrangement_id is None:
        arrangement_id = scope.arrangement_id
    if arrangement_id is None and scope.county_ids is not None and len(scope.county_ids) == 1:
        arrangement_id = await directory.arrangement_of_county(next(iter(scope.county_ids)))
    if arrangement_id is None:
        return None
    found = await directory.arrangement(arrangement_id)
    if found is None:
        raise NotFound(rules.ARRANGEMENT_NOT_FOUND)
    members = await directory.arrangement_members(arrangement_id)
    if not any(scope.sees_county(m["id"]) for m in members):
        raise NotFound(rules.ARRANGEMENT_NOT_FOUND)
    return {**found, "members": members}


async def _weights(arrangement: dict[str, Any] | None, county_ids: list[int],
                   minutes: dict[int, int]) -> tuple[ShareRule, dict[int, Decimal | int]]:
    """Each county's weight under its arrangement's share rule (the hours booked without one)."""
    if arrangement is None:
        return ShareRule.HOURS, dict(minutes)
    rule, fixed = await tenants.share_rule_of(arrangement["id"])
    if rule == ShareRule.FIXED:
        return rule, {county_id: share or 0 for county_id, share in fixed.items()}
    if rule in (ShareRule.SCHOOLS, ShareRule.PUPILS):
        totals = await inventory.school_totals(county_ids)
        return rule, {county_id: figures[rule.value] for county_id, figures in totals.items()}
    return rule, dict(minutes)


async def cost_split(scope: Scope, first: dt.date, following: dt.date,
                     arrangement_id: int | None = None) -> dict[str, Any]:
    """Minutes booked per member county of an arrangement from `first` up to (not including)
    `following`, and each county's share under the arrangement's share rule (the CSV and the
    dashboards): of the hours booked (the default), of the schools or pupils, or fixed percentages.

    Without an arrangement (a county that runs its own team) the caller's counties stand alone.
    Counties outside the scope are left out; the total stays the whole arrangement's."""
    scope.require(Permission.TICKETS_READ)
    arrangement = await _arrangement_for(scope, arrangement_id)
    counties = arrangement.pop("members") if arrangement is not None else await directory.counties(scope)
    ids = [c["id"] for c in counties]
    sums = {r["county_id"]: r["minutes"] for r in await fetch(
        "SELECT county_id, sum(minutes)::int AS minutes FROM time_entry WHERE county_id = ANY({}) "
        "AND worked_on >= {} AND worked_on < {} GROUP BY county_id", ids, first, following)}
    total = sum(sums.values())
    rule, weights = await _weights(arrangement, ids, sums)
    total_weight = sum(weights.values())
    lead_id = arrangement["lead_county_id"] if arrangement else None
    rows = []
    for county in counties:
        if not scope.sees_county(county["id"]):
            continue
        minutes = sums.get(county["id"], 0)
        weight = weights.get(county["id"], 0)
        share = (Decimal(weight) * 100 / total_weight).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) \
            if total_weight else 0
        rows.append({"county_id": county["id"], "county": county["name"], "lead": county["id"] == lead_id,
                     "minutes": minutes, "hours": _hours(minutes), "share": f"{share}"})
    return {"arrangement": arrangement, "rule": rule.value, "counties": rows, "total_minutes": total,
            "total_hours": _hours(total)}


async def cost_split_csv(scope: Scope, month: str | None, arrangement_id: int | None = None) -> tuple[str, bytes]:
    """Hours per member county of an arrangement in a month and each one's share of the total."""
    scope.require(Permission.EXPORT)
    first, following, label = month_range(month)
    split = await cost_split(scope, first, following, arrangement_id)
    arrangement = split["arrangement"]
    name = arrangement["name"] if arrangement else ""
    body: list[list[Any]] = [[label, name, r["county"], "yes" if r["lead"] else "no", r["minutes"], r["hours"],
                              r["share"]] for r in split["counties"]]
    total = split["total_minutes"]
    body.append([label, name, "TOTAL", arrangement["lead_name"] if arrangement else "", total, split["total_hours"],
                 "100.0" if total else "0"])
    return f"kostenaufteilung-{label}.csv", _csv(
        ["month", "arrangement", "county", "lead county", "minutes", "hours", "share %"], body)
