"""`schoolit seed --demo`: loads the demo data of every domain, idempotently (natural keys upsert)."""

from __future__ import annotations

from dataclasses import dataclass

from schoolit.accounts import services as accounts
from schoolit.accounts.demo import (
    DEMO_ARRANGEMENT_LEAD,
    DEMO_ARRANGEMENT_MEMBERS,
    DEMO_ARRANGEMENT_NAME,
    DEMO_ARRANGEMENT_SLUG,
    DEMO_COUNTIES,
)
from schoolit.db import atomic
from schoolit.inventory import services as inventory
from schoolit.inventory.demo import demo_schools


@dataclass
class SeedReport:
    counties: int = 0
    arrangements: int = 0
    schools: int = 0


async def seed_demo() -> SeedReport:
    """Load (or refresh) the demo data in one transaction."""
    report = SeedReport()
    async with atomic():
        county_ids: dict[str, int] = {}
        for county in DEMO_COUNTIES:
            county_ids[county.slug] = await accounts.upsert_county(
                slug=county.slug, name=county.name, ags=county.ags, seat=county.seat, state=county.state.value
            )
            report.counties += 1
        await accounts.upsert_arrangement(
            slug=DEMO_ARRANGEMENT_SLUG, name=DEMO_ARRANGEMENT_NAME,
            lead_county_slug=DEMO_ARRANGEMENT_LEAD, member_slugs=DEMO_ARRANGEMENT_MEMBERS,
        )
        report.arrangements += 1
        for school in demo_schools():
            await inventory.upsert_school(
                county_id=county_ids[school.county_slug], school_number=school.school_number, name=school.name,
                school_type=school.school_type.value, city=school.city, pupils=school.pupils,
            )
            report.schools += 1
    return report
