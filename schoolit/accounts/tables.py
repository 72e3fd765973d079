"""Tenancy tables: counties (Landkreise) and the support arrangements they share.

Counties and arrangements are reference tables (replicated, not sharded, in a Citus deployment);
every tenant-owned row elsewhere carries a `county_id`. They live in `accounts` because a user's
scope is made of them, and imports flow accounts <- inventory.
"""

from piccolo.columns import ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from schoolit.accounts.choices import FederalState


class County(Table):
    """A Landkreis (or kreisfreie Stadt) that runs schools: the tenant."""

    id: Serial  # added by Piccolo; declared for the type checker
    name = Varchar(length=200, unique=True)
    slug = Varchar(length=80, unique=True)
    state = Varchar(length=2, choices=FederalState, default=FederalState.RP.value)
    # Amtlicher Gemeindeschlüssel of the district (5 digits), the key official statistics use.
    ags = Varchar(length=5, unique=True)
    seat = Varchar(length=120, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Arrangement(Table):
    """A support arrangement (Zweckvereinbarung): several counties share one school-IT team.

    The lead county carries the team's cost; the other members reimburse their share.
    """

    id: Serial  # added by Piccolo; declared for the type checker
    name = Varchar(length=200, unique=True)
    slug = Varchar(length=80, unique=True)
    lead_county_id = ForeignKey(County, null=True, default=None, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())


class ArrangementMember(Table):
    """A county's membership of an arrangement; a county belongs to at most one (unique)."""

    id: Serial  # added by Piccolo; declared for the type checker
    arrangement_id = ForeignKey(Arrangement, null=False, on_delete=OnDelete.cascade)
    county_id = ForeignKey(County, null=False, unique=True, on_delete=OnDelete.restrict)
    joined_at = Timestamptz(default=TimestamptzNow())
