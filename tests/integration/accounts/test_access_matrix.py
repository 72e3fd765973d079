"""Every route × every role × own and foreign tenant: the right status, and never foreign data.

Routes are enumerated from the app's router, so a route added later is covered automatically; a route
that declares no access, or a path parameter this test cannot fill, fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from litestar import Litestar

from schoolit.accounts.choices import ROLE_PERMISSIONS, Role
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.inventory import wlan_controllers
from schoolit.kernel.access import AUTHENTICATED, PUBLIC, Permission, declared_access
from tests.integration.world import COUNTIES, SCHOOLS, World

ACTORS: dict[str, Role | None] = {
    "anonymous": None,
    "admin": Role.ADMIN,
    "verbund_supporter": Role.SUPPORTER,
    "ludwigsburg_authority": Role.AUTHORITY,
    "school_contact": Role.SCHOOL,
    "probe": Role.PROBE,
}
# Which county and school are the actor's own, and which are foreign to it (None: nothing is foreign).
OWN_COUNTY = {"admin": "donnersbergkreis", "verbund_supporter": "kusel", "ludwigsburg_authority": "ludwigsburg",
              "school_contact": "donnersbergkreis", "probe": "donnersbergkreis", "anonymous": "donnersbergkreis"}
FOREIGN_COUNTY = {"verbund_supporter": "ludwigsburg", "ludwigsburg_authority": "donnersbergkreis",
                  "school_contact": "ludwigsburg", "probe": "kusel", "anonymous": "ludwigsburg"}
OWN_SCHOOL = {"admin": "kib", "verbund_supporter": "kus", "ludwigsburg_authority": "lb", "school_contact": "kib",
              "probe": "kib", "anonymous": "kib"}
FOREIGN_SCHOOL = {"verbund_supporter": "lb", "ludwigsburg_authority": "kib", "school_contact": "rok",
                  "probe": "kus", "anonymous": "lb"}
FOREIGN_USER = {"verbund_supporter": "ludwigsburg_authority", "ludwigsburg_authority": "donnersberg_authority",
                "school_contact": "donnersberg_authority", "probe": "ludwigsburg_authority",
                "anonymous": "ludwigsburg_authority"}

Filler = Callable[[World, str, bool], str | None]


def _user(world: World, actor: str, foreign: bool) -> str | None:
    if foreign:
        other = FOREIGN_USER.get(actor)
        return str(world.users[other]["id"]) if other else None
    return str(world.users[actor]["id"]) if actor in world.users else str(world.users["donnersberg_authority"]["id"])


def _token(world: World, actor: str, foreign: bool) -> str | None:
    if foreign:
        other = FOREIGN_USER.get(actor)
        return str(world.token_ids[other]) if other else None
    return str(world.token_ids.get(actor, world.token_ids["donnersberg_authority"]))


def _team_object(objects: dict[str, int], county: str | None) -> str | None:
    """The object of a county's support team: Ludwigsburg's own, or the arrangement's."""
    if county is None:
        return None
    return str(objects["ludwigsburg" if county == "ludwigsburg" else "verbund"])


PATH_PARAMS: dict[str, Filler] = {
    "county_id": lambda w, a, f: (str(w.counties[FOREIGN_COUNTY[a]]) if a in FOREIGN_COUNTY else None) if f
    else str(w.counties[OWN_COUNTY[a]]),
    "user_id": _user,
    "token_id": _token,
    "code": lambda w, a, f: None if f else "en",
    "file_path": lambda w, a, f: None if f else "css/app.css",
    "path": lambda w, a, f: None if f else "openapi.json",  # /schema/{path}
    # The last route (/{rest:path}) answers every address no other route has, always with 404
    # (tests/integration/web/test_pages.py): nothing there to reach.
    "rest": lambda w, a, f: None,
    # A ticket's tracking token (public pages): the one of the actor's own school's ticket; guessing is 404.
    "token": lambda w, a, f: None if f else w.tracking_tokens[OWN_SCHOOL[a]],
    # A password-reset link (public page): the actor's own, or the Donnersberg authority's for those without one.
    "reset_token": lambda w, a, f: None if f else w.reset_tokens.get(a, w.reset_tokens["donnersberg_authority"]),
    "category_id": lambda w, a, f: None if f else str(w.ticket_category_id),  # installation-wide
    # The tickets of an asset (/tickets/for-asset/{kind}/{asset_id}): an access point of the actor's own
    # school, or of a foreign one.
    "asset_kind": lambda w, a, f: "access_point",
    "asset_id": lambda w, a, f: _school_bound(w, "access_point_id", a, f),
    "webhook_id": lambda w, a, f: None if f else str(w.webhook_id),  # type: ignore[attr-defined]
    "mailbox_id": lambda w, a, f: None if f else str(w.mailbox_ids["verbund"]),  # type: ignore[attr-defined]
    # A mail waiting in the triage of the actor's own county's team, or of a foreign one.
    "inbound_id": lambda w, a, f: _team_object(w.inbound_ids,  # type: ignore[attr-defined]
                                               FOREIGN_COUNTY.get(a) if f else OWN_COUNTY[a]),
    # A text module of the actor's own county's team, or of a foreign one.
    "module_id": lambda w, a, f: _team_object(w.text_module_ids,  # type: ignore[attr-defined]
                                              FOREIGN_COUNTY.get(a) if f else OWN_COUNTY[a]),
    # Sign-in providers and their mappings are installation-wide (tests/integration/accounts/sso/world.py).
    "provider_name": lambda w, a, f: None if f else "matrix",
    # The OpenID routes (public) need a live provider and a pending sign-in in the browser:
    # tests/integration/accounts/sso/test_oidc.py drives them.
    "oidc_provider": lambda w, a, f: None,
    "provider_id": lambda w, a, f: None if f else str(w.sign_in_provider_id),  # type: ignore[attr-defined]
    "mapping_id": lambda w, a, f: None if f else str(w.sign_in_mapping_id),  # type: ignore[attr-defined]
    "job": lambda w, a, f: None if f else "sessions",  # /admin/jobs/{job}/run: installation-wide
    "kind": lambda w, a, f: None if f else "devices",  # /api/v1/import/{kind}, /api/v1/export/{kind}
    # Dashboards: a county by its slug; the one arrangement, own to those whose scope covers it.
    "county_slug": lambda w, a, f: FOREIGN_COUNTY.get(a) if f else OWN_COUNTY[a],
    "arrangement_id": lambda w, a, f: (str(w.arrangement_id) if (a in FOREIGN_ARRANGEMENT) == f else None),
}
# Actors whose scope does not cover the arrangement (one of its counties is not enough: 404).
FOREIGN_ARRANGEMENT = {"ludwigsburg_authority"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def leaked(marker: str, text: str) -> bool:
    """Whether the marker stands in the text as itself: a school number inside a longer number (the
    digits of a timing on /metrics, 0.4937046410032053) is not that school."""
    return re.search(rf"(?<![\d.]){re.escape(marker)}(?!\d)", text) is not None


def foreign_markers(world: World, actor: str) -> list[str]:
    """Strings that must never appear in an answer to this actor."""
    if actor == "admin":
        return []
    markers = []
    county = FOREIGN_COUNTY.get(actor)
    if county:
        markers.append(COUNTIES[county][0])
    for key, school in SCHOOLS.items():
        visible = {
            "verbund_supporter": school[0] in ("donnersbergkreis", "kaiserslautern", "kusel"),
            "ludwigsburg_authority": school[0] == "ludwigsburg",
            "school_contact": key == "kib",
            "probe": school[0] == "donnersbergkreis",
        }.get(actor, False)
        if not visible:
            markers += [school[2], school[1]]
    other = FOREIGN_USER.get(actor)
    if other:
        markers.append(world.users[other]["email"])
    return markers


def routes(app: Litestar) -> list[tuple[str, str, Any]]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                if method not in ("OPTIONS", "HEAD"):
                    found.append((route.path, method, handler))
    return found


def _school_bound(world: World, name: str, actor: str, foreign: bool) -> str | None:
    """`<kind>_id` of a school-bound object: the one at the actor's own school, or at a foreign one."""
    objects = world.by_school.get(name.removesuffix("_id"))
    assert objects, (f"path parameter {name!r}: record the objects in world.by_school"
                     f"[{name.removesuffix('_id')!r}] (tests/integration/world.py EXTENSIONS)")
    school = FOREIGN_SCHOOL.get(actor) if foreign else OWN_SCHOOL[actor]
    return None if school is None else str(objects[school])


def fill(path: str, world: World, actor: str, foreign: bool) -> str | None:
    names = re.findall(r"{(\w+)(?::\w+)?}", path)
    values = {}
    for name in names:
        if name in PATH_PARAMS:
            value = PATH_PARAMS[name](world, actor, foreign)
        else:
            assert name.endswith("_id"), f"add a filler for path parameter {name!r} ({path}) to the matrix test"
            value = _school_bound(world, name, actor, foreign)
        if value is None:
            return None
        values[name] = value
    if foreign and not names:
        return None
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values[m.group(1)], path)


class _Rollback(Exception):
    pass


async def isolated(call: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """Each probe request runs in a savepoint that is rolled back: a revoked token or a disabled user
    in one request must not change the next."""
    try:
        async with atomic():
            response = await call()
            raise _Rollback(response)
    except _Rollback as done:
        return done.args[0]  # type: ignore[no-any-return]


async def _add_controllers(world: World) -> None:
    """A WLAN controller of each school, for `controller_id` (only here: a controller changes what the
    probes poll, which other tests of the shared world count). Extreme: the world's access points are
    Aruba's, so none of them is polled through it."""
    system = Scope.system("access matrix")
    for index, key in enumerate(SCHOOLS, start=1):
        controller = await wlan_controllers.create_wlan_controller(system, {
            "school_id": world.schools[key]["id"], "name": f"Controller {key}", "profile": "extreme-wireless",
            "management_ip": f"10.{index}.0.2", "snmp_profile_id": world.by_school["snmp_profile"][key]})
        world.by_school.setdefault("controller", {})[key] = controller["id"]


async def test_access_matrix(app: Litestar, client: httpx.AsyncClient, world: World) -> None:
    await _add_controllers(world)
    checked = 0
    all_routes = routes(app)
    assert len(all_routes) >= 20
    for path, method, handler in all_routes:
        access = declared_access(handler, path)
        assert access is not None, f"{method} {path} declares no access"
        for actor, role in ACTORS.items():
            headers = {} if role is None else world.auth(actor)
            headers["accept"] = "application/json" if path.startswith("/api/") else "text/html"
            for foreign in (False, True):
                url = fill(path, world, actor, foreign)
                if url is None:
                    continue
                body: dict[str, Any] = {"json": {}} if method in UNSAFE and path.startswith("/api/") else {}
                response = await isolated(lambda url=url, body=body, headers=headers, method=method: client.request(
                    method, url, headers=headers, **body))
                label = f"{method} {url} as {actor} ({'foreign' if foreign else 'own'})"
                status = response.status_code
                if role is None and method in UNSAFE and access == PUBLIC:
                    # Without a bearer token every form post must carry a CSRF token first.
                    assert status == 403 and "CSRF" in response.text, f"{label}: {status}"
                elif access != PUBLIC and role is None:
                    # A missing login is said first (401), before any CSRF check, for writes too.
                    assert status == 401 or (status == 303 and response.headers["location"].startswith("/login")), label
                elif access not in (PUBLIC, AUTHENTICATED) and role is not None \
                        and Permission(access) not in ROLE_PERMISSIONS[role]:
                    assert status == 403, f"{label}: {status}"
                elif foreign:
                    assert status >= 400, f"{label}: {status} — a foreign object must not be reachable"
                elif method in UNSAFE:
                    # The role may: whatever the (empty) body makes of it, access is not what fails.
                    assert access == PUBLIC or status not in (401, 403), f"{label}: {status}"
                else:
                    assert status < 400, f"{label}: {status} {response.text[:200]}"
                for marker in foreign_markers(world, actor):
                    assert not leaked(marker, response.text), f"{label} leaked {marker!r}"
                checked += 1
    assert checked >= len(all_routes) * len(ACTORS)
