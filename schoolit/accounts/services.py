"""Services of the accounts domain: counties and arrangements (users, scopes and audit follow)."""

from __future__ import annotations

from schoolit.accounts.tables import Arrangement, ArrangementMember, County
from schoolit.db import atomic
from schoolit.errors import NotFound


async def upsert_county(*, slug: str, name: str, ags: str, seat: str, state: str) -> int:
    """Create or update a county by its slug; returns its id."""
    rows = await County.insert(County(slug=slug, name=name, ags=ags, seat=seat, state=state)).on_conflict(
        target=County.slug, action="DO UPDATE", values=[County.name, County.ags, County.seat, County.state]
    ).returning(County.id)
    return int(rows[0]["id"])


async def county_id_by_slug(slug: str) -> int:
    row = await County.select(County.id).where(County.slug == slug).first()
    if row is None:
        raise NotFound(f"unknown county {slug!r}")
    return int(row["id"])


async def upsert_arrangement(*, slug: str, name: str, lead_county_slug: str, member_slugs: tuple[str, ...]) -> int:
    """Create or update an arrangement and set its members; returns its id."""
    async with atomic():
        lead_id = await county_id_by_slug(lead_county_slug)
        rows = await Arrangement.insert(
            Arrangement(slug=slug, name=name, lead_county_id=lead_id)
        ).on_conflict(
            target=Arrangement.slug, action="DO UPDATE", values=[Arrangement.name, Arrangement.lead_county_id]
        ).returning(Arrangement.id)
        arrangement_id = int(rows[0]["id"])
        member_ids = [await county_id_by_slug(s) for s in member_slugs]
        await ArrangementMember.delete().where(
            (ArrangementMember.arrangement_id == arrangement_id) & ArrangementMember.county_id.not_in(member_ids)
        )
        for county_id in member_ids:
            await ArrangementMember.insert(
                ArrangementMember(arrangement_id=arrangement_id, county_id=county_id)
            ).on_conflict(target=ArrangementMember.county_id, action="DO UPDATE",
                          values=[ArrangementMember.arrangement_id])
        return arrangement_id
