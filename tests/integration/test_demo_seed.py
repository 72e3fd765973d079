"""`seed --demo` loads the counties, the arrangement and the schools, and is idempotent."""

from __future__ import annotations

from schoolit.accounts.tables import Arrangement, ArrangementMember, County
from schoolit.demo import seed_demo
from schoolit.inventory.demo import demo_schools
from schoolit.inventory.tables import School


async def _state() -> dict[str, object]:
    return {
        "counties": await County.select(County.id, County.slug, County.name).order_by(County.id),
        "arrangements": await Arrangement.select().order_by(Arrangement.id),
        "members": await ArrangementMember.select(ArrangementMember.arrangement_id, ArrangementMember.county_id)
        .order_by(ArrangementMember.county_id),
        "schools": await School.select(School.id, School.school_number, School.name, School.county_id)
        .order_by(School.id),
    }


async def test_seed_twice_creates_no_duplicates() -> None:
    report = await seed_demo()
    first = await _state()
    again = await seed_demo()
    assert report == again
    assert await _state() == first
    assert len(first["counties"]) == 25  # type: ignore[arg-type]
    assert len(first["schools"]) == len(demo_schools())  # type: ignore[arg-type]


async def test_arrangement_has_the_three_counties_and_donnersberg_leads() -> None:
    await seed_demo()
    arrangement = await Arrangement.objects().get(Arrangement.slug == "verbund-donnersberg-kl-kus")
    assert arrangement is not None
    assert arrangement.name == "Schul-IT-Verbund Donnersberg–Kaiserslautern–Kusel"
    members = await ArrangementMember.select(ArrangementMember.county_id.name).where(
        ArrangementMember.arrangement_id == arrangement.id
    )
    assert {m["county_id.name"] for m in members} == {"Donnersbergkreis", "Landkreis Kaiserslautern", "Landkreis Kusel"}
    lead = await County.objects().get(County.id == arrangement.lead_county_id)
    assert lead is not None and lead.name == "Donnersbergkreis"
    ludwigsburg = await County.objects().get(County.slug == "ludwigsburg")
    assert ludwigsburg is not None and ludwigsburg.state == "BW"
    assert await ArrangementMember.count().where(ArrangementMember.county_id == ludwigsburg.id) == 0
