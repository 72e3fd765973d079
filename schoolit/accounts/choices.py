"""Enumerations of the accounts domain: roles, permissions, actors."""

from collections.abc import Iterable
from enum import StrEnum

from schoolit.errors import ConfigError
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.settings import Settings


class FederalState(StrEnum):
    """German Länder by their ISO 3166-2 suffix (the `holidays` library's subdivisions of DE)."""

    BW = "BW"  # Baden-Württemberg
    BY = "BY"  # Bayern
    BE = "BE"  # Berlin
    BB = "BB"  # Brandenburg
    HB = "HB"  # Bremen
    HH = "HH"  # Hamburg
    HE = "HE"  # Hessen
    MV = "MV"  # Mecklenburg-Vorpommern
    NI = "NI"  # Niedersachsen
    NW = "NW"  # Nordrhein-Westfalen
    RP = "RP"  # Rheinland-Pfalz
    SL = "SL"  # Saarland
    SN = "SN"  # Sachsen
    ST = "ST"  # Sachsen-Anhalt
    SH = "SH"  # Schleswig-Holstein
    TH = "TH"  # Thüringen

    @property
    def key(self) -> str:
        """The state's two digits that begin every Amtlicher Gemeindeschlüssel (AGS) in it."""
        return STATE_KEYS[self]


STATE_KEYS = {FederalState.SH: "01", FederalState.HH: "02", FederalState.NI: "03", FederalState.HB: "04",
              FederalState.NW: "05", FederalState.HE: "06", FederalState.RP: "07", FederalState.BW: "08",
              FederalState.BY: "09", FederalState.SL: "10", FederalState.BE: "11", FederalState.BB: "12",
              FederalState.MV: "13", FederalState.SN: "14", FederalState.ST: "15", FederalState.TH: "16"}


class ShareRule(StrEnum):
    """How an arrangement splits the shared team's cost among its member counties."""

    HOURS = "hours"  # by the support time booked on each county's tickets in the period
    SCHOOLS = "schools"  # by each county's number of schools
    PUPILS = "pupils"  # by each county's number of pupils
    FIXED = "fixed"  # by a fixed percentage per member (they sum to 100)


SHARE_RULE_LABELS = {
    ShareRule.HOURS: N_("by support hours booked"),
    ShareRule.SCHOOLS: N_("by number of schools"),
    ShareRule.PUPILS: N_("by number of pupils"),
    ShareRule.FIXED: N_("fixed percentage per county"),
}


class Role(StrEnum):
    """A user's one role; its scope (counties, arrangement or school) is set on the user."""

    ADMIN = "admin"
    SUPPORTER = "supporter"
    AUTHORITY = "authority"
    SCHOOL = "school"
    PROBE = "probe"  # token-only: a probe record, never a person


ROLE_LABELS = {
    Role.ADMIN: N_("Administrator"),
    Role.SUPPORTER: N_("Supporter"),
    Role.AUTHORITY: N_("School authority"),
    Role.SCHOOL: N_("School contact"),
    Role.PROBE: N_("Probe"),
}

PERSON_ROLES = (Role.ADMIN, Role.SUPPORTER, Role.AUTHORITY, Role.SCHOOL)
# Whose menu a navigation entry is in (`NavItem.roles`, schoolit.kernel.navigation), beyond the permission its
# page needs: the county's IT staff run the fleet (controllers, warranty, access points, notification rules of
# the queue); the school authority oversees equipment, replacement and disposals. School contacts lend
# devices, report faults and follow their tickets: the rest they reach from their school's and devices' pages.
IT_STAFF = frozenset({Role.ADMIN, Role.SUPPORTER})
IT_STAFF_AND_AUTHORITY = IT_STAFF | {Role.AUTHORITY}
SCHOOL_ONLY = frozenset({Role.SCHOOL})  # the school contacts, whose scope is one school


def person_roles(names: Iterable[str], setting: str) -> frozenset[Role]:
    """The person roles a setting names (a ConfigError names the unknown ones)."""
    known = {role.value for role in PERSON_ROLES}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ConfigError(f"{setting} names unknown roles ({', '.join(unknown)}); known: {', '.join(sorted(known))}")
    return frozenset(Role(name) for name in names)


def check_settings(settings: Settings) -> None:
    """Refuse to start with a role setting that names no person role (create_app calls this)."""
    person_roles(settings.require_totp_roles, "REQUIRE_TOTP_ROLES")
    person_roles(settings.password_login_off_roles, "PASSWORD_LOGIN_OFF_ROLES")


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission) - {Permission.PROBE_INGEST},
    Role.SUPPORTER: frozenset({
        Permission.INVENTORY_READ, Permission.INVENTORY_WRITE, Permission.LOANS_WRITE, Permission.TICKETS_READ,
        Permission.TICKETS_REPORT, Permission.TICKETS_WORK, Permission.DASHBOARDS_READ, Permission.EXPORT,
    }),
    Role.AUTHORITY: frozenset({
        Permission.INVENTORY_READ, Permission.TICKETS_READ, Permission.DASHBOARDS_READ, Permission.EXPORT,
        Permission.AUDIT_READ, Permission.DISPOSALS_DECIDE,
    }),
    Role.SCHOOL: frozenset({
        Permission.INVENTORY_READ, Permission.LOANS_WRITE, Permission.TICKETS_READ, Permission.TICKETS_REPORT,
    }),
    Role.PROBE: frozenset({Permission.PROBE_INGEST}),
}


class ActorKind(StrEnum):
    """Who did something, as the audit log records it."""

    USER = "user"
    TOKEN = "token"  # noqa: S105 (an actor kind, not a secret)
    PROBE = "probe"
    SYSTEM = "system"
    ANONYMOUS = "anonymous"
