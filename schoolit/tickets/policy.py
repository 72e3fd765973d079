"""Support policies from the database: priority matrix, SLA targets, business calendar and the
close-after period that apply to a county (its arrangement's policy, else its own, else the defaults
in `schoolit.tickets.sla`). Also the business calendars and their holidays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import msgspec

from schoolit.accounts import audit, directory
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import FieldError, NotFound, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import fetch
from schoolit.tickets.schemas import PolicyIn
from schoolit.tickets.sla import (
    DEFAULT_MATRIX,
    DEFAULT_TARGETS,
    Calendar,
    Matrix,
    Target,
    parse_ical_holidays,
    validate_matrix,
)
from schoolit.tickets.tables import BusinessCalendar, Holiday, SupportPolicy

DEFAULT_CLOSE_AFTER_DAYS = 7


@dataclass(frozen=True)
class Policy:
    calendar: Calendar = field(default_factory=Calendar)
    matrix: Matrix = field(default_factory=lambda: DEFAULT_MATRIX)
    targets: dict[int, Target] = field(default_factory=lambda: dict(DEFAULT_TARGETS))
    close_after_days: int = DEFAULT_CLOSE_AFTER_DAYS

    def target(self, priority: int) -> Target:
        return self.targets.get(priority) or DEFAULT_TARGETS[priority]


def _json(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


async def load_calendar(calendar_id: int | None) -> Calendar:
    if calendar_id is None:
        return Calendar()
    row = await BusinessCalendar.select().where(BusinessCalendar.id == calendar_id).first()
    if row is None:
        return Calendar()
    days = await Holiday.select(Holiday.day).where(Holiday.calendar_id == calendar_id)
    return Calendar(timezone=row["timezone"], weekdays=frozenset(int(d) for d in row["weekdays"]),
                    start=row["day_start"], end=row["day_end"], holidays=frozenset(d["day"] for d in days))


async def policy_for_county(county_id: int) -> Policy:
    """The policy of the county's arrangement, else the county's own, else the defaults."""
    rows = await fetch(
        "SELECT p.calendar_id, p.matrix, p.targets, p.close_after_days FROM support_policy p "
        "WHERE p.arrangement_id = {} OR p.county_id = {} ORDER BY p.arrangement_id NULLS LAST LIMIT 1",
        await directory.arrangement_of_county(county_id), county_id)
    if not rows:
        return Policy()
    row = rows[0]
    matrix = _json(row["matrix"]) or DEFAULT_MATRIX
    targets = {int(k): Target(float(v[0]), float(v[1])) for k, v in (_json(row["targets"]) or {}).items()}
    return Policy(calendar=await load_calendar(row["calendar_id"]), matrix=matrix,
                  targets={**DEFAULT_TARGETS, **targets}, close_after_days=row["close_after_days"])


async def set_policy(scope: Scope, data: PolicyIn) -> dict[str, Any]:
    """Create or replace the policy of an arrangement or a county (admins)."""
    scope.require(Permission.USERS_MANAGE)
    errors: list[FieldError] = []
    if (data.arrangement is None) == (data.county is None):
        errors.append(FieldError("arrangement", N_("give either an arrangement or a county")))
    if data.matrix is not None:
        errors += [FieldError("matrix", problem) for problem in validate_matrix(data.matrix)]
    for key, (response, resolution) in (data.targets or {}).items():
        if key not in {"1", "2", "3", "4"} or not 0 < response <= resolution <= 2000:
            errors.append(FieldError(f"targets.{key}", "priority 1 to 4 with 0 < response ≤ resolution hours"))
    if not 1 <= data.close_after_days <= 365:
        errors.append(FieldError("close_after_days", N_("must be between 1 and 365")))
    owner: dict[str, int] = {}
    lookups = (("arrangement", data.arrangement, directory.arrangement_id_by_slug),
               ("county", data.county, directory.county_id_by_slug))
    for name, slug, lookup in lookups:
        if slug is not None:
            found = await lookup(slug)
            if found is not None:
                owner[f"{name}_id"] = found
            else:
                errors.append(FieldError(name, f"unknown {name} {slug!r}"))
    calendar_id = None
    if data.calendar is not None:
        calendar = await BusinessCalendar.select(BusinessCalendar.id).where(
            BusinessCalendar.name == data.calendar).first()
        if calendar is None:
            errors.append(FieldError("calendar", f"unknown calendar {data.calendar!r}"))
        else:
            calendar_id = calendar["id"]
    if errors:
        raise ValidationFailed(errors)
    values = {"calendar_id": calendar_id, "matrix": msgspec.json.encode(data.matrix).decode() if data.matrix else None,
              "targets": msgspec.json.encode(data.targets).decode() if data.targets else None,
              "close_after_days": data.close_after_days}
    async with atomic():
        column = SupportPolicy.arrangement_id if "arrangement_id" in owner else SupportPolicy.county_id
        await SupportPolicy.delete().where(column == next(iter(owner.values())))
        row = (await fetch(
            "INSERT INTO support_policy (arrangement_id, county_id, calendar_id, matrix, targets, close_after_days) "
            "VALUES ({}, {}, {}, {}, {}, {}) RETURNING id, arrangement_id, county_id, calendar_id, close_after_days",
            owner.get("arrangement_id"), owner.get("county_id"), calendar_id, values["matrix"], values["targets"],
            data.close_after_days))[0]
        row = dict(row)
        await audit.record(scope, "ticket_policy.set", object_type="support_policy", object_id=row["id"],
                           county_id=owner.get("county_id"), after={**owner, **values})
    return row


async def ensure_calendar(scope: Scope, *, name: str, weekdays: str = "01234", day_start: dt.time = dt.time(8),
                          day_end: dt.time = dt.time(16), timezone: str = "Europe/Berlin") -> int:
    """Create or update a business calendar by name; returns its id."""
    scope.require(Permission.USERS_MANAGE)
    Calendar(timezone=timezone, weekdays=frozenset(int(d) for d in weekdays), start=day_start, end=day_end)
    async with atomic():
        rows = await BusinessCalendar.insert(BusinessCalendar(
            name=name, weekdays=weekdays, day_start=day_start, day_end=day_end, timezone=timezone,
        )).on_conflict(target=BusinessCalendar.name, action="DO UPDATE", values=[
            BusinessCalendar.weekdays, BusinessCalendar.day_start, BusinessCalendar.day_end, BusinessCalendar.timezone,
        ]).returning(BusinessCalendar.id)
        await audit.record(scope, "calendar.upsert", object_type="calendar", object_id=rows[0]["id"],
                           after={"name": name, "weekdays": weekdays, "day_start": day_start, "day_end": day_end})
    return int(rows[0]["id"])


async def add_holidays(scope: Scope, calendar_name: str, days: list[tuple[dt.date, str]]) -> int:
    """Add holidays to a calendar (existing days keep their name); returns how many were new."""
    scope.require(Permission.USERS_MANAGE)
    calendar = await BusinessCalendar.select(BusinessCalendar.id).where(BusinessCalendar.name == calendar_name).first()
    if calendar is None:
        raise NotFound(f"unknown calendar {calendar_name!r}")
    added = 0
    async with atomic():
        for day, name in days:
            rows = await fetch("INSERT INTO holiday (calendar_id, day, name) VALUES ({}, {}, {}) "
                               "ON CONFLICT (calendar_id, day) DO NOTHING RETURNING id", calendar["id"], day, name)
            added += len(rows)
        await audit.record(scope, "calendar.holidays", object_type="calendar", object_id=calendar["id"],
                           after={"days": [d.isoformat() for d, _ in days], "added": added})
    return added


async def import_holidays_ical(scope: Scope, calendar_name: str, text: str) -> int:
    """Import the VEVENT dates of an iCalendar file as holidays of a calendar."""
    try:
        days = parse_ical_holidays(text)
    except ValueError as exc:
        raise ValidationFailed([FieldError("file", str(exc))]) from None
    return await add_holidays(scope, calendar_name, days)
