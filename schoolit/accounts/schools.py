"""Schools as the accounts domain needs them: a school user's or a probe's school, named by its number.

Schools belong to the inventory domain, which builds on accounts (imports flow accounts <- inventory),
so accounts cannot call inventory's services, and it does not read inventory's tables either. It
states what it needs here, and the inventory registers the answer when its services are imported
(`schoolit.inventory.services.school_ref_by_number`), as every entry point does (the app, the CLI).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import NamedTuple


class SchoolRef(NamedTuple):
    id: int
    county_id: int


class SchoolChoice(NamedTuple):
    """A school as user administration shows it: picked by name, kept by number."""

    id: int
    school_number: str
    name: str
    city: str
    county: str  # the county's name


SchoolLookup = Callable[[str], Awaitable[SchoolRef | None]]
SchoolListing = Callable[[Sequence[int] | None], Awaitable[list[SchoolChoice]]]
_lookup: SchoolLookup | None = None
_listing: SchoolListing | None = None


def register_lookup(lookup: SchoolLookup) -> None:
    """Called by the inventory domain: how to find a school by its number."""
    global _lookup
    _lookup = lookup


async def by_number(school_number: str) -> SchoolRef | None:
    """The school with this official number (any county: the caller checks the scope), or None."""
    if _lookup is None:
        raise RuntimeError("no school lookup registered: import schoolit.inventory.services first")
    return await _lookup(school_number)


def register_listing(listing: SchoolListing) -> None:
    """Called by the inventory domain: how to list schools by county and name."""
    global _listing
    _listing = listing


async def listing(ids: Sequence[int] | None = None) -> list[SchoolChoice]:
    """Every school (or those with these ids), by county and name, unscoped: for user administration."""
    if _listing is None:
        raise RuntimeError("no school listing registered: import schoolit.inventory.services first")
    return await _listing(ids)
