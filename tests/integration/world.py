"""A small, complete tenant world for integration tests: the Donnersberg–Kaiserslautern–Kusel
arrangement, Landkreis Ludwigsburg outside it, schools on both sides, one user per role, their
bearer tokens and a probe. Built inside each test's transaction, so it costs a few milliseconds
(passwords use one argon2 hash computed once per run).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from schoolit.accounts.credentials import create_password_reset
from schoolit.accounts.scope import Scope
from schoolit.accounts.security import hash_password, new_token
from schoolit.accounts.tables import ApiToken, Probe, User
from schoolit.accounts.tenants import upsert_arrangement, upsert_county
from schoolit.inventory.services import upsert_school
from tests.integration.tickets.world import add_tickets

PASSWORD = "correct horse battery staple"


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class World:
    counties: dict[str, int] = field(default_factory=dict)
    arrangement_id: int = 0
    schools: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)
    probe_id: int = 0
    # Domain objects per school, for the access matrix: by_school["access_point"]["kib"] = id.
    # A path parameter `access_point_id` is then filled with the actor's own or a foreign school's.
    by_school: dict[str, dict[str, int]] = field(default_factory=dict)
    reset_tokens: dict[str, str] = field(default_factory=dict)  # a valid password-reset link of each user

    def auth(self, actor: str) -> dict[str, str]:
        """An API client's headers as `actor`: its bearer token, and English as the language of the
        answers, which the tests' expected messages are written in (the API answers in German to a
        client that asks for no language: tests/integration/web/test_api_errors.py)."""
        return {"authorization": f"Bearer {self.tokens[actor]}", "accept-language": "en"}

    def auth_only(self, actor: str) -> dict[str, str]:
        """An API client's headers without a language preference."""
        return {"authorization": f"Bearer {self.tokens[actor]}"}


COUNTIES = {
    "donnersbergkreis": ("Donnersbergkreis", "07333", "Kirchheimbolanden", "RP"),
    "kaiserslautern": ("Landkreis Kaiserslautern", "07335", "Kaiserslautern", "RP"),
    "kusel": ("Landkreis Kusel", "07336", "Kusel", "RP"),
    "ludwigsburg": ("Landkreis Ludwigsburg", "08118", "Ludwigsburg", "BW"),
}
SCHOOLS = {
    "kib": ("donnersbergkreis", "41001", "Nordpfalzgymnasium Kirchheimbolanden", "gymnasium", "Kirchheimbolanden"),
    "rok": ("donnersbergkreis", "41002", "IGS Rockenhausen", "igs", "Rockenhausen"),
    "kus": ("kusel", "41003", "Realschule plus Kusel", "realschule_plus", "Kusel"),
    "lb": ("ludwigsburg", "41004", "Mörike-Gymnasium Ludwigsburg", "gymnasium", "Ludwigsburg"),
}
# actor -> (role, e-mail, scope columns by natural key)
USERS = {
    "admin": ("admin", "admin@test.example", {}),
    "verbund_supporter": ("supporter", "support@verbund.test.example", {"arrangement": True}),
    "ludwigsburg_supporter": ("supporter", "support@lb.test.example", {"county": "ludwigsburg"}),
    "donnersberg_authority": ("authority", "st@dbk.test.example", {"county": "donnersbergkreis"}),
    "ludwigsburg_authority": ("authority", "st@lb.test.example", {"county": "ludwigsburg"}),
    "school_contact": ("school", "it@kib.test.example", {"school": "kib"}),
}


WorldExtension = Callable[[World], Awaitable[None]]
# Each domain adds one entry: an async function that creates its objects for every school key in
# SCHOOLS and records them in world.by_school (see tests/integration/<domain>/world.py).
EXTENSIONS: list[WorldExtension] = [add_tickets]


async def build_world() -> World:
    world = World()
    for slug, (name, ags, seat, state) in COUNTIES.items():
        world.counties[slug] = await upsert_county(slug=slug, name=name, ags=ags, seat=seat, state=state)
    world.arrangement_id = await upsert_arrangement(
        slug="verbund-donnersberg-kl-kus", name="Schul-IT-Verbund Donnersberg–Kaiserslautern–Kusel",
        lead_county_slug="donnersbergkreis", member_slugs=("donnersbergkreis", "kaiserslautern", "kusel"))
    for key, (county, number, name, school_type, city) in SCHOOLS.items():
        school_id = await upsert_school(county_id=world.counties[county], school_number=number, name=name,
                                        school_type=school_type, city=city, pupils=500)
        world.schools[key] = {"id": school_id, "number": number, "name": name, "county_id": world.counties[county]}
    for actor, (role, email, where) in USERS.items():
        columns: dict[Any, Any] = {}
        if where.get("arrangement"):
            columns["arrangement_id"] = world.arrangement_id
        if "county" in where:
            columns["county_id"] = world.counties[where["county"]]
        if "school" in where:
            school = world.schools[where["school"]]
            columns.update(school_id=school["id"], county_id=school["county_id"])
        row = (await User.insert(User(email=email, display_name=actor.replace("_", " ").title(), role=role,
                                      password_hash=password_hash(), **columns)).returning(User.id))[0]
        world.users[actor] = {"id": row["id"], "email": email, "role": role}
        token, prefix, digest = new_token()
        token_row = (await ApiToken.insert(ApiToken(name=f"{actor} test", prefix=prefix, token_hash=digest,
                                                    user_id=row["id"])).returning(ApiToken.id))[0]
        world.tokens[actor], world.token_ids[actor] = token, token_row["id"]
    probe = (await Probe.insert(Probe(name="Sonde Kirchheimbolanden", county_id=world.counties["donnersbergkreis"]))
             .returning(Probe.id))[0]
    world.probe_id = probe["id"]
    token, prefix, digest = new_token()
    token_row = (await ApiToken.insert(ApiToken(name="probe test", prefix=prefix, token_hash=digest,
                                                probe_id=probe["id"])).returning(ApiToken.id))[0]
    world.tokens["probe"], world.token_ids["probe"] = token, token_row["id"]
    world.by_school["school"] = {key: school["id"] for key, school in world.schools.items()}
    for actor, user in world.users.items():
        world.reset_tokens[actor], _ = await create_password_reset(Scope.system("test"), user["id"])
    for extend in EXTENSIONS:
        await extend(world)
    return world


from tests.integration.inventory.world import inventory_world  # noqa: E402 (it needs World, defined above)

EXTENSIONS.append(inventory_world)

from tests.integration.accounts.sso.world import add_sign_in  # noqa: E402

EXTENSIONS.append(add_sign_in)
