"""What other domains read of the inventory: schools by number and id, asset checks and labels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from schoolit.accounts import schools
from schoolit.accounts.scope import Scope
from schoolit.inventory.tables import School
from schoolit.sql import fetch


async def school_ref_by_number(school_number: str) -> schools.SchoolRef | None:
    """Id and county of the school with this number, unscoped: accounts resolves a school user's or a
    probe's school with it (registered below); the caller checks the scope."""
    row = await School.select(School.id, School.county_id).where(School.school_number == school_number).first()
    return None if row is None else schools.SchoolRef(int(row["id"]), int(row["county_id"]))


async def school_choices(ids: Sequence[int] | None = None) -> list[schools.SchoolChoice]:
    """Every school (or these), by county and name, unscoped: accounts lists them for an admin who
    picks a school contact's school (registered below)."""
    wanted = None if ids is None else list(ids)
    rows = await fetch("SELECT s.id, s.school_number, s.name, s.city, c.name AS county FROM school s "
                       "JOIN county_directory c ON c.id = s.county_id WHERE {}::int[] IS NULL OR s.id = ANY({}) "
                       "ORDER BY c.name, s.name", wanted, wanted)
    return [schools.SchoolChoice(**row) for row in rows]


schools.register_lookup(school_ref_by_number)
schools.register_listing(school_choices)


_ASSET_TABLES = {"access_point": "access_point", "device": "device", "uplink": "uplink", "room": "room"}


async def asset_at_school(kind: str, asset_id: int, school_id: int) -> bool:
    """Whether the access point, device, uplink or room `asset_id` belongs to the school (a ticket's asset)."""
    table = _ASSET_TABLES[kind]
    return bool(await fetch(f"SELECT 1 FROM {table} WHERE id = {{}} AND school_id = {{}}",  # noqa: S608 (fixed map)
                            asset_id, school_id))


async def asset_visible(scope: Scope, kind: str, asset_id: int) -> bool:
    """Whether the access point, device, uplink or room `asset_id` lies in the caller's scope (a page
    about an asset in another domain answers 404 for one outside it)."""
    table = _ASSET_TABLES[kind]
    return bool(await fetch(f"SELECT 1 FROM {table} a WHERE a.id = {{}} AND {{}}",  # noqa: S608 (fixed map)
                            asset_id, scope.where("a.county_id", school="a.school_id")))


# How a ticket names its asset (the label of its link).
_ASSET_LABELS = {"access_point": "coalesce(nullif(name, ''), serial)", "device": "serial",
                 "uplink": "provider || coalesce(' ' || nullif(line_id, ''), '')", "room": "name"}


async def asset_label(kind: str, asset_id: int, school_id: int) -> str | None:
    """The label of a ticket's asset at its school (None when it is gone), for other domains' links."""
    table, label = _ASSET_TABLES[kind], _ASSET_LABELS[kind]
    rows = await fetch(f"SELECT {label} AS label FROM {table} WHERE id = {{}} AND school_id = {{}}",  # noqa: S608
                       asset_id, school_id)
    return rows[0]["label"] if rows else None


async def school_names(school_ids: Iterable[int]) -> dict[int, str]:
    """The name of each school id given (labels of rows the caller was allowed to read)."""
    rows = await fetch("SELECT id, name FROM school WHERE id = ANY({})", sorted(set(school_ids)))
    return {row["id"]: row["name"] for row in rows}


async def school_summary(*, school_id: int | None = None, school_number: str | None = None) -> dict[str, Any] | None:
    """`id, county_id, name, school_number` of one school by id or by number, unscoped: for other domains
    (a ticket's school, the public fault form), which check the caller's scope on the county and id."""
    column, value = ("id", school_id) if school_id is not None else ("school_number", school_number)
    rows = await fetch(f"SELECT id, county_id, name, school_number FROM school WHERE {column} = {{}}",  # noqa: S608
                       value)
    return rows[0] if rows else None
