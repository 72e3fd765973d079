"""Tenant administration: create, rename and retire counties; support arrangements, their members,
lead county and cost share rule. Admins only (`Permission.TENANTS_MANAGE`); every change is audited.

Rules (docs/operations.md, "First run"):
- A county may exist without schools: it is made first, its schools are imported or created after.
- An arrangement always has at least one member: its lead county, which carries the team's cost and
  must be a member. An arrangement of one county is allowed (a team that takes further counties on
  later); its cost split gives that county 100 %.
- A county belongs to at most one arrangement; moving it to another means removing it first.
- Name, slug and AGS key of a county (name and slug of an arrangement) are unique: a taken one is a
  field error naming the field.
- A county with open tickets is not retired (other domains say what holds a county, see
  `hold_county_retirement`); nor is the lead county of an arrangement. Retiring a county ends its
  membership, disables its users and probes and keeps its data.
- An arrangement is dissolved (deleted, audited) only when no user is scoped to it: its supporters are
  moved to another arrangement or county first. Its members then belong to none.
- A retired county takes nothing new: no user scoped to it or to one of its schools, no school, no
  probe (`retired_counties`, `refuse_retired_county`: every path that creates one asks here).
- The share rule is one per arrangement (`ShareRule`); with `fixed`, every member has a percentage
  and the percentages sum to 100 after every change.

Scopes are computed from these tables on every request (`services.scope_for_user`), so a change here
changes who sees what at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from schoolit import rules
from schoolit.accounts import audit, fields
from schoolit.accounts.choices import FederalState, ShareRule
from schoolit.accounts.scope import Scope
from schoolit.accounts.tables import Arrangement, ArrangementMember, County, Probe, User, WebSession
from schoolit.db import atomic
from schoolit.errors import Conflict, FieldError, NotFound, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, gettext
from schoolit.rules import REQUIRED, TAKEN, TOO_LONG_TEXT

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
AGS = re.compile(r"^\d{5}$")
COUNTY_RETIRED = N_("the county is retired")
UNKNOWN_COUNTY = N_("unknown county")
IN_AN_ARRANGEMENT = N_("the county already belongs to an arrangement")
UNKNOWN_SHARE_RULE = N_("unknown share rule")
HUNDRED = Decimal(100)
SEED_SCOPE = Scope.system("seed")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

COUNTY_COLUMNS = (County.id, County.name, County.slug, County.state, County.ags, County.seat, County.created_at,
                  County.retired_at)
ARRANGEMENT_COLUMNS = (Arrangement.id, Arrangement.name, Arrangement.slug, Arrangement.lead_county_id,
                       Arrangement.share_rule, Arrangement.created_at)


class CountyHeld(Conflict):
    """A county cannot be retired: another domain still has open work in it (e.g. open tickets)."""

    def __init__(self, what: str, count: int) -> None:
        super().__init__(N_("the county still has %(what)s: %(count)s; close them before retiring it"), count=count,
                         what=what)
        self.what = what
        self.count = count


# What holds a county from retirement, registered by the domains that own it (accounts may not import
# them): each returns (count, what) of its open work, e.g. (3, "open tickets").
CountyHold = Callable[[Scope, int], Awaitable[tuple[int, str]]]
_HOLDS: list[CountyHold] = []


def hold_county_retirement(check: CountyHold) -> CountyHold:
    """Register a check that keeps a county with open work from being retired (a decorator)."""
    if check not in _HOLDS:
        _HOLDS.append(check)
    return check


# --- retired counties take nothing new ----------------------------------------------------------------


async def retired_counties(county_ids: Iterable[int | None]) -> set[int]:
    """Which of these counties are retired: the one rule for every path that creates a user, school or
    probe in a county (users, inventory, the CSV import, probe registration). Unscoped: it answers
    only about ids the caller already holds."""
    ids = sorted({i for i in county_ids if i is not None})
    if not ids:
        return set()
    rows = await County.select(County.id).where(County.id.is_in(ids) & County.retired_at.is_not_null())
    return {r["id"] for r in rows}


async def refuse_retired_county(county_id: int | None, field: str, errors: list[FieldError]) -> None:
    """Add the field error `field: the county is retired` when `county_id` is a retired county."""
    if await retired_counties([county_id]):
        errors.append(FieldError(field, COUNTY_RETIRED))


# --- reading ---------------------------------------------------------------------------------------


async def county_by_slug(scope: Scope, slug: str) -> dict[str, Any]:
    scope.require(Permission.TENANTS_MANAGE)
    row = await County.select(*COUNTY_COLUMNS).where(County.slug == slug.strip()).first()
    if row is None:
        raise NotFound(f"unknown county {slug!r}")
    return row


async def get_county(scope: Scope, county_id: int) -> dict[str, Any]:
    scope.require(Permission.TENANTS_MANAGE)
    row = await County.select(*COUNTY_COLUMNS).where(County.id == county_id).first()
    if row is None:
        raise NotFound(rules.COUNTY_NOT_FOUND)
    return row


async def list_counties(scope: Scope) -> list[dict[str, Any]]:
    """Every county (retired ones last), with the arrangement it belongs to."""
    scope.require(Permission.TENANTS_MANAGE)
    rows = await County.select(*COUNTY_COLUMNS).order_by(County.name)
    members = {m["county_id"]: m for m in await ArrangementMember.select(
        ArrangementMember.county_id, ArrangementMember.arrangement_id, ArrangementMember.arrangement_id.name,
        ArrangementMember.arrangement_id.slug, ArrangementMember.share_percent)}
    for row in rows:
        member = members.get(row["id"])
        row["arrangement_id"] = member["arrangement_id"] if member else None
        row["arrangement_name"] = member["arrangement_id.name"] if member else None
        row["arrangement_slug"] = member["arrangement_id.slug"] if member else None
    return sorted(rows, key=lambda r: (r["retired_at"] is not None, r["name"]))


async def arrangement_by_slug(scope: Scope, slug: str) -> dict[str, Any]:
    scope.require(Permission.TENANTS_MANAGE)
    row = await Arrangement.select(Arrangement.id).where(Arrangement.slug == slug.strip()).first()
    if row is None:
        raise NotFound(f"unknown arrangement {slug!r}")
    return await get_arrangement(scope, row["id"])


async def get_arrangement(scope: Scope, arrangement_id: int) -> dict[str, Any]:
    """An arrangement with its members (id, name, slug, share) and its lead county's name."""
    scope.require(Permission.TENANTS_MANAGE)
    row = await Arrangement.select(*ARRANGEMENT_COLUMNS, Arrangement.lead_county_id.name).where(
        Arrangement.id == arrangement_id).first()
    if row is None:
        raise NotFound(rules.ARRANGEMENT_NOT_FOUND)
    row["lead_name"] = row.pop("lead_county_id.name")
    row["members"] = await _members(arrangement_id)
    return row


async def list_arrangements(scope: Scope) -> list[dict[str, Any]]:
    scope.require(Permission.TENANTS_MANAGE)
    rows = await Arrangement.select(Arrangement.id).order_by(Arrangement.name)
    return [await get_arrangement(scope, r["id"]) for r in rows]


async def _members(arrangement_id: int) -> list[dict[str, Any]]:
    rows = await ArrangementMember.select(
        ArrangementMember.county_id, ArrangementMember.county_id.name, ArrangementMember.county_id.slug,
        ArrangementMember.share_percent,
    ).where(ArrangementMember.arrangement_id == arrangement_id).order_by(ArrangementMember.county_id.name)
    return [{"county_id": r["county_id"], "name": r["county_id.name"], "slug": r["county_id.slug"],
             "share_percent": r["share_percent"]} for r in rows]


async def share_rule_of(arrangement_id: int) -> tuple[ShareRule, dict[int, Decimal | None]]:
    """The cost share rule of an arrangement and each member's fixed share (for the cost split)."""
    row = await Arrangement.select(Arrangement.share_rule).where(Arrangement.id == arrangement_id).first()
    if row is None:
        raise NotFound(rules.ARRANGEMENT_NOT_FOUND)
    members = await ArrangementMember.select(ArrangementMember.county_id, ArrangementMember.share_percent).where(
        ArrangementMember.arrangement_id == arrangement_id)
    return ShareRule(row["share_rule"]), {m["county_id"]: m["share_percent"] for m in members}


# --- checking --------------------------------------------------------------------------------------


def _text(errors: list[FieldError], field: str, value: str | None, max_length: int, *, required: bool) -> str | None:
    if value is None:
        if required:
            errors.append(FieldError(field, REQUIRED))
        return None
    value = " ".join(value.split())
    if not value and required:
        errors.append(FieldError(field, REQUIRED))
    elif len(value) > max_length:
        errors.append(FieldError(field, TOO_LONG_TEXT))
    return value


def _slug(errors: list[FieldError], value: str | None, *, required: bool) -> str | None:
    value = _text(errors, "slug", value, 80, required=required)
    if value and not SLUG.match(value):
        errors.append(FieldError("slug", N_("lower-case letters, digits and hyphens, e.g. landkreis-kusel")))
    return value


async def _unique(errors: list[FieldError], table: type[County] | type[Arrangement], values: Mapping[str, Any],
                  own_id: int | None) -> None:
    """A field error for every unique value another row already has (the database enforces it too)."""
    for field, value in values.items():
        if not value or any(e.field == field for e in errors):
            continue
        query = table.exists().where(getattr(table, field) == value)
        if own_id is not None:
            query = query.where(table.id != own_id)
        if await query:
            errors.append(FieldError(field, TAKEN))


def _county_input(data: Mapping[str, str | None], *, partial: bool) -> tuple[dict[str, Any], list[FieldError]]:
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    required = not partial
    for field, length in (("name", 200), ("seat", 120)):
        if field in data or (required and field == "name"):
            values[field] = _text(errors, field, data.get(field), length, required=field == "name")
    if "slug" in data or required:
        values["slug"] = _slug(errors, data.get("slug"), required=True)
    if "ags" in data or required:
        ags = _text(errors, "ags", data.get("ags"), 5, required=True)
        if ags and not AGS.match(ags):
            errors.append(FieldError("ags", N_("five digits (Amtlicher Gemeindeschlüssel of the district)")))
        values["ags"] = ags
    if "state" in data or required:
        state = (data.get("state") or FederalState.RP.value).strip().upper()
        if state not in FederalState.__members__:
            errors.append(FieldError("state", N_("a German state code such as RP")))
        values["state"] = state
    return {k: v for k, v in values.items() if v is not None}, errors


def _check_ags_in_state(errors: list[FieldError], ags: str | None, state: str | None) -> None:
    """A district's AGS begins with its state's key (07 for Rheinland-Pfalz): a key of another state is a typo
    or the wrong state, and either would put the county's figures under the wrong state's holidays."""
    if not (ags and state and state in FederalState.__members__ and AGS.match(ags)):
        return  # a malformed key or state has its own message
    key = FederalState(state).key
    if not ags.startswith(key):
        errors.append(FieldError("ags", gettext(N_("must begin with %(key)s, the key of the state %(state)s"),
                                                key=key, state=state)))


async def _audit_county(scope: Scope, action: str, county_id: int, before: dict[str, Any] | None,
                        after: dict[str, Any] | None) -> None:
    await audit.record(scope, action, object_type="county", object_id=county_id, county_id=county_id,
                       before=before, after=after)


# --- counties --------------------------------------------------------------------------------------


async def create_county(scope: Scope, data: Mapping[str, str | None]) -> dict[str, Any]:
    """A new county: name, slug, AGS key (5 digits), seat and state (default RP)."""
    scope.require(Permission.TENANTS_MANAGE)
    values, errors = _county_input(data, partial=False)
    _check_ags_in_state(errors, values.get("ags"), values.get("state"))
    await _unique(errors, County, {k: values.get(k) for k in ("name", "slug", "ags")}, None)
    if errors:
        raise ValidationFailed(errors, labels=fields.COUNTY)
    async with atomic():
        rows = await County.insert(County(**values)).returning(*COUNTY_COLUMNS)
        await _audit_county(scope, "county.create", rows[0]["id"], None, rows[0])
    return rows[0]


async def update_county(scope: Scope, county_id: int, data: Mapping[str, str | None]) -> dict[str, Any]:
    """Rename a county, or change its slug, AGS key, seat or state (only the fields given)."""
    before = await get_county(scope, county_id)
    values, errors = _county_input(data, partial=True)
    if "ags" in values or "state" in values:
        _check_ags_in_state(errors, values.get("ags", before["ags"]), values.get("state", before["state"]))
    await _unique(errors, County, {k: values.get(k) for k in ("name", "slug", "ags")}, county_id)
    if errors:
        raise ValidationFailed(errors, labels=fields.COUNTY)
    if all(before[k] == v for k, v in values.items()):
        return before
    async with atomic():
        await County.update({getattr(County, k): v for k, v in values.items()}).where(County.id == county_id)
        after = await get_county(scope, county_id)
        await _audit_county(scope, "county.update", county_id, before, after)
    return after


async def retire_county(scope: Scope, county_id: int) -> dict[str, Any]:
    """Retire a county: refused while it has open work or leads an arrangement; it leaves its
    arrangement, its users and probes are disabled, its data stays."""
    before = await get_county(scope, county_id)
    if before["retired_at"] is not None:
        raise Conflict(N_("the county is already retired"))
    for hold in _HOLDS:
        count, what = await hold(scope, county_id)
        if count:
            raise CountyHeld(what, count)
    async with atomic():
        led = await Arrangement.select(Arrangement.name).where(Arrangement.lead_county_id == county_id).first()
        if led is not None:
            raise Conflict(N_("the county leads the arrangement “%(name)s”; make another member the lead first"),
                           name=led["name"])
        member = await ArrangementMember.select(ArrangementMember.arrangement_id).where(
            ArrangementMember.county_id == county_id).first()
        if member is not None:
            await remove_member(scope, member["arrangement_id"], county_id)
        users = await User.update({User.active: False, User.updated_at: now()}).where(
            (User.county_id == county_id) & (User.active == True)).returning(User.id)  # noqa: E712
        if users:
            await WebSession.delete().where(WebSession.user_id.is_in([u["id"] for u in users]))
        probes = await Probe.update({Probe.active: False}).where(
            (Probe.county_id == county_id) & (Probe.active == True)).returning(Probe.id)  # noqa: E712
        await County.update({County.retired_at: now()}).where(County.id == county_id)
        after = {**await get_county(scope, county_id), "users_disabled": len(users), "probes_disabled": len(probes)}
        await _audit_county(scope, "county.retire", county_id, before, after)
    return after


# --- arrangements ----------------------------------------------------------------------------------


def parse_share(value: str | Decimal | None, field: str, errors: list[FieldError]) -> Decimal | None:
    """A percentage between 0 and 100 with at most two decimals ("33,34" or "33.34")."""
    if value is None or value == "":
        return None
    try:
        share = Decimal(str(value).strip().replace(",", ".").removesuffix("%").strip())
    except InvalidOperation:
        errors.append(FieldError(field, N_("a percentage such as 33.5")))
        return None
    if not (0 <= share <= HUNDRED) or share != share.quantize(Decimal("0.01")):
        errors.append(FieldError(field, N_("a percentage between 0 and 100 with at most two decimals")))
        return None
    return share


def _check_shares(rule: ShareRule, shares: Mapping[int, Decimal | None], errors: list[FieldError]) -> None:
    """With the fixed rule every member has a share and the shares sum to 100."""
    if rule != ShareRule.FIXED:
        return
    if any(v is None for v in shares.values()) or sum(v or 0 for v in shares.values()) != HUNDRED:
        errors.append(FieldError("shares", N_("with fixed shares every member needs a percentage; together 100")))


def _new_shares(members: list[dict[str, Any]], after_ids: set[int], given: Mapping[int, str | Decimal | None] | None,
                errors: list[FieldError]) -> dict[int, Decimal | None]:
    """The members' shares after a change: the stored ones, replaced by those given."""
    shares = {m["county_id"]: m["share_percent"] for m in members if m["county_id"] in after_ids}
    shares.update({county_id: None for county_id in after_ids - shares.keys()})
    for county_id, value in (given or {}).items():
        if county_id not in after_ids:
            errors.append(FieldError("shares", N_("shares are for member counties only")))
        else:
            shares[county_id] = parse_share(value, "shares", errors)
    return shares


def _share_rule(errors: list[FieldError], value: str) -> ShareRule | None:
    if value in {r.value for r in ShareRule}:
        return ShareRule(value)
    errors.append(FieldError("share_rule", UNKNOWN_SHARE_RULE))
    return None


async def _refuse_member_elsewhere(field: str, county_id: int, errors: list[FieldError]) -> None:
    """A county belongs to one arrangement at the most."""
    if await ArrangementMember.exists().where(ArrangementMember.county_id == county_id):
        errors.append(FieldError(field, IN_AN_ARRANGEMENT))


async def _county_for_member(field: str, county_id: int, errors: list[FieldError]) -> dict[str, Any] | None:
    row = await County.select(County.id, County.name, County.retired_at).where(County.id == county_id).first()
    if row is None:
        errors.append(FieldError(field, UNKNOWN_COUNTY))
    elif row["retired_at"] is not None:
        errors.append(FieldError(field, COUNTY_RETIRED))
        return None
    return row


async def _store_shares(shares: Mapping[int, Decimal | None]) -> None:
    for county_id, share in shares.items():
        await ArrangementMember.update({ArrangementMember.share_percent: share}).where(
            ArrangementMember.county_id == county_id)


async def _audit_arrangement(scope: Scope, action: str, arrangement_id: int, before: dict[str, Any] | None,
                             after: dict[str, Any], county_id: int | None = None) -> None:
    await audit.record(scope, action, object_type="arrangement", object_id=arrangement_id, county_id=county_id,
                       before=before, after=after)


async def create_arrangement(scope: Scope, *, name: str, slug: str, lead_county_id: int | None,
                             share_rule: str = ShareRule.HOURS.value,
                             shares: Mapping[int, str | Decimal | None] | None = None) -> dict[str, Any]:
    """A new arrangement with its lead county as first member (add the others with `add_member`)."""
    scope.require(Permission.TENANTS_MANAGE)
    errors: list[FieldError] = []
    clean_name = _text(errors, "name", name, 200, required=True)
    clean_slug = _slug(errors, slug, required=True)
    await _unique(errors, Arrangement, {"name": clean_name, "slug": clean_slug}, None)
    _share_rule(errors, share_rule)
    if lead_county_id is None:
        errors.append(FieldError("lead_county", REQUIRED))
    else:
        await _county_for_member("lead_county", lead_county_id, errors)
        await _refuse_member_elsewhere("lead_county", lead_county_id, errors)
    lead_share = parse_share((shares or {}).get(lead_county_id or 0), "shares", errors)
    if not errors and lead_county_id is not None:
        _check_shares(ShareRule(share_rule), {lead_county_id: lead_share}, errors)
    if errors:
        raise ValidationFailed(errors)
    assert lead_county_id is not None
    async with atomic():
        rows = await Arrangement.insert(Arrangement(name=clean_name, slug=clean_slug, lead_county_id=lead_county_id,
                                                    share_rule=share_rule)).returning(Arrangement.id)
        arrangement_id = rows[0]["id"]
        await ArrangementMember.insert(ArrangementMember(arrangement_id=arrangement_id, county_id=lead_county_id,
                                                         share_percent=lead_share))
        after = await get_arrangement(scope, arrangement_id)
        await _audit_arrangement(scope, "arrangement.create", arrangement_id, None, after, lead_county_id)
    return after


async def update_arrangement(scope: Scope, arrangement_id: int, *, name: str | None = None, slug: str | None = None,
                             lead_county_id: int | None = None, share_rule: str | None = None,
                             shares: Mapping[int, str | Decimal | None] | None = None) -> dict[str, Any]:
    """Rename, set the lead county (a member), or set the share rule and the members' fixed shares."""
    before = await get_arrangement(scope, arrangement_id)
    errors: list[FieldError] = []
    values: dict[Any, Any] = {}
    if name is not None:
        values[Arrangement.name] = _text(errors, "name", name, 200, required=True)
    if slug is not None:
        values[Arrangement.slug] = _slug(errors, slug, required=True)
    await _unique(errors, Arrangement, {"name": values.get(Arrangement.name), "slug": values.get(Arrangement.slug)},
                  arrangement_id)
    member_ids = {m["county_id"] for m in before["members"]}
    if lead_county_id is not None:
        if lead_county_id not in member_ids:
            errors.append(FieldError("lead_county", N_("the lead county must be a member of the arrangement")))
        values[Arrangement.lead_county_id] = lead_county_id
    rule = ShareRule(before["share_rule"])
    if share_rule is not None and (chosen := _share_rule(errors, share_rule)) is not None:
        rule = chosen
        values[Arrangement.share_rule] = share_rule
    new_shares = _new_shares(before["members"], member_ids, shares, errors)
    if not errors:
        _check_shares(rule, new_shares, errors)
    if errors:
        raise ValidationFailed(errors)
    async with atomic():
        if values:
            await Arrangement.update(values).where(Arrangement.id == arrangement_id)
        await _store_shares(new_shares)
        after = await get_arrangement(scope, arrangement_id)
        await _audit_arrangement(scope, "arrangement.update", arrangement_id, before, after)
    return after


async def add_member(scope: Scope, arrangement_id: int, county_id: int,
                     shares: Mapping[int, str | Decimal | None] | None = None) -> dict[str, Any]:
    """Add a county to an arrangement: its supporters see the county from their next request on.
    With fixed shares, `shares` gives the new percentages (the new member's at least)."""
    before = await get_arrangement(scope, arrangement_id)
    errors: list[FieldError] = []
    county = await _county_for_member("county", county_id, errors)
    if county is not None:
        await _refuse_member_elsewhere("county", county_id, errors)
    new_shares = _new_shares(before["members"], {m["county_id"] for m in before["members"]} | {county_id},
                             shares, errors)
    if not errors:
        _check_shares(ShareRule(before["share_rule"]), new_shares, errors)
    if errors:
        raise ValidationFailed(errors)
    async with atomic():
        await ArrangementMember.insert(ArrangementMember(arrangement_id=arrangement_id, county_id=county_id))
        await _store_shares(new_shares)
        after = await get_arrangement(scope, arrangement_id)
        await _audit_arrangement(scope, "arrangement.member_add", arrangement_id, before, after, county_id)
    return after


async def remove_member(scope: Scope, arrangement_id: int, county_id: int,
                        shares: Mapping[int, str | Decimal | None] | None = None) -> dict[str, Any]:
    """Take a county out of an arrangement: its supporters lose it from their next request on. The
    lead county stays (make another member the lead first). With fixed shares, `shares` gives the
    remaining members' new percentages."""
    before = await get_arrangement(scope, arrangement_id)
    members = {m["county_id"]: m["share_percent"] for m in before["members"]}
    if county_id not in members:
        raise ValidationFailed([FieldError("county", N_("the county is not a member of this arrangement"))])
    if county_id == before["lead_county_id"]:
        raise ValidationFailed([FieldError("county", N_(
            "the lead county must be a member of the arrangement; make another member the lead first"))])
    errors: list[FieldError] = []
    new_shares = _new_shares(before["members"], set(members) - {county_id}, shares, errors)
    if not errors:
        _check_shares(ShareRule(before["share_rule"]), new_shares, errors)
    if errors:
        raise ValidationFailed(errors)
    async with atomic():
        await ArrangementMember.delete().where((ArrangementMember.arrangement_id == arrangement_id)
                                               & (ArrangementMember.county_id == county_id))
        await _store_shares(new_shares)
        after = await get_arrangement(scope, arrangement_id)
        await _audit_arrangement(scope, "arrangement.member_remove", arrangement_id, before, after, county_id)
    return after


class ArrangementInUse(Conflict):
    """An arrangement cannot be dissolved: users are still scoped to it (they must be moved first)."""

    def __init__(self, count: int) -> None:
        super().__init__(N_("users scoped to the arrangement: %(count)s; move them to another arrangement or county "
                            "before dissolving it"), count=count)
        self.count = count


async def dissolve_arrangement(scope: Scope, arrangement_id: int) -> dict[str, Any]:
    """Dissolve an arrangement: refused while users are scoped to it; otherwise its members leave it
    (they belong to no arrangement afterwards) and it is deleted. Returns it as it was."""
    before = await get_arrangement(scope, arrangement_id)
    async with atomic():
        # Counted inside the transaction, and the foreign key (on delete restrict) guards it as well.
        users = await User.count().where(User.arrangement_id == arrangement_id)
        if users:
            raise ArrangementInUse(users)
        await ArrangementMember.delete().where(ArrangementMember.arrangement_id == arrangement_id)
        await Arrangement.delete().where(Arrangement.id == arrangement_id)
        await _audit_arrangement(scope, "arrangement.dissolve", arrangement_id, before, {"dissolved": True},
                                 before["lead_county_id"])
    return before


# --- seeding -----------------------------------------------------------------------------------------


async def upsert_county(*, slug: str, name: str, ags: str, seat: str, state: str) -> int:
    """Create a county, or bring an existing one (by slug) up to date, through the same rules as
    every other change (the demo seed and `schoolit setup`); returns its id."""
    data = {"slug": slug, "name": name, "ags": ags, "seat": seat, "state": state}
    existing = await County.select(County.id).where(County.slug == slug).first()
    if existing is None:
        return int((await create_county(SEED_SCOPE, data))["id"])
    return int((await update_county(SEED_SCOPE, existing["id"], data))["id"])


async def upsert_arrangement(*, slug: str, name: str, lead_county_slug: str, member_slugs: tuple[str, ...]) -> int:
    """Create an arrangement, or bring an existing one (by slug) to these members and lead county,
    through the same rules (the demo seed); returns its id."""
    async with atomic():
        lead_id = (await county_by_slug(SEED_SCOPE, lead_county_slug))["id"]
        member_ids = {(await county_by_slug(SEED_SCOPE, s))["id"] for s in member_slugs} | {lead_id}
        existing = await Arrangement.select(Arrangement.id).where(Arrangement.slug == slug).first()
        if existing is None:
            arrangement = await create_arrangement(SEED_SCOPE, name=name, slug=slug, lead_county_id=lead_id)
        else:
            arrangement = await get_arrangement(SEED_SCOPE, existing["id"])
            if arrangement["name"] != name:
                arrangement = await update_arrangement(SEED_SCOPE, arrangement["id"], name=name)
        arrangement_id = arrangement["id"]
        current = {m["county_id"] for m in arrangement["members"]}
        for county_id in sorted(member_ids - current):
            await add_member(SEED_SCOPE, arrangement_id, county_id)
        if arrangement["lead_county_id"] != lead_id:
            await update_arrangement(SEED_SCOPE, arrangement_id, lead_county_id=lead_id)
        for county_id in sorted(current - member_ids):
            await remove_member(SEED_SCOPE, arrangement_id, county_id)
        return int(arrangement_id)
