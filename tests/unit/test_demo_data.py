"""The demo data is plausible and internally consistent."""

from collections import Counter

from schoolit.accounts.choices import FederalState
from schoolit.accounts.demo import DEMO_ARRANGEMENT_LEAD, DEMO_ARRANGEMENT_MEMBERS, DEMO_COUNTIES
from schoolit.inventory.demo import demo_schools


def test_all_24_rlp_counties_and_ludwigsburg() -> None:
    rlp = [c for c in DEMO_COUNTIES if c.state == FederalState.RP]
    assert len(rlp) == 24
    assert {c.ags[:2] for c in rlp} == {"07"}
    assert [c.name for c in DEMO_COUNTIES if c.state == FederalState.BW] == ["Landkreis Ludwigsburg"]
    assert len({c.slug for c in DEMO_COUNTIES}) == len({c.ags for c in DEMO_COUNTIES}) == 25
    assert {"Donnersbergkreis", "Landkreis Kaiserslautern", "Landkreis Kusel"} <= {c.name for c in DEMO_COUNTIES}
    assert DEMO_ARRANGEMENT_LEAD in DEMO_ARRANGEMENT_MEMBERS


def test_schools_have_unique_five_digit_numbers_and_plausible_sizes() -> None:
    schools = demo_schools()
    numbers = [s.school_number for s in schools]
    assert len(numbers) == len(set(numbers))
    assert all(len(n) == 5 and n.isdigit() for n in numbers)
    assert all(50 <= s.pupils <= 3500 for s in schools)
    per_county = Counter(s.county_slug for s in schools)
    assert set(per_county) == {c.slug for c in DEMO_COUNTIES}
    assert per_county["donnersbergkreis"] == 13  # as many as the real county runs
    assert all(5 <= n <= 15 for n in per_county.values())


def test_demo_is_deterministic() -> None:
    assert demo_schools() == demo_schools()
