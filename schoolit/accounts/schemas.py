"""API input and output of the accounts domain (msgspec Structs). Secrets never appear in outputs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, ClassVar

import msgspec

from schoolit.accounts import fields
from schoolit.accounts.services import UserScopeRef

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class CountyOut(msgspec.Struct):
    id: int
    name: str
    slug: str
    state: str
    ags: str
    seat: str
    arrangement_id: int | None


class ArrangementOut(msgspec.Struct):
    id: int
    name: str
    slug: str
    lead_county_id: int | None
    county_ids: list[int]


class UserOut(msgspec.Struct):
    id: int
    email: str
    display_name: str
    role: str
    county_id: int | None
    arrangement_id: int | None
    school_id: int | None
    active: bool
    last_login_at: dt.datetime | None
    created_at: dt.datetime


class ScopeRefIn(msgspec.Struct, kw_only=True):
    """Where a user's (or a group mapping's) scope points, by natural keys; which one the role takes
    is the service's rule (`services.resolve_user_scope`)."""

    county: str | None = None  # county slug (supporter, authority)
    arrangement: str | None = None  # arrangement slug (supporter)
    school: str | None = None  # 5-digit school number (school contact)

    def ref(self) -> UserScopeRef:
        return UserScopeRef(county_slug=self.county or None, arrangement_slug=self.arrangement or None,
                            school_number=self.school or None)


class UserIn(ScopeRefIn, forbid_unknown_fields=True):
    email: Email
    display_name: Name
    role: str
    password: str | None = None  # generated and returned once when omitted


class UserUpdateIn(ScopeRefIn, forbid_unknown_fields=True):
    """A user's name, role and scope, all given (as on the user page): the scope by natural keys."""

    display_name: str
    role: str


class UserDetailOut(msgspec.Struct):
    """A user with the state of their second factor (never its secret)."""

    user: UserOut
    two_factor_enrolled: bool
    recovery_codes_left: int


class PasswordResetOut(msgspec.Struct):
    """A one-time link to set a new password: shown once, only its digest is stored."""

    user_id: int
    link: str
    expires_at: dt.datetime


class UserCreated(msgspec.Struct):
    user: UserOut
    generated_password: str | None


class TokenOut(msgspec.Struct):
    id: int
    name: str
    prefix: str
    user_id: int | None
    probe_id: int | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    expires_days: int | None = None


class TokenCreated(msgspec.Struct):
    token: str  # shown once; only its digest is stored
    details: TokenOut


class MeOut(msgspec.Struct):
    role: str
    actor_kind: str
    actor_id: int | None
    label: str
    county_ids: list[int] | None
    school_id: int | None
    arrangement_id: int | None


class AuditEventOut(msgspec.Struct):
    id: int
    at: dt.datetime
    actor_kind: str
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    county_id: int | None
    before: dict[str, object] | None
    after: dict[str, object] | None
    request_id: str
    client_ip: str | None


def audit_events(rows: list[dict[str, Any]]) -> list[AuditEventOut]:
    for row in rows:
        row["client_ip"] = str(row["client_ip"]) if row["client_ip"] is not None else None
    return msgspec.convert(rows, list[AuditEventOut])


# --- tenant administration (admins) ---------------------------------------------------------------


class CountyIn(msgspec.Struct, forbid_unknown_fields=True):
    """A county; on PATCH only the fields given change."""

    field_labels: ClassVar[dict[str, str]] = fields.COUNTY
    name: str | None = None
    slug: str | None = None
    ags: str | None = None  # Amtlicher Gemeindeschlüssel, 5 digits
    seat: str | None = None
    state: str | None = None  # ISO 3166-2 suffix, e.g. RP


class CountyAdminOut(msgspec.Struct):
    id: int
    name: str
    slug: str
    ags: str
    seat: str
    state: str
    retired: bool
    arrangement_id: int | None = None


class MemberOut(msgspec.Struct):
    county_id: int
    name: str
    slug: str
    share_percent: Decimal | None


class ArrangementIn(msgspec.Struct, forbid_unknown_fields=True):
    """An arrangement; on PATCH only the fields given change. `shares`: county id → percentage."""

    name: str | None = None
    slug: str | None = None
    lead_county_id: int | None = None
    share_rule: str | None = None
    shares: dict[int, Decimal] | None = None


class MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    county_id: int
    shares: dict[int, Decimal] | None = None  # the members' new fixed shares (rule `fixed`)


class SharesIn(msgspec.Struct, forbid_unknown_fields=True):
    shares: dict[int, Decimal] | None = None  # the remaining members' new fixed shares (rule `fixed`)


class ArrangementAdminOut(msgspec.Struct):
    id: int
    name: str
    slug: str
    lead_county_id: int | None
    share_rule: str
    members: list[MemberOut]
