"""Enumerations of the accounts domain: roles, permissions, actors."""

from enum import StrEnum

from schoolit.web.i18n import N_


class FederalState(StrEnum):
    """German Länder by their ISO 3166-2 suffix (the ones our counties are in are enough for now)."""

    RP = "RP"  # Rheinland-Pfalz
    BW = "BW"  # Baden-Württemberg
    HE = "HE"
    SL = "SL"
    NW = "NW"


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


class Permission(StrEnum):
    """What a role may do; rows are still filtered by the scope."""

    INVENTORY_READ = "inventory.read"
    INVENTORY_WRITE = "inventory.write"
    LOANS_WRITE = "loans.write"
    TICKETS_READ = "tickets.read"
    TICKETS_REPORT = "tickets.report"
    TICKETS_WORK = "tickets.work"
    DASHBOARDS_READ = "dashboards.read"
    EXPORT = "export"
    AUDIT_READ = "audit.read"
    USERS_MANAGE = "users.manage"
    JOBS_MANAGE = "jobs.manage"  # the scheduled jobs page (admins)
    PROBE_INGEST = "probe.ingest"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission) - {Permission.PROBE_INGEST},
    Role.SUPPORTER: frozenset({
        Permission.INVENTORY_READ, Permission.INVENTORY_WRITE, Permission.LOANS_WRITE, Permission.TICKETS_READ,
        Permission.TICKETS_REPORT, Permission.TICKETS_WORK, Permission.DASHBOARDS_READ, Permission.EXPORT,
    }),
    Role.AUTHORITY: frozenset({
        Permission.INVENTORY_READ, Permission.TICKETS_READ, Permission.DASHBOARDS_READ, Permission.EXPORT,
        Permission.AUDIT_READ,
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
