"""API input and output of the accounts domain (msgspec Structs). Secrets never appear in outputs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

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


class UserIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    display_name: Name
    role: str
    county: str | None = None  # county slug (supporter, authority)
    arrangement: str | None = None  # arrangement slug (supporter)
    school: str | None = None  # 5-digit school number (school contact)
    password: str | None = None  # generated and returned once when omitted


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
