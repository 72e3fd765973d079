"""`schoolit seed --demo`: loads the demo data of every domain, idempotently (natural keys upsert)."""

from __future__ import annotations

from dataclasses import dataclass, field

from schoolit.accounts import services as accounts
from schoolit.accounts import tenants
from schoolit.accounts.demo import (
    DEMO_ARRANGEMENT_LEAD,
    DEMO_ARRANGEMENT_MEMBERS,
    DEMO_ARRANGEMENT_NAME,
    DEMO_ARRANGEMENT_SLUG,
    DEMO_COUNTIES,
    DEMO_LOGINS,
    DemoLogin,
    demo_password,
)
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.inventory import services as inventory
from schoolit.inventory.demo import demo_schools, seed_inventory
from schoolit.tickets.demo import seed_demo_tickets


@dataclass
class SeedReport:
    counties: int = 0
    arrangements: int = 0
    schools: int = 0
    inventory: dict[str, int] = field(default_factory=dict)  # rows of each kind in the demo schools
    tickets: int = 0
    logins: list[tuple[DemoLogin, str]] = field(default_factory=list)


async def seed_demo(secret_key: str | None = None) -> SeedReport:
    """Load (or refresh) the demo data in one transaction. With a secret key (demo mode) the demo
    logins are created too, with passwords derived from that key."""
    report = SeedReport()
    async with atomic():
        county_ids: dict[str, int] = {}
        for county in DEMO_COUNTIES:
            county_ids[county.slug] = await tenants.upsert_county(
                slug=county.slug, name=county.name, ags=county.ags, seat=county.seat, state=county.state.value
            )
            report.counties += 1
        await tenants.upsert_arrangement(
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
        report.inventory = await seed_inventory()
        if secret_key:
            system = Scope.system("demo")
            for login in DEMO_LOGINS:
                password = demo_password(secret_key, login.email)
                await accounts.ensure_user(
                    system, email=login.email, display_name=login.display_name, role=login.role, password=password,
                    ref=accounts.UserScopeRef(county_slug=login.county_slug, arrangement_slug=login.arrangement_slug,
                                              school_number=login.school_number))
                report.logins.append((login, password))
        report.tickets = await seed_demo_tickets()
    return report
