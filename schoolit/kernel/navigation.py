"""The main navigation: entries each domain registers, shown to the roles whose work they serve.

An entry names the permission its page needs and, where the page is not everyday work for every role that
may open it, the roles it is in the menu for: a school contact may read the school's access points and the
disposals of its devices and access points, but lends devices and reports faults, so those pages are reached
from the school's, the device's and the access point's page instead of the menu. An entry may lead to the
caller's own school (`OWN_SCHOOL` in its address): a school contact's "My school" is that school's page, not a
list of one. This is the one place that decides who sees which entry; templates only show the list."""

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


NAV_ITEMS: list[NavItem] = [
    NavItem("/admin/users", N_("Users"), Permission.USERS_MANAGE),
    NavItem("/admin/tokens", N_("API tokens"), Permission.USERS_MANAGE),
    NavItem("/audit", N_("Audit log"), Permission.AUDIT_READ),
]


def register(*items: NavItem, before: str | None = None) -> None:
    """Domains add their entries here (inventory, tickets, dashboards)."""
    index = next((i for i, item in enumerate(NAV_ITEMS) if item.href == before), len(NAV_ITEMS))
    NAV_ITEMS[index:index] = items


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
