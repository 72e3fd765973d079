"""Access points to adopt: those a WLAN controller lists that the inventory does not know.

Each controller's last poll (`probe_controller_state`, written by ingest from the probe's
`ControllerReport`) keeps the rows of its table that matched no inventory access point. The page
/wlan-controllers/adoption lists them for supporters, without those whose MAC the inventory has meanwhile
(an access point entered by hand or imported). One click adopts one into a school (and room): an access
point of the controller's vendor, active, with the MAC, serial, name and model the controller gave
(`schoolit.inventory.services.create_access_point`, which checks it like any other). The same list is
offered as a CSV in the inventory's access-point import format, to complete and import in bulk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from schoolit import form_flow
from schoolit.accounts.auth import Caller
from schoolit.accounts.scope import Scope
from schoolit.csvwriter import write_csv
from schoolit.errors import FieldError, ValidationFailed
from schoolit.inventory import services as inventory
from schoolit.inventory import wlan_controllers
from schoolit.inventory.choices import CONTROLLER_VENDORS, ControllerProfile
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import N_, gettext
from schoolit.probes.agent.wire import ListedAccessPoint
from schoolit.sql import fetch

READ = requires(Permission.INVENTORY_READ)
WRITE = requires(Permission.INVENTORY_WRITE)
# The form's fields, named in its error messages.
FIELD_LABELS = {"mac": N_("MAC address"), "school_id": N_("School"), "room_id": N_("Room"),
                "serial": N_("Serial number"), "name": N_("Name")}


@dataclass(frozen=True)
class Candidate:
    """An access point a controller lists that the inventory does not know."""

    controller_id: int
    controller_name: str
    county_id: int
    school_id: int | None  # the controller's school, if it is a school's controller
    school_name: str | None
    vendor: str
    seen_at: dt.datetime
    mac: str
    serial: str | None
    name: str | None
    model: str | None
    up: bool | None


async def _states(scope: Scope) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    """The controllers the caller sees, by id, and the last poll of each that was polled."""
    controllers, _ = await wlan_controllers.list_wlan_controllers(scope, limit=1000)
    by_id = {c["id"]: c for c in controllers}
    if not by_id:
        return by_id, []
    rows = await fetch("SELECT controller_id, polled_at, reachable, error, listed, matched, unknown::text AS unknown "
                       "FROM probe_controller_state WHERE controller_id = ANY({}) ORDER BY controller_id", list(by_id))
    return by_id, rows


async def controller_states(scope: Scope) -> list[dict[str, Any]]:
    """Each controller the caller sees with its last poll: when, whether it answered (and why not), how
    many access points it listed and how many of them the inventory knows. Never polled: no poll data."""
    scope.require(Permission.INVENTORY_READ)
    by_id, rows = await _states(scope)
    polls = {row["controller_id"]: row for row in rows}
    keys = ("polled_at", "reachable", "error", "listed", "matched")
    return [{"id": c["id"], "name": c["name"], "school_name": c["school_name"],
             **{key: polls.get(c["id"], {}).get(key) for key in keys}} for c in by_id.values()]


async def candidates(scope: Scope) -> list[Candidate]:
    """The access points to adopt from every controller the caller sees, by controller and MAC."""
    scope.require(Permission.INVENTORY_READ)
    by_id, rows = await _states(scope)
    found: list[Candidate] = []
    for row in rows:
        controller = by_id[row["controller_id"]]
        vendor = CONTROLLER_VENDORS[ControllerProfile(controller["profile"])]
        for ap in msgspec.json.decode(row["unknown"], type=list[ListedAccessPoint]):
            found.append(Candidate(controller["id"], controller["name"], controller["county_id"],
                                   controller["school_id"], controller["school_name"], vendor, row["polled_at"],
                                   ap.mac, ap.serial, ap.name, ap.model, ap.up))
    known = await wlan_controllers.known_access_point_macs([c.mac for c in found])
    return [c for c in found if c.mac not in known]


async def adopt(scope: Scope, data: dict[str, Any]) -> dict[str, Any]:
    """Enter one listed access point into the inventory at a school (and room) of the controller's county."""
    scope.require(Permission.INVENTORY_WRITE)
    mac = str(data.get("mac") or "")
    candidate = next((c for c in await candidates(scope) if c.mac == mac), None)
    if candidate is None:
        raise ValidationFailed([FieldError("mac", N_("no access point to adopt with this MAC"))])
    school_id = data.get("school_id") or candidate.school_id
    values = {
        "school_id": school_id, "room_id": data.get("room_id") or None, "mac": candidate.mac,
        "serial": data.get("serial") or candidate.serial or "", "name": data.get("name") or candidate.name or "",
        "model": candidate.model or "", "vendor": candidate.vendor, "status": "active",
        "funding_programme": "other",
    }
    return await inventory.create_access_point(scope, values)


CSV_HEADER = ("Schulnummer", "Raum", "Name", "Hersteller", "Modell", "Seriennummer", "MAC-Adresse", "Status")


async def candidates_csv(scope: Scope) -> bytes:
    """The list in the inventory's access-point import format (school number and room to fill in where
    the controller is the county's)."""
    found = await candidates(scope)
    numbers: dict[int, str] = {}
    for school_id in {c.school_id for c in found if c.school_id is not None}:
        summary = await inventory.school_summary(school_id=school_id)
        numbers[school_id] = summary["school_number"] if summary else ""
    rows = [(numbers.get(c.school_id or 0, ""), "", c.name or "", c.vendor, c.model or "", c.serial or "", c.mac,
             "active") for c in found]
    return write_csv(CSV_HEADER, rows)


async def _page(caller: Scope, *, adopted: str | None = None, errors: dict[str, str] | None = None,
                failed: dict[str, Any] | None = None, status_code: int = 200) -> Template:
    """The adoption page; each row's room choice holds the rooms of the school chosen in it (the
    controller's school to begin with, or the school of a failed attempt)."""
    found = await candidates(caller)
    schools, _ = await inventory.list_schools(caller, limit=500)
    failed = failed or {}
    chosen = {c.mac: (failed.get("school_id") if c.mac == failed.get("mac") else None) or c.school_id
              for c in found}
    rooms = {school_id: await inventory.room_choices(caller, school_id)
             for school_id in {s for s in chosen.values() if isinstance(s, int)}}
    return Template("probes/adoption.html", status_code=status_code, context={
        "candidates": found, "schools": schools, "can_write": caller.can(Permission.INVENTORY_WRITE),
        "adopted": adopted, "errors": errors or {}, "failed": failed, "chosen": chosen, "rooms": rooms,
        "controllers": await controller_states(caller)})


class AdoptionPages(Controller):
    include_in_schema = False

    @get("/wlan-controllers/adoption", opt=READ)
    async def adoption(self, caller: Caller, adopted: FromQuery[str | None] = None) -> Template:
        return await _page(caller, adopted=adopted)

    @get("/wlan-controllers/adoption/rooms", opt=READ)
    async def adoption_rooms(self, caller: Caller, school_id: FromQuery[str | None] = None) -> Template:
        """The room options of the school just chosen in a row (htmx swaps them into its room choice)."""
        text = school_id or ""
        rooms = await inventory.room_choices(caller, int(text)) if text.isdigit() else []
        return Template("probes/_adoption_rooms.html", context={"rooms": rooms, "selected": None})

    @get("/wlan-controllers/adoption.csv", opt=READ)
    async def adoption_csv(self, caller: Caller) -> Response[bytes]:
        return Response(content=await candidates_csv(caller), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="access-points-to-adopt.csv"'})

    @post("/wlan-controllers/adoption", opt=WRITE, status_code=303)
    async def adopt_one(self, request: Request[Any, Any, Any], caller: Caller) -> Response[Any]:
        posted = await request.form()
        data: dict[str, Any] = {name: posted.get(name) or None
                                for name in ("mac", "school_id", "room_id", "serial", "name")}
        for number in ("school_id", "room_id"):
            text = str(data[number] or "")
            data[number] = int(text) if text.isdigit() else data[number]
        outcome = await form_flow.attempt(request, lambda: adopt(caller, data))
        if isinstance(outcome, form_flow.Refused):  # the row's reasons, each with its field's label
            errors = {field: f"{gettext(FIELD_LABELS.get(field, field))}: {message}"
                      for field, message in outcome.errors.items()}
            return await _page(caller, errors=errors, failed=data, status_code=outcome.status)
        return Redirect(path=f"/wlan-controllers/adoption?adopted={outcome.value['id']}", status_code=303)
