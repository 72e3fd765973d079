"""Read functions over the tenants (counties and arrangements) for the other domains.

Counties and arrangements are the accounts domain's tables; dashboards, tickets and the inventory
need their names, slugs and memberships, and tickets' notifications the people to tell; they ask
here instead of naming the tables in their SQL.
Functions taking a Scope answer only what it sees; the others answer names of ids the caller already
holds (from rows it was allowed to read).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from schoolit import rules
from schoolit.accounts.scope import Scope
from schoolit.errors import NotFound
from schoolit.sql import fetch


async def counties(scope: Scope, slug: str | None = None) -> list[dict[str, Any]]:
    """`id, slug, name, ags` of the counties in scope by name; with `slug` only that one (NotFound outside)."""
    if slug is not None:
        rows = await fetch("SELECT id, slug, name, ags FROM county WHERE slug = {}", slug)
        if not rows or not scope.sees_county(rows[0]["id"]):
            raise NotFound(rules.COUNTY_NOT_FOUND)
        return rows
    return await fetch("SELECT id, slug, name, ags FROM county WHERE {} ORDER BY name", scope.where("id", school=None))


async def counties_by_id(county_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """`id, slug, name, ags` of each county id given (labels of rows the caller was allowed to read)."""
    rows = await fetch("SELECT id, slug, name, ags FROM county WHERE id = ANY({})", sorted(set(county_ids)))
    return {row["id"]: row for row in rows}


async def arrangement(arrangement_id: int) -> dict[str, Any] | None:
    """`id, slug, name, lead_county_id, lead_name` of an arrangement, None when there is none."""
    rows = await fetch("SELECT a.id, a.slug, a.name, a.lead_county_id, c.name AS lead_name FROM arrangement a "
                       "LEFT JOIN county c ON c.id = a.lead_county_id WHERE a.id = {}", arrangement_id)
    return rows[0] if rows else None


async def arrangement_members(arrangement_id: int) -> list[dict[str, Any]]:
    """`id, slug, name` of an arrangement's member counties by name."""
    return await fetch("SELECT c.id, c.slug, c.name FROM arrangement_member m JOIN county c ON c.id = m.county_id "
                       "WHERE m.arrangement_id = {} ORDER BY c.name", arrangement_id)


async def arrangements_with_members() -> list[dict[str, Any]]:
    """`id, name, members` (county ids) of every arrangement with members, by name."""
    return await fetch("SELECT a.id, a.name, array_agg(m.county_id) AS members FROM arrangement a "
                       "JOIN arrangement_member m ON m.arrangement_id = a.id GROUP BY a.id, a.name ORDER BY a.name")


async def arrangement_of_county(county_id: int) -> int | None:
    """The arrangement a county belongs to (a county is in at most one), None when it runs its own team."""
    rows = await fetch("SELECT arrangement_id FROM arrangement_member WHERE county_id = {}", county_id)
    return rows[0]["arrangement_id"] if rows else None


async def county_id_by_slug(slug: str) -> int | None:
    rows = await fetch("SELECT id FROM county WHERE slug = {}", slug)
    return rows[0]["id"] if rows else None


async def arrangement_id_by_slug(slug: str) -> int | None:
    rows = await fetch("SELECT id FROM arrangement WHERE slug = {}", slug)
    return rows[0]["id"] if rows else None


async def school_contacts(school_id: int) -> list[int]:
    """Ids of the active school contacts of a school."""
    rows = await fetch("SELECT id FROM app_user WHERE active AND role = 'school' AND school_id = {} ORDER BY id",
                       school_id)
    return [row["id"] for row in rows]


async def people(user_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """`id, email, role, active, county_id` of each user id given (whom to notify, and how)."""
    rows = await fetch("SELECT id, email, role, active, county_id FROM app_user WHERE id = ANY({})",
                       sorted(set(user_ids)))
    return {row["id"]: row for row in rows}


async def school_has_accounts(school_id: int) -> bool:
    """Whether users or probes belong to the school (it cannot be deleted while they do)."""
    rows = await fetch("SELECT EXISTS (SELECT 1 FROM app_user WHERE school_id = {}) "
                       "OR EXISTS (SELECT 1 FROM probe WHERE school_id = {}) AS held", school_id, school_id)
    return bool(rows[0]["held"])


async def display_names(user_ids: Iterable[int]) -> list[dict[str, Any]]:
    """`id, display_name` of the users given, by name (who else has a ticket open)."""
    return await fetch("SELECT id, display_name FROM app_user WHERE id = ANY({}) ORDER BY display_name",
                       sorted(set(user_ids)))


async def supporters_of_county(county_id: int, *, admins: bool = True) -> list[dict[str, Any]]:
    """`id, display_name` of the active supporters whose scope covers the county (its own, or its
    arrangement's) and of the active admins, by name: who may be given a ticket of the county. Without
    `admins`, the supporters alone (whom a new ticket of the county is told to)."""
    return await fetch(
        "SELECT u.id, u.display_name FROM app_user u WHERE u.active AND ((u.role = 'admin' AND {}) OR "
        "(u.role = 'supporter' AND (u.county_id = {} OR u.arrangement_id IN (SELECT arrangement_id "
        "FROM arrangement_member WHERE county_id = {})))) ORDER BY u.display_name", admins, county_id, county_id)


async def probes_by_id(probe_ids: Iterable[int]) -> list[dict[str, Any]]:
    """`id, name, county_id, school_id` of the probes given (to rebuild a probe's scope)."""
    return await fetch("SELECT id, name, county_id, school_id FROM probe WHERE id = ANY({})", sorted(set(probe_ids)))


async def probes_last_seen() -> list[dict[str, Any]]:
    """`county` (slug), `name` and `age` (seconds since it last talked to the server) of each active probe
    that ever did."""
    return await fetch("SELECT c.slug AS county, p.name, extract(epoch FROM now() - p.last_seen_at) AS age "
                       "FROM probe p JOIN county c ON c.id = p.county_id "
                       "WHERE p.active AND p.last_seen_at IS NOT NULL")


async def person_by_email(email: str) -> dict[str, Any] | None:
    """`id, email, role, active, county_id, arrangement_id, school_id` of the user with this address
    (compared case-insensitively), None when there is none: the inbound mail channel finds the school
    contact (and so the school) or the supporter a mail comes from."""
    rows = await fetch("SELECT id, email, role, active, county_id, arrangement_id, school_id FROM app_user "
                       "WHERE email = {}", email.strip().lower())
    return rows[0] if rows else None
