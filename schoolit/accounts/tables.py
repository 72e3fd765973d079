"""Accounts tables: the tenants (counties and the support arrangements they share), users, probes,
API tokens, browser sessions, login failures and the append-only audit log.

Counties and arrangements are reference tables (replicated, not sharded, in a Citus deployment);
every tenant-owned row elsewhere carries a `county_id`. They live in `accounts` because a user's
scope is made of them, and imports flow accounts <- inventory.
"""

from piccolo.columns import (
    JSONB,
    BigInt,
    BigSerial,
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from schoolit.accounts.choices import ActorKind, FederalState, Role, ShareRule
from schoolit.columns import Inet


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
    # A retired county keeps its rows (tickets, inventory, audit) but no longer works: its users and
    # probes are disabled and it has left its arrangement (schoolit.accounts.tenants.retire_county).
    retired_at = Timestamptz(null=True, default=None)


class Arrangement(Table):
    """A support arrangement (Zweckvereinbarung): several counties share one school-IT team.

    The lead county carries the team's cost; the other members reimburse their share.
    """

    id: Serial  # added by Piccolo; declared for the type checker
    name = Varchar(length=200, unique=True)
    slug = Varchar(length=80, unique=True)
    lead_county_id = ForeignKey(County, null=True, default=None, on_delete=OnDelete.restrict)
    # How the team's cost is split among the members (one rule per arrangement, used by the cost split).
    share_rule = Varchar(length=20, choices=ShareRule, default=ShareRule.HOURS.value)
    created_at = Timestamptz(default=TimestamptzNow())


class ArrangementMember(Table):
    """A county's membership of an arrangement; a county belongs to at most one (unique)."""

    id: Serial  # added by Piccolo; declared for the type checker
    arrangement_id = ForeignKey(Arrangement, null=False, on_delete=OnDelete.cascade)
    county_id = ForeignKey(County, null=False, unique=True, on_delete=OnDelete.restrict)
    # The member's share in percent when the arrangement's rule is `fixed` (the shares sum to 100).
    share_percent = Numeric(digits=(5, 2), null=True, default=None)
    joined_at = Timestamptz(default=TimestamptzNow())


class User(Table, tablename="app_user"):
    """A person who logs in: admin, supporter, authority or school contact.

    Scope columns by role (a CHECK constraint enforces it): supporter — arrangement or county;
    authority — county; school — school (and its county, kept for scope filters); admin — none.
    `school_id` references `school`; that constraint is added by an inventory migration because
    imports and migrations flow accounts <- inventory.
    """

    id: Serial  # added by Piccolo; declared for the type checker
    email = Varchar(length=254, unique=True)  # stored lower-case: e-mail addresses compare case-insensitively
    display_name = Varchar(length=200)
    password_hash = Text(null=True, default=None)
    # Where the person signs in: "local" (password here), "ldap:<provider>" or "oidc:<provider>"
    # (no local password; role and scope follow the provider's groups) — schoolit.accounts.sso.
    source = Varchar(length=50, default="local")
    external_id = Varchar(length=500, null=True, default=None)  # login name or subject at the provider
    role = Varchar(length=20, choices=Role)
    county_id = ForeignKey(County, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    arrangement_id = ForeignKey(Arrangement, null=True, default=None, on_delete=OnDelete.restrict)
    school_id = Integer(null=True, default=None, index=True)
    active = Boolean(default=True)
    last_login_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # Second factor: the TOTP secret, encrypted (schoolit.encryption); it counts once confirmed by a
    # first code. The last time step used is kept so that a code cannot be used twice.
    totp_secret_encrypted = Text(null=True, default=None, secret=True)
    totp_confirmed_at = Timestamptz(null=True, default=None)
    totp_last_step = BigInt(null=True, default=None)


class Probe(Table):
    """A probe (cron agent) that polls SNMP devices for a county or one school; it acts by token."""

    id: Serial  # added by Piccolo; declared for the type checker
    name = Varchar(length=120)
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict, index=True)
    school_id = Integer(null=True, default=None)  # FK added by an inventory migration
    active = Boolean(default=True)
    last_seen_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class ApiToken(Table):
    """A bearer token of a user or a probe. Only a SHA-256 of the secret is stored (tokens are long
    random strings, so a fast hash is safe), with a short prefix to recognise it in lists."""

    id: Serial  # added by Piccolo; declared for the type checker
    name = Varchar(length=120)
    prefix = Varchar(length=16, index=True)
    token_hash = Varchar(length=64, unique=True, secret=True)
    user_id = ForeignKey(User, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    probe_id = ForeignKey(Probe, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


class WebSession(Table):
    """A browser login. The cookie holds a random id; the table keeps its SHA-256, so a leaked
    database does not hand out live sessions. A new row (new id) is made at every login."""

    id: Serial  # added by Piccolo; declared for the type checker
    session_hash = Varchar(length=64, unique=True, secret=True)
    user_id = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    client_ip = Inet(null=True, default=None)
    user_agent = Varchar(length=300, default="")
    # "full" grants the user's scope; "code" (password right, second factor still to give) and "enrol"
    # (password right, must enrol a second factor first) grant nothing but their own step's pages.
    stage = Varchar(length=10, default="full")


class RecoveryCode(Table):
    """A one-time recovery code for a lost second factor (SHA-256 of a random code; each usable once)."""

    id: Serial  # added by Piccolo; declared for the type checker
    user_id = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    code_hash = Varchar(length=64, unique=True, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    used_at = Timestamptz(null=True, default=None)


class PasswordReset(Table):
    """A one-time password-reset link an admin hands out: SHA-256 of its random token, an expiry,
    and when it was used (then never again)."""

    id: Serial  # added by Piccolo; declared for the type checker
    user_id = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class LoginFailure(Table):
    """Failed logins per e-mail and client address, for throttling; old rows are pruned."""

    id: Serial  # added by Piccolo; declared for the type checker
    email = Varchar(length=254, index=True)
    client_ip = Inet(null=True, default=None)
    failed_at = Timestamptz(default=TimestamptzNow(), index=True)


class AuditEvent(Table, tablename="audit_log"):
    """Append-only record of who changed what (a trigger rejects UPDATE, DELETE and TRUNCATE).

    Actor and county are plain ids, not foreign keys: an audit row must outlive what it names.
    One index beyond the key, (county_id, id): browsing is scoped by county and newest first, and
    every audited write (a ticket claim among them) pays for each index.
    """

    id = BigSerial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow())
    actor_kind = Varchar(length=20, choices=ActorKind)
    actor_id = Integer(null=True, default=None)
    actor_label = Varchar(length=254, default="")
    action = Varchar(length=60)
    object_type = Varchar(length=60, default="")
    object_id = Varchar(length=60, default="")
    county_id = Integer(null=True, default=None)  # indexed with id: (county_id, id)
    before = JSONB(null=True, default=None)
    after = JSONB(null=True, default=None)
    request_id = Varchar(length=64, default="")
    client_ip = Inet(null=True, default=None)


# Views (created by migrations) that other domains may name in their SQL: ids with their labels, for
# lists that show, search or sort by them inside one statement. Everything else they ask through
# `schoolit.accounts.directory`.
PUBLISHED_VIEWS = ("county_directory", "user_directory", "probe_directory")
