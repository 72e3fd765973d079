"""Tenant administration (schoolit.accounts.tenants): counties and arrangements without SQL, their
rules, the audit trail, and scopes that follow membership at once."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from schoolit.accounts import probes, tenants
from schoolit.accounts import services as accounts
from schoolit.accounts.scope import Scope
from schoolit.accounts.tables import ArrangementMember, AuditEvent, County, Probe, User
from schoolit.errors import Conflict, NotFound, ValidationFailed
from schoolit.inventory import services as inventory
from schoolit.sql import fetch
from schoolit.tickets import reports
from tests.integration.accounts.test_login import login
from tests.integration.inventory.csvfiles import csv_bytes, post_import
from tests.integration.world import World

ADMIN = Scope.system("test")
NEW = {"name": "Landkreis Bad Kreuznach", "slug": "bad-kreuznach", "ags": "07133", "seat": "Bad Kreuznach"}


def fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


async def test_county_without_schools_is_allowed_and_renamed(world: World) -> None:
    county = await tenants.create_county(ADMIN, NEW)
    assert county["state"] == "RP" and county["retired_at"] is None
    assert await fetch("SELECT count(*)::int AS n FROM school WHERE county_id = {}", county["id"]) == [{"n": 0}]
    renamed = await tenants.update_county(ADMIN, county["id"], {"name": "Kreis Bad Kreuznach"})
    assert renamed["name"] == "Kreis Bad Kreuznach" and renamed["slug"] == "bad-kreuznach"
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.county_id == county["id"]).order_by(AuditEvent.id)]
    assert actions == ["county.create", "county.update"]


async def test_county_fields_and_taken_values_name_the_field(world: World) -> None:
    before = await County.count()
    with pytest.raises(ValidationFailed) as bad:
        await tenants.create_county(ADMIN, {"name": " ", "slug": "Bad Kreuznach", "ags": "7133", "state": "XX"})
    assert set(fields(bad)) == {"name", "slug", "ags", "state"}
    with pytest.raises(ValidationFailed) as taken:
        await tenants.create_county(ADMIN, {**NEW, "slug": "kusel", "ags": "07336"})
    assert fields(taken) == {"slug": "already in use", "ags": "already in use"}
    kusel = world.counties["kusel"]
    with pytest.raises(ValidationFailed) as renamed:
        await tenants.update_county(ADMIN, kusel, {"name": "Donnersbergkreis"})
    assert fields(renamed) == {"name": "already in use"}
    assert await County.count() == before


async def test_an_ags_key_begins_with_its_states_key(world: World) -> None:
    """07 is Rheinland-Pfalz, 08 Baden-Württemberg: a key of another state is refused on creation and when
    either the key or the state changes alone, and nothing is stored."""
    before = await County.count()
    with pytest.raises(ValidationFailed) as other_state:
        await tenants.create_county(ADMIN, {**NEW, "ags": "08133"})
    assert fields(other_state) == {"ags": "muss mit 07 beginnen, der Kennziffer des Landes RP"}
    assert await County.count() == before
    created = await tenants.create_county(ADMIN, {**NEW, "ags": "08133", "state": "bw"})
    assert (created["ags"], created["state"]) == ("08133", "BW")
    for change in ({"state": "RP"}, {"ags": "07133"}):
        with pytest.raises(ValidationFailed) as moved:
            await tenants.update_county(ADMIN, created["id"], change)
        assert set(fields(moved)) == {"ags"}, change
    moved_both = await tenants.update_county(ADMIN, created["id"], {"ags": "07133", "state": "RP"})
    assert (moved_both["ags"], moved_both["state"]) == ("07133", "RP")


async def test_retire_refuses_open_tickets_and_the_lead_then_retires(world: World) -> None:
    dbk, kusel = world.counties["donnersbergkreis"], world.counties["kusel"]
    open_tickets = (await fetch("SELECT count(*)::int AS n FROM ticket WHERE county_id = {} AND status IN "
                                "('new', 'assigned', 'in_progress', 'waiting')", kusel))[0]["n"]
    assert open_tickets > 0
    with pytest.raises(tenants.CountyHeld) as held:
        await tenants.retire_county(ADMIN, kusel)
    assert held.value.count == open_tickets and f"open tickets: {open_tickets};" in held.value.detail
    await fetch("UPDATE ticket SET status = 'closed' WHERE county_id = {}", kusel)
    with pytest.raises(Conflict, match="leads the arrangement"):
        await fetch("UPDATE ticket SET status = 'closed' WHERE county_id = {}", dbk)
        await tenants.retire_county(ADMIN, dbk)
    retired = await tenants.retire_county(ADMIN, kusel)
    assert retired["retired_at"] is not None and retired["users_disabled"] >= 0
    assert not await ArrangementMember.exists().where(ArrangementMember.county_id == kusel)
    assert not await User.exists().where((User.county_id == kusel) & (User.active == True))  # noqa: E712
    assert not await Probe.exists().where((Probe.county_id == kusel) & (Probe.active == True))  # noqa: E712
    with pytest.raises(Conflict, match="already retired"):
        await tenants.retire_county(ADMIN, kusel)
    with pytest.raises(ValidationFailed) as refused:
        await tenants.add_member(ADMIN, world.arrangement_id, kusel)
    assert fields(refused) == {"county": "the county is retired"}


async def test_arrangement_rules(world: World) -> None:
    county = await tenants.create_county(ADMIN, NEW)
    with pytest.raises(ValidationFailed) as member_elsewhere:
        await tenants.create_arrangement(ADMIN, name="Verbund Nahe", slug="verbund-nahe",
                                         lead_county_id=world.counties["kusel"])
    assert fields(member_elsewhere) == {"lead_county": "the county already belongs to an arrangement"}
    # An arrangement of one county is allowed: its lead county is its only member.
    alone = await tenants.create_arrangement(ADMIN, name="Verbund Nahe", slug="verbund-nahe",
                                             lead_county_id=county["id"])
    assert [m["county_id"] for m in alone["members"]] == [county["id"]]
    with pytest.raises(ValidationFailed) as taken:
        await tenants.create_arrangement(ADMIN, name="Verbund Nahe", slug="verbund-donnersberg-kl-kus",
                                         lead_county_id=world.counties["ludwigsburg"])
    assert fields(taken) == {"name": "already in use", "slug": "already in use"}
    with pytest.raises(ValidationFailed) as lead_outside:
        await tenants.update_arrangement(ADMIN, alone["id"], lead_county_id=world.counties["ludwigsburg"])
    assert fields(lead_outside) == {"lead_county": "the lead county must be a member of the arrangement"}
    with pytest.raises(ValidationFailed) as lead_leaves:
        await tenants.remove_member(ADMIN, alone["id"], county["id"])
    assert "lead county must be a member" in fields(lead_leaves)["county"]
    with pytest.raises(ValidationFailed) as twice:
        await tenants.add_member(ADMIN, alone["id"], world.counties["kusel"])
    assert fields(twice) == {"county": "the county already belongs to an arrangement"}


async def test_fixed_shares_sum_to_100_and_drive_the_cost_split(world: World) -> None:
    arrangement, dbk = world.arrangement_id, world.counties["donnersbergkreis"]
    kl, kusel = world.counties["kaiserslautern"], world.counties["kusel"]
    with pytest.raises(ValidationFailed) as short:
        await tenants.update_arrangement(ADMIN, arrangement, share_rule="fixed", shares={dbk: "50", kl: "30"})
    assert set(fields(short)) == {"shares"}
    changed = await tenants.update_arrangement(ADMIN, arrangement, share_rule="fixed",
                                               shares={dbk: "50", kl: "30", kusel: "20,00"})
    assert {m["county_id"]: m["share_percent"] for m in changed["members"]} == {
        dbk: Decimal(50), kl: Decimal(30), kusel: Decimal(20)}
    import datetime as dt

    split = await reports.cost_split(ADMIN, dt.date(2026, 1, 1), dt.date(2027, 1, 1), arrangement)
    assert split["rule"] == "fixed"
    assert {r["county_id"]: r["share"] for r in split["counties"]} == {dbk: "50.0", kl: "30.0", kusel: "20.0"}
    with pytest.raises(ValidationFailed):  # the remaining shares would not sum to 100
        await tenants.remove_member(ADMIN, arrangement, kusel)
    after = await tenants.remove_member(ADMIN, arrangement, kusel, shares={dbk: "60", kl: "40"})
    assert len(after["members"]) == 2
    by_schools = await tenants.update_arrangement(ADMIN, arrangement, share_rule="schools")
    assert by_schools["share_rule"] == "schools"
    split = await reports.cost_split(ADMIN, dt.date(2026, 1, 1), dt.date(2027, 1, 1), arrangement)
    assert {r["county_id"]: r["share"] for r in split["counties"]} == {dbk: "100.0", kl: "0.0"}  # KL has no school


async def test_membership_changes_what_a_supporter_sees_at_once(client: httpx.AsyncClient, world: World) -> None:
    kusel = world.counties["kusel"]
    assert (await login(client, "support@verbund.test.example")).status_code == 303
    assert (await client.get(f"/api/v1/counties/{kusel}")).status_code == 200
    school = world.schools["kus"]["id"]
    assert (await client.get(f"/schools/{school}")).status_code == 200
    await tenants.remove_member(Scope.system("test"), world.arrangement_id, kusel)
    assert (await client.get(f"/api/v1/counties/{kusel}")).status_code == 404
    assert (await client.get(f"/schools/{school}")).status_code == 404
    await tenants.add_member(Scope.system("test"), world.arrangement_id, kusel)
    assert (await client.get(f"/api/v1/counties/{kusel}")).status_code == 200
    rows = await AuditEvent.select(AuditEvent.action).where(
        (AuditEvent.county_id == kusel) & AuditEvent.action.like("arrangement.member%")).order_by(AuditEvent.id)
    assert [r["action"] for r in rows][-2:] == ["arrangement.member_remove", "arrangement.member_add"]


async def test_seed_upserts_follow_the_same_rules(world: World) -> None:
    with pytest.raises(ValidationFailed) as bad:
        await tenants.upsert_county(slug="neu", name="Neu", ags="123", seat="", state="RP")
    assert set(fields(bad)) == {"ags"}
    again = await tenants.upsert_arrangement(
        slug="verbund-donnersberg-kl-kus", name="Schul-IT-Verbund Donnersberg–Kaiserslautern–Kusel",
        lead_county_slug="kaiserslautern", member_slugs=("donnersbergkreis", "kaiserslautern"))
    assert again == world.arrangement_id
    arrangement = await tenants.get_arrangement(ADMIN, again)
    assert arrangement["lead_county_id"] == world.counties["kaiserslautern"]
    assert {m["slug"] for m in arrangement["members"]} == {"donnersbergkreis", "kaiserslautern"}


async def test_dissolve_is_refused_while_users_are_scoped_then_frees_the_members(world: World) -> None:
    scoped = await User.count().where(User.arrangement_id == world.arrangement_id)
    assert scoped > 0
    with pytest.raises(tenants.ArrangementInUse) as busy:
        await tenants.dissolve_arrangement(ADMIN, world.arrangement_id)
    assert busy.value.count == scoped and f"users scoped to the arrangement: {scoped};" in busy.value.detail
    assert await ArrangementMember.exists().where(ArrangementMember.arrangement_id == world.arrangement_id)
    county = await tenants.create_county(ADMIN, NEW)
    made = await tenants.create_arrangement(ADMIN, name="Verbund Nahe", slug="verbund-nahe",
                                            lead_county_id=county["id"])
    gone = await tenants.dissolve_arrangement(ADMIN, made["id"])
    assert [m["county_id"] for m in gone["members"]] == [county["id"]]
    assert not await ArrangementMember.exists().where(ArrangementMember.county_id == county["id"])
    with pytest.raises(NotFound):
        await tenants.get_arrangement(ADMIN, made["id"])
    event = await AuditEvent.select(AuditEvent.object_id, AuditEvent.county_id).where(
        AuditEvent.action == "arrangement.dissolve").first()
    assert event == {"object_id": str(made["id"]), "county_id": county["id"]}
    # The freed county can found or join another arrangement.
    again = await tenants.create_arrangement(ADMIN, name="Verbund Nahe", slug="verbund-nahe",
                                             lead_county_id=county["id"])
    assert again["lead_county_id"] == county["id"]


async def test_a_retired_county_takes_no_new_users_schools_or_probes(client: httpx.AsyncClient,
                                                                    world: World) -> None:
    county = await tenants.create_county(ADMIN, NEW)
    school = await inventory.create_school(ADMIN, {"county_id": county["id"], "school_number": "49901",
                                                   "name": "IGS Bad Kreuznach", "school_type": "igs"})
    await tenants.retire_county(ADMIN, county["id"])
    counts = (await User.count(), await Probe.count(), await fetch("SELECT count(*)::int AS n FROM school"))
    with pytest.raises(ValidationFailed) as supporter:
        await accounts.create_user(ADMIN, email="neu@kreuznach.test.example", display_name="Neu", role="supporter",
                                   ref=accounts.UserScopeRef(county_slug="bad-kreuznach"))
    assert fields(supporter) == {"county": "the county is retired"}
    with pytest.raises(ValidationFailed) as contact:
        await accounts.create_user(ADMIN, email="igs@kreuznach.test.example", display_name="IGS", role="school",
                                   ref=accounts.UserScopeRef(school_number="49901"))
    assert fields(contact) == {"school": "the county is retired"}
    with pytest.raises(ValidationFailed) as new_school:
        await inventory.create_school(ADMIN, {"county_id": county["id"], "school_number": "49902",
                                              "name": "Neue Schule", "school_type": "igs"})
    assert fields(new_school) == {"county_id": "the county is retired"}
    with pytest.raises(ValidationFailed) as seeded:
        await inventory.upsert_school(county_id=county["id"], school_number="49902", name="Neue Schule",
                                      school_type="igs", city="", pupils=0)
    assert fields(seeded) == {"county": "the county is retired"}
    # A school already there is still brought up to date.
    assert await inventory.upsert_school(county_id=county["id"], school_number="49901", name="IGS Bad Kreuznach",
                                         school_type="igs", city="Bad Kreuznach", pupils=10) == school["id"]
    with pytest.raises(ValidationFailed) as probe:
        await probes.register_probe(ADMIN, name="Sonde Kreuznach", county_id=county["id"])
    assert fields(probe) == {"county": "the county is retired"}
    admin = world.auth("admin")
    api = await client.post("/api/v1/schools", headers=admin, json={
        "county_id": county["id"], "school_number": "49902", "name": "Neue Schule", "school_type": "igs"})
    assert api.status_code == 422 and {e["field"]: e["message"] for e in api.json()["errors"]} == {
        "county_id": "the county is retired"}
    report = await post_import(client, world, "admin", "schools", csv_bytes(
        [["Schulnummer", "Name", "Schulart", "Landkreis"], ["49902", "Neue Schule", "Gymnasium", "bad-kreuznach"]]))
    assert [(e["row"], e["column"], e["message"]) for e in report.json()["errors"]] == [
        (2, "Landkreis", "der Landkreis ist stillgelegt")]
    assert counts == (await User.count(), await Probe.count(), await fetch("SELECT count(*)::int AS n FROM school"))
