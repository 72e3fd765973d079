"""The main navigation: entries each domain registers, shown when the caller's role may use them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, gettext


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str  # an English message id, translated when shown
    permission: Permission | None  # None: every logged-in caller


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
    return [
        {"href": item.href, "label": gettext(item.label), "active": path.startswith(item.href)}
        for item in NAV_ITEMS
        if item.permission is None or scope.can(item.permission)
    ]


def current_user(request: Any) -> dict[str, Any] | None:
    return request.scope.get("state", {}).get("user")
