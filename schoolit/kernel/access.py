"""Access declarations on routes — the vocabulary every route uses to say who may call it.

Every route handler declares its access in `opt` with one of `public()`, `authenticated()` or
`requires(permission)`. `create_app()` refuses to start when a route declares nothing, and the
access-matrix test checks every declared route against every role and tenant. Which role holds which
permission, and the guard that enforces the declarations, belong to accounts (`schoolit.accounts.choices`,
`schoolit.accounts.access`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from litestar.handlers.base import BaseRouteHandler

ACCESS_KEY = "access"
PUBLIC = "public"
AUTHENTICATED = "authenticated"
# Routes Litestar adds by itself, all public: the OpenAPI description.
FRAMEWORK_PUBLIC_PREFIXES = ("/schema",)


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
    DISPOSALS_DECIDE = "disposals.decide"  # approve or reject the disposal of a device or access point
    AUDIT_READ = "audit.read"
    USERS_MANAGE = "users.manage"
    JOBS_MANAGE = "jobs.manage"  # the scheduled jobs page (admins)
    TENANTS_MANAGE = "tenants.manage"  # counties and support arrangements
    PROBE_INGEST = "probe.ingest"


def public() -> dict[str, Any]:
    """No login needed (home, health, login form, public fault form, static files)."""
    return {ACCESS_KEY: PUBLIC}


# A route that changes nothing whatever its method (the last route, which answers 404): no CSRF check, so
# a form posted to an address that does not exist is told so, not that its token is missing.
CHANGES_NOTHING = "changes_nothing"


def authenticated() -> dict[str, Any]:
    """Any logged-in person or token, whatever the role."""
    return {ACCESS_KEY: AUTHENTICATED}


def requires(permission: Permission) -> dict[str, Any]:
    """Logged in, with a role that has this permission."""
    return {ACCESS_KEY: permission}


def declared_access(handler: BaseRouteHandler, path: str) -> str | None:
    """The access a route declares, or None when it declares none.

    Litestar's own routes count as public: the OpenAPI description, and the OPTIONS answers it adds
    to every path (they list the allowed methods and return no data).
    """
    value = handler.opt.get(ACCESS_KEY)
    if value is None and (path.startswith(FRAMEWORK_PUBLIC_PREFIXES)
                          or set(getattr(handler, "http_methods", ())) == {"OPTIONS"}):
        return PUBLIC
    return None if value is None else str(value)
