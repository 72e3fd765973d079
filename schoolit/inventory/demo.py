"""Synthetic demo schools for every demo county: plausible names, types, numbers and pupil counts.

Deterministic (seeded by the county's AGS), so seeding twice gives the same schools.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from schoolit.accounts.demo import DEMO_COUNTIES, DemoCounty
from schoolit.inventory.choices import SchoolType

_PREFIX = {
    SchoolType.GYMNASIUM: "Gymnasium",
    SchoolType.IGS: "IGS",
    SchoolType.REALSCHULE_PLUS: "Realschule plus",
    SchoolType.BBS: "Berufsbildende Schule",
    SchoolType.FOERDERSCHULE: "Förderschule",
}
_PUPILS = {
    SchoolType.GYMNASIUM: (550, 1250),
    SchoolType.IGS: (650, 1350),
    SchoolType.REALSCHULE_PLUS: (280, 700),
    SchoolType.BBS: (1100, 3200),
    SchoolType.FOERDERSCHULE: (70, 230),
}
# Named after people or landscapes, as many real schools are; used for some Gymnasien and IGS.
_PATRONS = ("Albert-Schweitzer-", "Geschwister-Scholl-", "Carl-Zuckmayer-", "Nordpfalz-", "Hildegard-von-Bingen-",
            "Sickingen-", "Wilhelm-Erb-", "Veldenz-", "Sophie-Scholl-", "Kurfürst-Ruprecht-")


@dataclass(frozen=True)
class DemoSchool:
    county_slug: str
    school_number: str
    name: str
    school_type: SchoolType
    city: str
    pupils: int


def _plan(county: DemoCounty, rng: random.Random) -> list[tuple[SchoolType, str]]:
    towns = list(county.towns)
    plan: list[tuple[SchoolType, str]] = [(SchoolType.BBS, towns[0])]
    plan += [(SchoolType.GYMNASIUM, t) for t in towns[: rng.randint(2, 3)]]
    plan += [(SchoolType.IGS, t) for t in rng.sample(towns[1:], k=min(2, len(towns) - 1))]
    plan += [(SchoolType.REALSCHULE_PLUS, t) for t in rng.sample(towns, k=min(rng.randint(2, 3), len(towns)))]
    plan += [(SchoolType.FOERDERSCHULE, t) for t in rng.sample(towns, k=rng.randint(1, 2))]
    if county.slug == "donnersbergkreis":
        # The real Donnersbergkreis runs 13 schools; add schools until the demo matches.
        extra = [(SchoolType.REALSCHULE_PLUS, towns[3]), (SchoolType.GYMNASIUM, "Weierhof"),
                 (SchoolType.FOERDERSCHULE, towns[2]), (SchoolType.IGS, towns[0]), (SchoolType.BBS, towns[1])]
        for item in extra:
            if len(plan) >= 13:
                break
            if item not in plan:
                plan.append(item)
    return plan


def demo_schools() -> list[DemoSchool]:
    """All demo schools, in a stable order."""
    schools: list[DemoSchool] = []
    for county_index, county in enumerate(DEMO_COUNTIES):
        rng = random.Random(int(county.ags))  # noqa: S311 (demo data, not secrets)
        for school_index, (school_type, town) in enumerate(_plan(county, rng)):
            prefix = _PREFIX[school_type]
            if school_type in (SchoolType.GYMNASIUM, SchoolType.IGS) and rng.random() < 0.4:
                name = f"{rng.choice(_PATRONS)}{prefix} {town}"
            else:
                name = f"{prefix} {town}"
            low, high = _PUPILS[school_type]
            schools.append(DemoSchool(
                county_slug=county.slug,
                # 5 digits, unique by construction: 5, county index, school index.
                school_number=f"5{county_index:02d}{school_index:02d}",
                name=name,
                school_type=school_type,
                city=town,
                pupils=rng.randint(low, high) // 5 * 5,
            ))
    return schools
