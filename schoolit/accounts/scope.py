"""The Scope: who is asking and which counties (and school) they may see — decided once per request.

Every service that reads tenant data takes a Scope and filters by it; rows outside answer 404 (never
403, so existence does not leak). An action the role may not take raises Forbidden (403).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw
from piccolo.query.base import Query

from schoolit import rules
from schoolit.accounts.choices import ROLE_PERMISSIONS, ActorKind, Role
from schoolit.errors import Forbidden, NotFound
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import Fragment, all_of, fragment

Q = TypeVar("Q", bound=Query[Any, Any])

ROLE_MAY_NOT = N_("your role may not do this")


@dataclass(frozen=True)
class Actor:
    """Who acts, as the audit log names them."""

    kind: ActorKind
    id: int | None = None
    label: str = ""
    token_id: int | None = None

    @property
    def user_id(self) -> int | None:
        """The person acting (logged in, or through one of their tokens); None for probes and the system."""
        return self.id if self.kind in (ActorKind.USER, ActorKind.TOKEN) else None


@dataclass(frozen=True)
class Scope:
    role: Role
    actor: Actor
    # None means every county (admins and the system); otherwise the counties this caller may see.
    county_ids: frozenset[int] | None = field(default=frozenset())
    school_id: int | None = None
    arrangement_id: int | None = None
    request_id: str = ""
    client_ip: str | None = None

    @classmethod
    def system(cls, label: str = "system") -> Scope:
        """For jobs run by the system itself (retention, seeding): everything, audited as system."""
        return cls(role=Role.ADMIN, actor=Actor(ActorKind.SYSTEM, label=label), county_ids=None)

    def with_request(self, request_id: str, client_ip: str | None) -> Scope:
        return replace(self, request_id=request_id, client_ip=client_ip)

    @property
    def everything(self) -> bool:
        return self.county_ids is None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(ROLE_MAY_NOT)

    def sees_county(self, county_id: int | None) -> bool:
        return self.county_ids is None or (county_id is not None and county_id in self.county_ids)

    def sees(self, county_id: int | None, school_id: int | None = None) -> bool:
        """Whether a row of this county is inside the scope; for a school-bound row (school_id given)
        a school contact sees only their own school's."""
        if not self.sees_county(county_id):
            return False
        return school_id is None or self.school_id is None or school_id == self.school_id

    def check(self, county_id: int | None, school_id: int | None = None, missing: str = rules.NOT_FOUND) -> None:
        """Raise NotFound for a row outside the scope (404 hides its existence); `missing` is its message
        (a message id: "ticket not found")."""
        if not self.sees(county_id, school_id):
            raise NotFound(missing)

    def where(self, county: str, *, school: str | None) -> Fragment:
        """The scope as one SQL condition — the one scope predicate, for raw SQL and Piccolo alike: rows
        of the caller's counties (`county`, an SQL expression), and for a school contact of their school
        (`school`, the school expression of school-bound rows; None for county-level ones). A value of
        a `schoolit.sql` statement: `fetch("… WHERE {} …", scope.where("t.county_id", school="t.school_id"))`."""
        parts: list[Fragment] = []
        if self.county_ids is not None:
            parts.append(fragment(f"{county} = ANY({{}})", sorted(self.county_ids)))
        if self.school_id is not None and school is not None:
            parts.append(fragment(f"{school} = {{}}", self.school_id))
        return all_of(*parts)

    def apply(self, query: Q, county_column: Column, *, school_column: Column | None) -> Q:
        """`where()` on a Piccolo query, over its table's county column and (for school-bound tables) its
        school column. County-level tables pass `school_column=None` explicitly."""
        school = None if school_column is None else school_column._meta.get_full_name(with_alias=False)
        condition = self.where(county_column._meta.get_full_name(with_alias=False), school=school)
        return query.where(WhereRaw("{}", condition))  # type: ignore[attr-defined]
