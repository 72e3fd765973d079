"""The main menu of each role, over the real app: every registered entry is in the menus of the roles whose
work it serves (schoolit.kernel.navigation); a school contact gets the few entries of their tasks — their school
is "My school", its page, not a list of one — and the pages left out of a menu stay reachable (the page answers,
and a page of the role links it)."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar

from schoolit.accounts.choices import PERSON_ROLES, ROLE_PERMISSIONS, Role
from schoolit.kernel.navigation import MENU_ORDER, NAV_ITEMS
from tests.integration.accounts.test_login import login
from tests.integration.world import World

# Every person role's menu, in its order (navigation.MENU_ORDER): the day's work first, administration last.
MENUS = {
    "admin": ["/dashboards", "/tickets", "/mail-triage", "/schools", "/devices", "/loans", "/access-points",
              "/wlan-controllers", "/probes", "/disposals", "/warranty", "/import", "/mdm", "/snmp-profiles",
              "/text-modules", "/account/notifications", "/admin/counties", "/admin/arrangements", "/admin/users",
              "/admin/tokens", "/admin/sign-in", "/admin/ticket-categories", "/admin/webhooks", "/admin/mailboxes",
              "/admin/jobs", "/audit"],
    "verbund_supporter": ["/dashboards", "/tickets", "/mail-triage", "/schools", "/devices", "/loans",
                          "/access-points", "/wlan-controllers", "/probes", "/disposals", "/warranty", "/import",
                          "/mdm", "/snmp-profiles", "/text-modules", "/account/notifications"],
    # oversight: figures, tickets, equipment and replacement, the disposals it decides, the audit log
    "donnersberg_authority": ["/dashboards", "/tickets", "/schools", "/devices", "/loans", "/access-points",
                              "/disposals", "/warranty", "/audit"],
    # a teacher who looks after the school's IT: follows the tickets, lends devices, reports faults
    "school_contact": ["/schools/{kib}", "/tickets", "/devices", "/loans"],
}
# Pages some role may open but finds outside its menu, and the page of that role that links each.
REACHED_FROM = {
    "donnersberg_authority": {"/wlan-controllers": None, "/account/notifications": "/account"},
    "school_contact": {"/schools": None, "/access-points": "/schools/{kib}?section=network", "/disposals": None,
                       "/wlan-controllers": None, "/warranty": None, "/account/notifications": "/account"},
}


def menu(html: str) -> list[str]:
    """The links of the page's main navigation, in order."""
    nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, html[:2000]
    return re.findall(r'<a href="([^"]+)"', nav.group(1))


async def test_each_role_gets_the_menu_of_its_work(client: httpx.AsyncClient, world: World) -> None:
    for actor, expected in MENUS.items():
        client.cookies.clear()
        await login(client, world.users[actor]["email"])
        start = await client.get("/")
        assert start.status_code == 200, actor
        assert menu(start.text) == [path.format(kib=world.schools["kib"]["id"]) for path in expected], actor
        for path, linked_from in REACHED_FROM.get(actor, {}).items():
            assert (await client.get(path)).status_code == 200, (actor, path)  # still theirs to open
            if linked_from:
                page = await client.get(linked_from.format(kib=world.schools["kib"]["id"]))
                assert f'href="{path}' in page.text, (actor, path, linked_from)


def test_every_place_in_the_menu_order_has_its_entry(app: Litestar) -> None:
    """The app registers an entry for each address of MENU_ORDER, once: the order names no page that is gone."""
    assert [item.href for item in NAV_ITEMS] == list(MENU_ORDER)


def test_an_entry_names_only_roles_that_may_open_its_page(app: Litestar) -> None:
    """A role in an entry's audience holds the entry's permission (else the menu would lead it to a 403)."""
    for item in NAV_ITEMS:
        for role in item.roles or ():
            assert role in PERSON_ROLES, (item.href, role)
            assert item.permission is None or item.permission in ROLE_PERMISSIONS[Role(role)], (item.href, role)


async def test_a_school_contacts_school_is_its_page_in_the_menu(client: httpx.AsyncClient, world: World) -> None:
    kib = world.schools["kib"]
    await login(client, world.users["school_contact"]["email"])
    page = await client.get(f"/schools/{kib['id']}", params={"section": "devices"})
    assert page.status_code == 200 and f"<h1>{kib['name']}</h1>" in page.text
    assert re.search(rf'<a href="/schools/{kib["id"]}" aria-current="page">Meine Schule</a>', page.text)
    assert ">Schulen<" not in page.text  # neither the menu nor a link back leads to the list of one
    listed = await client.get("/schools")  # still the list, for an address kept from before
    assert listed.status_code == 200 and kib["name"] in listed.text
    # Those whose scope is more than one school keep the list, in the menu and as the way back.
    client.cookies.clear()
    await login(client, world.users["verbund_supporter"]["email"])
    page = await client.get(f"/schools/{kib['id']}")
    assert re.search(r'<a href="/schools" aria-current="page">Schulen</a>', page.text)
    assert '<p class="no-print"><a href="/schools">Schulen</a></p>' in page.text
    assert "Meine Schule" not in page.text
