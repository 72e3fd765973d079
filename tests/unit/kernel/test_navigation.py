"""The main menu's order is stated once, in `navigation.MENU_ORDER`: entries take their place there whatever
order the domains register them in, and an entry with no place there (or registered twice) is refused when
its module is imported, so a new page cannot land somewhere in the menu unnoticed."""

from __future__ import annotations

import pytest

from schoolit.kernel import navigation
from schoolit.kernel.access import Permission
from schoolit.kernel.navigation import MENU_ORDER, NavItem, in_menu_order


def entry(href: str) -> NavItem:
    return NavItem(href, href, Permission.INVENTORY_READ)


def test_entries_take_their_place_in_the_menu_order_whatever_order_they_come_in() -> None:
    given = [entry("/audit"), entry("/devices"), entry("/admin/users"), entry("/dashboards"), entry("/tickets")]
    assert [item.href for item in in_menu_order(given)] == [
        "/dashboards", "/tickets", "/devices", "/admin/users", "/audit"]
    assert [item.href for item in in_menu_order(list(reversed(given)))] == [
        "/dashboards", "/tickets", "/devices", "/admin/users", "/audit"]


def test_an_entry_without_a_place_in_the_order_is_refused_and_nothing_is_registered() -> None:
    registered = list(navigation.NAV_ITEMS)
    with pytest.raises(ValueError, match=r"'/printers' has no place in navigation\.MENU_ORDER"):
        navigation.register(entry("/dashboards"), entry("/printers"))
    assert registered == navigation.NAV_ITEMS


def test_an_entry_registered_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice: /devices"):
        in_menu_order([entry("/devices"), entry("/loans"), entry("/devices")])


def test_the_order_names_each_address_once_and_puts_administration_last() -> None:
    assert len(set(MENU_ORDER)) == len(MENU_ORDER)
    administration = [i for i, href in enumerate(MENU_ORDER) if href.startswith("/admin/") or href == "/audit"]
    assert administration == list(range(len(MENU_ORDER) - len(administration), len(MENU_ORDER)))
    # The day's work first: the figures, a school contact's own school, the tickets before the inventory.
    assert MENU_ORDER[:3] == ("/dashboards", f"/schools/{navigation.OWN_SCHOOL}", "/tickets")
