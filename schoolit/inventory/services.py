"""Services of the inventory domain: queries, transactions and rules (never a Request)."""

from __future__ import annotations

from schoolit.inventory.tables import School


async def upsert_school(*, county_id: int, school_number: str, name: str, school_type: str, city: str,
                        pupils: int) -> int:
    """Create or update a school by its school number; returns its id."""
    rows = await School.insert(
        School(county_id=county_id, school_number=school_number, name=name, school_type=school_type, city=city,
               pupils=pupils)
    ).on_conflict(
        target=School.school_number,
        action="DO UPDATE",
        values=[School.county_id, School.name, School.school_type, School.city, School.pupils],
    ).returning(School.id)
    return int(rows[0]["id"])
