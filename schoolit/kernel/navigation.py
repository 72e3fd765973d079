"""The main navigation: entries each domain registers, shown to the roles whose work they serve.

An entry names the permission its page needs and, where the page is not everyday work for every role that
may open it, the roles it is in the menu for: a school contact may read the school's access points and the
disposals of its devices and access points, but lends devices and reports faults, so those pages are reached
from the school's, the device's and the access point's page instead of the menu. An entry may lead to the
caller's own school (`OWN_SCHOOL` in its address): a school contact's "My school" is that school's page, not a
list of one. This is the one place that decides who sees which entry, and in which order (`MENU_ORDER`: daily
work first, administration last); templates only show the list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, gettext

OWN_SCHOOL = "{school_id}"  # in an entry's address: the caller's school (the entry is for callers of one school)


@dataclass(frozen=True)
class NavItem:
    href: str  # the page's address; with OWN_SCHOOL in it, the address of the caller's school's page
    label: str  # an English message id, translated when shown
    permission: Permission | None  # None: every logged-in caller
    # The roles (their names, `accounts.choices.Role`) whose menu shows the entry; None: every role that holds
    # the permission. Each role named must hold it (tests/integration/web/test_navigation.py).
    roles: frozenset[str] | None = None

    def address(self, scope: Any) -> str:
        """The entry's address for the caller with this scope (`shown_to` it)."""
        return self.href.replace(OWN_SCHOOL, str(scope.school_id))


# The menu's order, a product decision stated here once: the day's work first (figures, tickets, schools and
# their equipment), then the tools of IT staff, the caller's own settings, and administration last. Every entry
# a domain registers has its place here; an address without one fails at import, so no entry is placed silently.
MENU_ORDER: tuple[str, ...] = (
    "/dashboards",
    f"/schools/{OWN_SCHOOL}",  # a school contact's first entry: their school, where they lend and report
    "/tickets",
    "/mail-triage",
    "/schools",
    "/devices",
    "/loans",
    "/access-points",
    "/wlan-controllers",
    "/probes",
    "/disposals",
    "/warranty",
    "/import",
    "/mdm",
    "/snmp-profiles",
    "/text-modules",
    "/account/notifications",
    "/admin/counties",
    "/admin/arrangements",
    "/admin/users",
    "/admin/tokens",
    "/admin/sign-in",
    "/admin/ticket-categories",
    "/admin/webhooks",
    "/admin/mailboxes",
    "/admin/jobs",
    "/audit",
)

NAV_ITEMS: list[NavItem] = []


def in_menu_order(items: list[NavItem]) -> list[NavItem]:
    """The entries in `MENU_ORDER`; an entry whose address has no place there, or one given twice, is refused."""
    for item in items:
        if item.href not in MENU_ORDER:
            raise ValueError(f"menu entry {item.href!r} has no place in navigation.MENU_ORDER: add it there")
    addresses = [item.href for item in items]
    twice = sorted({href for href in addresses if addresses.count(href) > 1})
    if twice:
        raise ValueError(f"menu entries registered twice: {', '.join(twice)}")
    return sorted(items, key=lambda item: MENU_ORDER.index(item.href))


def register(*items: NavItem) -> None:
    """Domains add their entries here (inventory, tickets, dashboards); each takes its place in `MENU_ORDER`."""
    NAV_ITEMS[:] = in_menu_order([*NAV_ITEMS, *items])


register(
    NavItem("/admin/users", N_("Users"), Permission.USERS_MANAGE),
    NavItem("/admin/tokens", N_("API tokens"), Permission.USERS_MANAGE),
    NavItem("/audit", N_("Audit log"), Permission.AUDIT_READ),
)


def navigation(request: Any) -> list[dict[str, Any]]:
    """Entries for the template, for the caller of this request."""
    scope = request.scope.get("state", {}).get("scope")
    if scope is None:
        return []
    path = request.url.path
    shown = [(item, item.address(scope)) for item in NAV_ITEMS if shown_to(item, scope)]
    return [{"href": href, "label": gettext(item.label), "active": path.startswith(href)} for item, href in shown]


def shown_to(item: NavItem, scope: Any) -> bool:
    """Whether the entry is in the menu of the caller with this scope (its role and permissions, and a school
    of its own for an entry that leads there)."""
    return ((item.permission is None or scope.can(item.permission))
            and (item.roles is None or str(scope.role) in item.roles)
            and (OWN_SCHOOL not in item.href or scope.school_id is not None))


def current_user(request: Any) -> dict[str, Any] | None:
    return request.scope.get("state", {}).get("user")
