"""The inventory's German pages: lists, school, asset and loan pages, and the create and edit forms
derived from the resource descriptions. Forms post back to themselves; with htmx the form is swapped
in place with the errors next to the fields (422, nothing written), and a successful save answers with
HX-Redirect."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from schoolit import form_flow, lists
from schoolit.accounts import services as accounts
from schoolit.accounts.auth import Caller
from schoolit.accounts.choices import IT_STAFF_AND_AUTHORITY, SCHOOL_ONLY
from schoolit.accounts.scope import Scope
from schoolit.describe import forms, identifiers
from schoolit.errors import ValidationFailed
from schoolit.inventory import disposals, services
from schoolit.inventory.choices import (
    ACCESS_POINT_STATUS_LABELS,
    DEVICE_KIND_LABELS,
    DEVICE_STATUS_LABELS,
    DISPOSAL_REASON_LABELS,
    DISPOSAL_STATE_LABELS,
    FUNDING_PROGRAMME_LABELS,
    SCHOOL_TYPE_LABELS,
    SNMP_VERSION_LABELS,
    UPLINK_STATUS_LABELS,
    UPLINK_TECHNOLOGY_LABELS,
    VENDOR_LABELS,
    DeviceStatus,
    DisposalReason,
    DisposalState,
)
from schoolit.inventory.device_list_pages import PAGE_HANDLERS as DEVICE_LIST_PAGES
from schoolit.inventory.http import LOANS, LOANS_FORM, READ, WRITE, WRITE_FORM, Filters, LoanState, Text, list_filters
from schoolit.inventory.resources.access_point import ACCESS_POINT
from schoolit.inventory.resources.access_point import ACCESS_POINTS as ACCESS_POINT_LIST
from schoolit.inventory.resources.common import DISPOSED
from schoolit.inventory.resources.device import DEVICE, mdm_silent
from schoolit.inventory.resources.loan import LOAN, RETURN_FORM
from schoolit.inventory.resources.loan import LOANS as LOAN_LIST
from schoolit.inventory.resources.room import BUILDING_RESOURCE, ROOM
from schoolit.inventory.resources.school import SCHOOL, SCHOOLS
from schoolit.inventory.resources.snmp_profile import SNMP_PROFILE
from schoolit.inventory.resources.uplink import UPLINK
from schoolit.kernel import navigation
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, gettext
from schoolit.kernel.times import day_text
from schoolit.schemas import IdFilter
from schoolit.settings import get_settings
from schoolit.sql import concurrently

DEVICE_FORM = DEVICE.form()
BUILDING_FORM = BUILDING_RESOURCE.form(skip=("school_id",))
ROOM_FORM = ROOM.form(skip=("school_id",))
UPLINK_FORM = UPLINK.form(skip=("school_id",))  # an uplink stays at its school
ACCESS_POINT_FORM = ACCESS_POINT.form()
SCHOOL_FORM = SCHOOL.form()
LOAN_FORM = LOAN.form()
SNMP_PROFILE_FORM = SNMP_PROFILE.form()
navigation.register(
    # A school contact's scope is one school: the menu leads to its page, not to a list of one.
    navigation.NavItem("/schools", N_("Schools"), Permission.INVENTORY_READ, IT_STAFF_AND_AUTHORITY),
    navigation.NavItem(f"/schools/{navigation.OWN_SCHOOL}", N_("My school"), Permission.INVENTORY_READ, SCHOOL_ONLY),
    navigation.NavItem("/devices", N_("Devices"), Permission.INVENTORY_READ),
    navigation.NavItem("/loans", N_("Loans"), Permission.INVENTORY_READ),
    # School contacts reach their access points from the school page, a disposal from its asset's page.
    navigation.NavItem("/access-points", N_("Access points"), Permission.INVENTORY_READ, IT_STAFF_AND_AUTHORITY),
    navigation.NavItem("/disposals", N_("Disposals"), Permission.INVENTORY_READ, IT_STAFF_AND_AUTHORITY),
    navigation.NavItem("/snmp-profiles", N_("SNMP profiles"), Permission.INVENTORY_WRITE),
)

# The sections of a school page, each its own tab (`?section=`), and the rows of a list per page.
SCHOOL_SECTIONS = ("overview", "network", "rooms", "devices", "tickets")
SECTION_PAGE = 50


# --- pages: helpers ------------------------------------------------------------------------------

LABELS: dict[str, Mapping[Any, str]] = {
    "school_type": SCHOOL_TYPE_LABELS, "uplink_status": UPLINK_STATUS_LABELS,
    "uplink_technology": UPLINK_TECHNOLOGY_LABELS, "vendor": VENDOR_LABELS, "ap_status": ACCESS_POINT_STATUS_LABELS,
    "device_kind": DEVICE_KIND_LABELS, "device_status": DEVICE_STATUS_LABELS, "funding": FUNDING_PROGRAMME_LABELS,
    "snmp_version": SNMP_VERSION_LABELS, "disposal_reason": DISPOSAL_REASON_LABELS,
    "disposal_state": DISPOSAL_STATE_LABELS,
}


def _label(kind: str, value: Any) -> str:
    """The translated label of a stored choice value (the value itself when it has none)."""
    labels = LABELS[kind]
    for key, label in labels.items():
        if getattr(key, "value", key) == value:
            return gettext(label)
    return "" if value is None else str(value)


def _htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def _done(request: Request[Any, Any, Any], url: str) -> Response[Any]:
    """After a successful save: htmx follows HX-Redirect, a plain form the 303."""
    if _htmx(request):
        return Response(content=b"", status_code=200, headers={"HX-Redirect": url})
    return Redirect(path=url, status_code=303)


def _base_context(caller: Scope) -> dict[str, Any]:
    return {"label": _label, "can_write": caller.can(Permission.INVENTORY_WRITE),
            "can_lend": caller.can(Permission.LOANS_WRITE), "today": services.today()}


def base_context(caller: Scope) -> dict[str, Any]:
    """What every inventory page's template takes (labels of stored choices, what the caller may do)."""
    return _base_context(caller)


# What an access point's data-wipe certificate is (a device's is plain: the wipe of its storage).
AP_CERTIFICATE = N_("For an access point: the record of its factory reset, since it held WLAN keys and RADIUS "
                    "secrets.")


async def _disposal_section(caller: Scope, kind: str, asset: Mapping[str, Any], disposal_form: Mapping[str, Any],
                            certificate_hint: str = "") -> dict[str, Any]:
    """The disposal section of an asset's page (`inventory/_disposal.html`): its disposals, whether one may be
    requested, the request form's state."""
    found = await disposals.list_disposals(caller, kind=kind, asset_id=asset["id"])
    pending = any(d["state"] == DisposalState.PENDING.value for d in found)
    can_request = caller.can(Permission.INVENTORY_WRITE) and not pending and asset["status"] != DISPOSED
    return {"disposals": found, "certificate_hint": gettext(certificate_hint) if certificate_hint else "",
            "can_request_disposal": can_request,
            "disposal_blocked": await disposals.blocked(kind, asset) if can_request else "",
            "disposal_reasons": [(r.value, gettext(DISPOSAL_REASON_LABELS[r])) for r in DisposalReason],
            "disposal_form": {"reason": "", "note": "", "errors": {}, "problems": [], **disposal_form}}


async def device_context(caller: Scope, device_id: int, **disposal_form: Any) -> dict[str, Any]:
    """The device page's context: the device, its loans and disposals, the disposal request form's state."""
    device = await services.get_device(caller, device_id)
    loans, _ = await services.list_loans(caller, device_id=device_id, sort="-lent_on", limit=100)
    return {**_base_context(caller), "device": device, "details": DEVICE.details, "loans": loans,
            "mdm_silent": mdm_silent(device), "silent_after_days": get_settings().mdm_silent_after_days,
            "disposal_action": f"/devices/{device_id}/disposal",
            **await _disposal_section(caller, "device", device, disposal_form)}


async def access_point_context(caller: Scope, access_point_id: int, **disposal_form: Any) -> dict[str, Any]:
    """The access point page's context: the access point, its rooms and disposals, the disposal request form's
    state."""
    ap = await services.get_access_point(caller, access_point_id)
    return {**_base_context(caller), "ap": ap, "details": ACCESS_POINT.details,
            "rooms": await services.access_point_rooms(caller, access_point_id),
            "disposal_action": f"/access-points/{access_point_id}/disposal",
            **await _disposal_section(caller, "access_point", ap, disposal_form, AP_CERTIFICATE)}


# A disposed device or access point is at its end: its edit page says so instead of a form it would refuse.
DISPOSED_NOT_EDITABLE = N_("Disposed of on %(day)s – no longer editable.")


def _disposed(asset: Mapping[str, Any] | None, back_label: str) -> tuple[str, str] | None:
    """The edit page's notice and its link's text for a disposed asset (None for one that may be edited)."""
    if asset is None or asset["status"] != DISPOSED:
        return None
    return gettext(DISPOSED_NOT_EDITABLE, day=day_text(asset["disposed_on"])), gettext(back_label)


def _form_page(request: Request[Any, Any, Any], caller: Scope, *, title: str, form: Sequence[forms.Field],
               values: Mapping[str, Any], action: str, back: str, errors: Mapping[str, str] | None = None,
               general: Sequence[str] = (), options: Mapping[str, forms.Options] | None = None,
               skip: Sequence[str] = (), status: int = 200, submit: str = N_("Save"),
               intro: str = "", delete: str | None = None, ended: tuple[str, str] | None = None) -> Template:
    """A create or edit form; `delete` is the action of the row's delete button (edit forms of rows that
    may be deleted). `ended`: the row is no longer edited (its notice and the text of the link `back`, from
    `_disposed`): the page says so and has no form; a form posted from an older page comes back so too."""
    errors = errors or {}
    shown = [f for f in form if f.name not in skip]
    context = {
        **_base_context(caller), "title": title, "action": action, "back": back, "submit": gettext(submit),
        "intro": intro, "delete": delete, "fields": forms.fields(form, values, errors, options, skip=skip),
        "problems": form_flow.form_summary({f.name: f.label for f in shown}, errors, general),
        "ended": ended[0] if ended else "", "back_label": ended[1] if ended else "",
    }
    partial = _htmx(request) and status >= 400
    return Template("inventory/_form.html" if partial else "inventory/form.html", context=context, status_code=status)


def _posted_values(form: Sequence[forms.Field], posted: Any) -> dict[str, Any]:
    return {f.name: posted.getall(f.name, []) if f.kind == "checkboxes" else posted.get(f.name, "") for f in form}


Render = Callable[[Mapping[str, Any], Mapping[str, str], Sequence[str], int], Awaitable[Template]]


async def _submit(request: Request[Any, Any, Any], form: Sequence[forms.Field],
                  save: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]], success: Callable[[dict[str, Any]], str],
                  render: Render, extra: Mapping[str, Any] | None = None) -> Response[Any]:
    """Check and save a posted form; on errors show it again with each error next to its field (a conflict
    on top)."""
    posted = await request.form()
    outcome = await form_flow.attempt(request, lambda: save({**forms.from_form(form, posted), **(extra or {})}),
                                      conflict=True)
    if isinstance(outcome, form_flow.Refused):
        general = (outcome.problem,) if outcome.problem else ()
        return await render(_posted_values(form, posted), outcome.errors, general, outcome.status)
    return _done(request, success(outcome.value))


async def _county_options(caller: Scope) -> list[tuple[str, str]]:
    return [(str(c["id"]), c["name"]) for c in await accounts.list_counties(caller)]


async def _school_options(caller: Scope) -> list[tuple[str, str]]:
    rows, _ = await services.list_schools(caller, limit=500)
    return [(str(s["id"]), f"{s['name']} ({s['school_number']})") for s in rows]


async def _room_options(caller: Scope, school_id: int) -> list[tuple[str, str]]:
    return await services.room_choices(caller, school_id)


async def _profile_options(caller: Scope, county_id: int) -> list[tuple[str, str]]:
    if not caller.can(Permission.INVENTORY_WRITE):
        return []
    rows, _ = await services.list_snmp_profiles(caller, county_id=county_id, limit=500)
    return [(str(p["id"]), p["name"]) for p in rows]


async def _building_options(caller: Scope, school_id: int) -> list[tuple[str, str]]:
    rows, _ = await services.list_buildings(caller, school_id=school_id, limit=500)
    return [(str(b["id"]), b["name"]) for b in rows]


def _uplink_cell(row: Mapping[str, Any]) -> str:
    if not row.get("uplink_status"):
        return gettext("no uplink recorded")
    return (f"{_label('uplink_status', row['uplink_status'])} {_label('uplink_technology', row['uplink_technology'])} "
            f"{row['uplink_down_mbps']}/{row['uplink_up_mbps']} Mbit/s")


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


# The schools list's table and CSV columns; the sort keys are the school description's.
SCHOOL_COLUMNS = lists.check_sorts((
    lists.Column(N_("No."), "school_number", lists.key("school_number")),
    lists.Column(N_("School"), "name", lists.key("name")),
    lists.Column(N_("School type"), "school_type", lambda r: _label("school_type", r["school_type"]), table=False),
    lists.Column(N_("City"), "city", lists.key("city")),
    lists.Column(N_("County"), "county", lists.key("county_name")),
    lists.Column(N_("Uplink"), "uplink", _uplink_cell),
    lists.Column(N_("WLAN coverage (percent)"), None, lambda r: _percent(r["planned_coverage"]), numeric=True),
    lists.Column(N_("Access points"), "access_points", lists.key("access_points"), numeric=True),
    lists.Column(N_("Devices"), "devices", lists.key("devices"), numeric=True),
    lists.Column(N_("Open loans"), "open_loans", lists.key("open_loans"), numeric=True),
), SCHOOLS.sorts)


# The access point list's table and CSV columns; the sort keys are the access point description's.
ACCESS_POINT_COLUMNS = lists.check_sorts((
    lists.Column(N_("Name"), "name", lambda r: r["name"] or r["serial"]),
    lists.Column(N_("School"), "school", lists.key("school_name")),
    lists.Column(N_("Room"), "room", lists.key("room_name")),
    lists.Column(N_("Vendor"), "vendor", lambda r: _label("vendor", r["vendor"])),
    lists.Column(N_("Model"), "model", lists.key("model")),
    lists.Column(N_("Serial number"), "serial", lists.key("serial")),
    lists.Column(N_("MAC address"), None, lists.key("mac")),
    lists.Column(N_("Management IP"), "management_ip", lists.key("management_ip")),
    lists.Column(N_("Status"), "status", lambda r: _label("ap_status", r["status"])),
    lists.Column(N_("Warranty end"), "warranty_end", lambda r: day_text(r["warranty_end"], "")),
), ACCESS_POINT_LIST.sorts)


# --- pages: schools ------------------------------------------------------------------------------


class SchoolPages(Controller):
    include_in_schema = False

    @get("/schools", name="schools", opt=READ, dependencies={"filters": list_filters(SCHOOLS)})
    async def schools(self, request: Request[Any, Any, Any], caller: Caller, filters: Filters,
                      q: Text = None) -> Response[Any]:
        wanted = lists.params(request.query_params, default_sort="name", sorts=SCHOOLS.sorts)
        rows, total = await services.list_schools(caller, q=q, sort=wanted.sort, limit=wanted.fetch_limit,
                                                  offset=wanted.fetch_offset, filters=filters)
        view = lists.view("/schools", request.query_params, SCHOOL_COLUMNS, wanted, total=total, shown=len(rows),
                          default_sort="name")
        if wanted.csv:
            return lists.csv_response(view, rows, "schulen.csv")
        return Template("inventory/schools.html", context={
            **_base_context(caller), "schools": rows, "view": view,
            "filter_inputs": SCHOOLS.inputs({"county_id": await _county_options(caller)}),
            "filters": {**{name: (value or "").strip() for name, value in filters.items()}, "q": q or ""},
        })

    async def _school_form(self, request: Request[Any, Any, Any], caller: Scope, school: dict[str, Any] | None,
                           values: Mapping[str, Any], errors: Mapping[str, str], general: Sequence[str],
                           status: int) -> Template:
        if school is None:
            return _form_page(request, caller, title=gettext("New school"), form=SCHOOL_FORM, values=values,
                              errors=errors, general=general, status=status, action="/schools/new", back="/schools",
                              options={"county_id": await _county_options(caller)})
        return _form_page(request, caller, title=gettext("Edit %(name)s", name=school["name"]), form=SCHOOL_FORM,
                          values=values, errors=errors, general=general, status=status, skip=("county_id",),
                          action=f"/schools/{school['id']}/edit", back=f"/schools/{school['id']}",
                          delete=f"/schools/{school['id']}/delete")

    @get("/schools/new", opt=WRITE)
    async def new_school(self, request: Request[Any, Any, Any], caller: Caller) -> Template:
        only = services.only_county(caller)
        return await self._school_form(request, caller, None, {"school_type": "gymnasium",
                                                               "county_id": str(only or "")}, {}, (), 200)

    @post("/schools/new", opt=WRITE_FORM, status_code=303)
    async def create_school(self, request: Request[Any, Any, Any], caller: Caller) -> Response[Any]:
        render = functools.partial(self._school_form, request, caller, None)

        return await _submit(request, SCHOOL_FORM, lambda data: services.create_school(caller, data),
                             lambda row: f"/schools/{row['id']}", render)

    @get("/schools/{school_id:int}", opt=READ)
    async def school(self, caller: Caller, school_id: FromPath[int], section: FromQuery[str] = "overview",
                     page: FromQuery[int] = 1, loan_page: FromQuery[int] = 1) -> Template:
        """A school in sections (overview, network, rooms, devices and loans, tickets), one shown at a time
        as a tab, its lists SECTION_PAGE rows a page; the tickets and live network parts come by htmx."""
        section = section if section in SCHOOL_SECTIONS else "overview"
        offset, loan_offset = (max(page, 1) - 1) * SECTION_PAGE, (max(loan_page, 1) - 1) * SECTION_PAGE
        # Independent reads at once (sql.concurrently); the lists' totals without rows (limit=0).
        school, (uplinks, _), *counted = await concurrently(
            services.get_school(caller, school_id),
            services.list_uplinks(caller, school_id=school_id, sort="-status", limit=50),
            services.list_rooms(caller, school_id=school_id, limit=0),
            services.list_access_points(caller, school_id=school_id, limit=0),
            services.list_devices(caller, school_id=school_id, limit=0),
            services.list_loans(caller, school_id=school_id, state="open", limit=0))
        totals = dict(zip(("rooms", "access_points", "devices", "loans"), (n for _, n in counted), strict=True))
        context: dict[str, Any] = {}
        if section == "network":
            context["access_points"], _ = await services.list_access_points(
                caller, school_id=school_id, limit=SECTION_PAGE, offset=offset)
        elif section == "rooms":
            context["buildings"], _ = await services.list_buildings(caller, school_id=school_id, limit=100)
            context["rooms"], _ = await services.list_rooms(caller, school_id=school_id, sort="building",
                                                            limit=SECTION_PAGE, offset=offset)
            aps, _ = await services.list_access_points(caller, school_id=school_id, limit=500)
            context["ap_names"] = {a["id"]: a["name"] or a["serial"] for a in aps}
        elif section == "devices":
            context["devices"], _ = await services.list_devices(caller, school_id=school_id, limit=SECTION_PAGE,
                                                                offset=offset)
            context["loans"], _ = await services.list_loans(caller, school_id=school_id, state="open",
                                                            limit=SECTION_PAGE, offset=loan_offset)
        return Template("inventory/school.html", context={
            **_base_context(caller), "school": school, "uplinks": uplinks, "section": section, "totals": totals,
            "page": max(page, 1), "loan_page": max(loan_page, 1), "page_size": SECTION_PAGE,
            "ap_total": totals["access_points"], "device_total": totals["devices"], "loan_total": totals["loans"],
            "school_year_end": services.school_year_end(services.today()), **context,
            # A link only to an http(s) address (one stored before the rule is shown as text).
            "website_link": identifiers.is_web_address(school["website"]),
        })

    @get("/schools/{school_id:int}/edit", opt=WRITE)
    async def edit_school(self, request: Request[Any, Any, Any], caller: Caller, school_id: FromPath[int]) -> Template:
        school = await services.get_school(caller, school_id)
        return await self._school_form(request, caller, school, forms.from_row(SCHOOL_FORM, school), {}, (), 200)

    @post("/schools/{school_id:int}/edit", opt=WRITE_FORM, status_code=303)
    async def update_school(self, request: Request[Any, Any, Any], caller: Caller,
                            school_id: FromPath[int]) -> Response[Any]:
        school = await services.get_school(caller, school_id)

        render = functools.partial(self._school_form, request, caller, school)

        return await _submit(request, [f for f in SCHOOL_FORM if f.name != "county_id"],
                             lambda data: services.update_school(caller, school_id, data),
                             lambda row: f"/schools/{row['id']}", render)

    @post("/schools/{school_id:int}/delete", opt=WRITE, status_code=303)
    async def delete_school(self, caller: Caller, school_id: FromPath[int]) -> Redirect:
        await services.delete_school(caller, school_id)
        return Redirect(path="/schools", status_code=303)

    # --- buildings and rooms ---

    async def _building_form(self, request: Request[Any, Any, Any], caller: Scope, school_id: int,
                             building: dict[str, Any] | None, values: Mapping[str, Any], errors: Mapping[str, str],
                             general: Sequence[str], status: int) -> Template:
        if building is None:
            title, action = gettext("New building"), f"/schools/{school_id}/buildings/new"
        else:
            title, action = gettext("Edit %(name)s", name=building["name"]), f"/buildings/{building['id']}/edit"
        return _form_page(request, caller, title=title, form=BUILDING_FORM, values=values, errors=errors,
                          general=general, status=status, action=action,
                          back=f"/schools/{school_id}?section=rooms#rooms",
                          delete=f"/buildings/{building['id']}/delete" if building else None)

    @get("/schools/{school_id:int}/buildings/new", opt=WRITE)
    async def new_building(self, request: Request[Any, Any, Any], caller: Caller, school_id: FromPath[int]) -> Template:
        await services.get_school(caller, school_id)
        return await self._building_form(request, caller, school_id, None, {}, {}, (), 200)

    @post("/schools/{school_id:int}/buildings/new", opt=WRITE_FORM, status_code=303)
    async def create_building(self, request: Request[Any, Any, Any], caller: Caller,
                              school_id: FromPath[int]) -> Response[Any]:
        await services.get_school(caller, school_id)
        render = functools.partial(self._building_form, request, caller, school_id, None)
        return await _submit(request, BUILDING_FORM, lambda data: services.create_building(caller, data),
                             lambda row: f"/schools/{school_id}?section=rooms#rooms", render, {"school_id": school_id})

    @get("/buildings/{building_id:int}/edit", opt=WRITE)
    async def edit_building(self, request: Request[Any, Any, Any], caller: Caller,
                            building_id: FromPath[int]) -> Template:
        building = await services.get_building(caller, building_id)
        return await self._building_form(request, caller, building["school_id"], building,
                                         forms.from_row(BUILDING_FORM, building), {}, (), 200)

    @post("/buildings/{building_id:int}/edit", opt=WRITE_FORM, status_code=303)
    async def update_building(self, request: Request[Any, Any, Any], caller: Caller,
                              building_id: FromPath[int]) -> Response[Any]:
        building = await services.get_building(caller, building_id)
        render = functools.partial(self._building_form, request, caller, building["school_id"], building)
        return await _submit(request, BUILDING_FORM, lambda data: services.update_building(caller, building_id, data),
                             lambda row: f"/schools/{row['school_id']}?section=rooms#rooms", render)

    @post("/buildings/{building_id:int}/delete", opt=WRITE, status_code=303)
    async def delete_building(self, caller: Caller, building_id: FromPath[int]) -> Redirect:
        building = await services.get_building(caller, building_id)
        await services.delete_building(caller, building_id)
        return Redirect(path=f"/schools/{building['school_id']}?section=rooms#rooms", status_code=303)

    async def _room_form(self, request: Request[Any, Any, Any], caller: Scope, school_id: int,
                         room: dict[str, Any] | None, values: Mapping[str, Any], errors: Mapping[str, str],
                         general: Sequence[str], status: int) -> Template:
        options = {"building_id": await _building_options(caller, school_id)}
        if room is None:
            return _form_page(request, caller, title=gettext("New room"), form=ROOM_FORM, values=values,
                              errors=errors, general=general, status=status, options=options,
                              action=f"/schools/{school_id}/rooms/new",
                              back=f"/schools/{school_id}?section=rooms#rooms")
        return _form_page(request, caller, title=gettext("Edit %(name)s", name=room["name"]), form=ROOM_FORM,
                          values=values, errors=errors, general=general, status=status, options=options,
                          action=f"/rooms/{room['id']}/edit", back=f"/schools/{school_id}?section=rooms#rooms",
                          delete=f"/rooms/{room['id']}/delete")

    @get("/schools/{school_id:int}/rooms/new", opt=WRITE)
    async def new_room(self, request: Request[Any, Any, Any], caller: Caller, school_id: FromPath[int],
                       building_id: IdFilter = None) -> Template:
        await services.get_school(caller, school_id)
        return await self._room_form(request, caller, school_id, None,
                                     {"is_teaching": True, "building_id": str(building_id or "")}, {}, (), 200)

    @post("/schools/{school_id:int}/rooms/new", opt=WRITE_FORM, status_code=303)
    async def create_room(self, request: Request[Any, Any, Any], caller: Caller,
                          school_id: FromPath[int]) -> Response[Any]:
        await services.get_school(caller, school_id)

        render = functools.partial(self._room_form, request, caller, school_id, None)

        return await _submit(request, ROOM_FORM, lambda data: services.create_room(caller, data),
                             lambda row: f"/schools/{school_id}?section=rooms#rooms", render, {"school_id": school_id})

    @get("/rooms/{room_id:int}/edit", opt=WRITE)
    async def edit_room(self, request: Request[Any, Any, Any], caller: Caller, room_id: FromPath[int]) -> Template:
        room = await services.get_room(caller, room_id)
        return await self._room_form(request, caller, room["school_id"], room, forms.from_row(ROOM_FORM, room), {},
                                     (), 200)

    @post("/rooms/{room_id:int}/edit", opt=WRITE_FORM, status_code=303)
    async def update_room(self, request: Request[Any, Any, Any], caller: Caller,
                          room_id: FromPath[int]) -> Response[Any]:
        room = await services.get_room(caller, room_id)

        render = functools.partial(self._room_form, request, caller, room["school_id"], room)

        return await _submit(request, ROOM_FORM, lambda data: services.update_room(caller, room_id, data),
                             lambda row: f"/schools/{row['school_id']}?section=rooms#rooms", render)

    @post("/rooms/{room_id:int}/delete", opt=WRITE, status_code=303)
    async def delete_room(self, caller: Caller, room_id: FromPath[int]) -> Redirect:
        room = await services.get_room(caller, room_id)
        await services.delete_room(caller, room_id)
        return Redirect(path=f"/schools/{room['school_id']}?section=rooms#rooms", status_code=303)

    # --- uplinks ---

    async def _uplink_form(self, request: Request[Any, Any, Any], caller: Scope, school: dict[str, Any],
                           uplink: dict[str, Any] | None, values: Mapping[str, Any], errors: Mapping[str, str],
                           general: Sequence[str], status: int) -> Template:
        options = {"snmp_profile_id": await _profile_options(caller, school["county_id"])}
        title = gettext("New uplink") if uplink is None else gettext("Edit uplink %(line)s",
                                                                     line=uplink["line_id"] or uplink["provider"])
        action = f"/schools/{school['id']}/uplinks/new" if uplink is None else f"/uplinks/{uplink['id']}/edit"
        return _form_page(request, caller, title=title, form=UPLINK_FORM, values=values, errors=errors,
                          general=general, status=status, options=options, action=action,
                          back=f"/schools/{school['id']}#uplink",
                          delete=f"/uplinks/{uplink['id']}/delete" if uplink else None)

    @get("/schools/{school_id:int}/uplinks/new", opt=WRITE)
    async def new_uplink(self, request: Request[Any, Any, Any], caller: Caller, school_id: FromPath[int]) -> Template:
        school = await services.get_school(caller, school_id)
        return await self._uplink_form(request, caller, school, None, {"technology": "fttb", "status": "planned"},
                                       {}, (), 200)

    @post("/schools/{school_id:int}/uplinks/new", opt=WRITE_FORM, status_code=303)
    async def create_uplink(self, request: Request[Any, Any, Any], caller: Caller,
                            school_id: FromPath[int]) -> Response[Any]:
        school = await services.get_school(caller, school_id)

        render = functools.partial(self._uplink_form, request, caller, school, None)

        return await _submit(request, UPLINK_FORM, lambda data: services.create_uplink(caller, data),
                             lambda row: f"/schools/{school_id}#uplink", render, {"school_id": school_id})

    @get("/uplinks/{uplink_id:int}/edit", opt=WRITE)
    async def edit_uplink(self, request: Request[Any, Any, Any], caller: Caller, uplink_id: FromPath[int]) -> Template:
        uplink = await services.get_uplink(caller, uplink_id)
        school = await services.get_school(caller, uplink["school_id"])
        return await self._uplink_form(request, caller, school, uplink, forms.from_row(UPLINK_FORM, uplink), {}, (),
                                       200)

    @post("/uplinks/{uplink_id:int}/edit", opt=WRITE_FORM, status_code=303)
    async def update_uplink(self, request: Request[Any, Any, Any], caller: Caller,
                            uplink_id: FromPath[int]) -> Response[Any]:
        uplink = await services.get_uplink(caller, uplink_id)
        school = await services.get_school(caller, uplink["school_id"])

        render = functools.partial(self._uplink_form, request, caller, school, uplink)

        return await _submit(request, UPLINK_FORM, lambda data: services.update_uplink(caller, uplink_id, data),
                             lambda row: f"/schools/{row['school_id']}#uplink", render)

    @post("/uplinks/{uplink_id:int}/delete", opt=WRITE, status_code=303)
    async def delete_uplink(self, caller: Caller, uplink_id: FromPath[int]) -> Redirect:
        uplink = await services.get_uplink(caller, uplink_id)
        await services.delete_uplink(caller, uplink_id)
        return Redirect(path=f"/schools/{uplink['school_id']}#uplink", status_code=303)


# --- pages: access points and devices ------------------------------------------------------------


class AssetPages(Controller):
    include_in_schema = False

    async def _ap_form(self, request: Request[Any, Any, Any], caller: Scope, school: dict[str, Any],
                       ap: dict[str, Any] | None, values: Mapping[str, Any], errors: Mapping[str, str],
                       general: Sequence[str], status: int) -> Template:
        rooms = await _room_options(caller, school["id"])
        options = {"room_id": rooms, "covered_room_ids": rooms,
                   "snmp_profile_id": await _profile_options(caller, school["county_id"]),
                   "school_id": await _school_options(caller)}
        if ap is None:
            return _form_page(request, caller, title=gettext("New access point"), form=ACCESS_POINT_FORM,
                              values=values, errors=errors, general=general, status=status, options=options,
                              skip=("school_id",), action=f"/schools/{school['id']}/access-points/new",
                              back=f"/schools/{school['id']}?section=network#access-points")
        return _form_page(request, caller, title=gettext("Edit %(name)s", name=ap["name"] or ap["serial"]),
                          form=ACCESS_POINT_FORM, values=values, errors=errors, general=general, status=status,
                          options=options, action=f"/access-points/{ap['id']}/edit",
                          back=f"/access-points/{ap['id']}", ended=_disposed(ap, N_("Back to the access point")))

    @get("/access-points", name="access_points", opt=READ, dependencies={"filters": list_filters(ACCESS_POINT_LIST)})
    async def access_points(self, request: Request[Any, Any, Any], caller: Caller, filters: Filters,
                            q: Text = None) -> Response[Any]:
        """Access points across the caller's schools: the description's filters, search by name, serial,
        MAC or address, sortable columns, pager and CSV."""
        wanted = lists.params(request.query_params, default_sort="school", sorts=ACCESS_POINT_LIST.sorts)
        rows, total = await services.list_access_points(caller, q=q, sort=wanted.sort, limit=wanted.fetch_limit,
                                                        offset=wanted.fetch_offset, filters=filters)
        view = lists.view("/access-points", request.query_params, ACCESS_POINT_COLUMNS, wanted, total=total,
                          shown=len(rows), default_sort="school")
        if wanted.csv:
            return lists.csv_response(view, rows, "access-points.csv")
        return Template("inventory/access_points.html", context={
            **_base_context(caller), "access_points": rows, "view": view,
            "filter_inputs": ACCESS_POINT_LIST.inputs({"county_id": await _county_options(caller),
                                                       "school_id": await _school_options(caller)}),
            "filters": {**{name: (value or "").strip() for name, value in filters.items()}, "q": q or ""},
        })

    @get("/schools/{school_id:int}/access-points/new", opt=WRITE)
    async def new_access_point(self, request: Request[Any, Any, Any], caller: Caller,
                               school_id: FromPath[int]) -> Template:
        school = await services.get_school(caller, school_id)
        return await self._ap_form(request, caller, school, None, {
            "vendor": "aruba", "status": "active", "funding_programme": "digitalpakt_basis"}, {}, (), 200)

    @post("/schools/{school_id:int}/access-points/new", opt=WRITE_FORM, status_code=303)
    async def create_access_point(self, request: Request[Any, Any, Any], caller: Caller,
                                  school_id: FromPath[int]) -> Response[Any]:
        school = await services.get_school(caller, school_id)

        render = functools.partial(self._ap_form, request, caller, school, None)

        form = [f for f in ACCESS_POINT_FORM if f.name != "school_id"]
        return await _submit(request, form, lambda data: services.create_access_point(caller, data),
                             lambda row: f"/access-points/{row['id']}", render, {"school_id": school_id})

    @get("/access-points/{access_point_id:int}", opt=READ)
    async def access_point(self, caller: Caller, access_point_id: FromPath[int], done: Text = None) -> Template:
        context = await access_point_context(caller, access_point_id)
        context["disposal_requested"] = done == "disposal-requested"
        return Template("inventory/access_point.html", context=context)

    @get("/access-points/{access_point_id:int}/edit", opt=WRITE)
    async def edit_access_point(self, request: Request[Any, Any, Any], caller: Caller,
                                access_point_id: FromPath[int]) -> Template:
        ap = await services.get_access_point(caller, access_point_id)
        school = await services.get_school(caller, ap["school_id"])
        return await self._ap_form(request, caller, school, ap, forms.from_row(ACCESS_POINT_FORM, ap), {}, (), 200)

    @post("/access-points/{access_point_id:int}/edit", opt=WRITE_FORM, status_code=303)
    async def update_access_point(self, request: Request[Any, Any, Any], caller: Caller,
                                  access_point_id: FromPath[int]) -> Response[Any]:
        ap = await services.get_access_point(caller, access_point_id)
        school = await services.get_school(caller, ap["school_id"])

        render = functools.partial(self._ap_form, request, caller, school, ap)

        async def save(data: dict[str, Any]) -> dict[str, Any]:
            if str(data.get("school_id", "")) != str(ap["school_id"]):
                data.pop("covered_room_ids", None)  # the listed rooms are the old school's
            return await services.update_access_point(caller, access_point_id, data)

        return await _submit(request, ACCESS_POINT_FORM, save, lambda row: f"/access-points/{row['id']}", render)

    @post("/access-points/{access_point_id:int}/retire", opt=WRITE, status_code=303)
    async def retire_access_point(self, caller: Caller, access_point_id: FromPath[int]) -> Redirect:
        await services.retire_access_point(caller, access_point_id)
        return Redirect(path=f"/access-points/{access_point_id}", status_code=303)

    async def _device_form(self, request: Request[Any, Any, Any], caller: Scope, school: dict[str, Any],
                           device: dict[str, Any] | None, values: Mapping[str, Any], errors: Mapping[str, str],
                           general: Sequence[str], status: int) -> Template:
        options = {"school_id": await _school_options(caller)}
        if device is None:
            return _form_page(request, caller, title=gettext("New device"), form=DEVICE_FORM, values=values,
                              errors=errors, general=general, status=status, options=options, skip=("school_id",),
                              action=f"/schools/{school['id']}/devices/new",
                              back=f"/schools/{school['id']}?section=devices#devices")
        return _form_page(request, caller, title=gettext("Edit device %(serial)s", serial=device["serial"]),
                          form=DEVICE_FORM, values=values, errors=errors, general=general, status=status,
                          options=options, action=f"/devices/{device['id']}/edit", back=f"/devices/{device['id']}",
                          ended=_disposed(device, N_("Back to the device")))

    @get("/schools/{school_id:int}/devices/new", opt=WRITE)
    async def new_device(self, request: Request[Any, Any, Any], caller: Caller, school_id: FromPath[int]) -> Template:
        school = await services.get_school(caller, school_id)
        return await self._device_form(request, caller, school, None, {
            "kind": "tablet", "status": "stock", "funding_programme": "digitalpakt_sofortausstattung"}, {}, (), 200)

    @post("/schools/{school_id:int}/devices/new", opt=WRITE_FORM, status_code=303)
    async def create_device(self, request: Request[Any, Any, Any], caller: Caller,
                            school_id: FromPath[int]) -> Response[Any]:
        school = await services.get_school(caller, school_id)

        render = functools.partial(self._device_form, request, caller, school, None)

        form = [f for f in DEVICE_FORM if f.name != "school_id"]
        return await _submit(request, form, lambda data: services.create_device(caller, data),
                             lambda row: f"/devices/{row['id']}", render, {"school_id": school_id})

    @get("/devices/{device_id:int}", opt=READ)
    async def device(self, caller: Caller, device_id: FromPath[int], done: Text = None) -> Template:
        context = await device_context(caller, device_id)
        context["disposal_requested"] = done == "disposal-requested"
        return Template("inventory/device.html", context=context)

    @get("/devices/{device_id:int}/edit", opt=WRITE)
    async def edit_device(self, request: Request[Any, Any, Any], caller: Caller, device_id: FromPath[int]) -> Template:
        device = await services.get_device(caller, device_id)
        school = await services.get_school(caller, device["school_id"])
        return await self._device_form(request, caller, school, device, forms.from_row(DEVICE_FORM, device), {}, (),
                                       200)

    @post("/devices/{device_id:int}/edit", opt=WRITE_FORM, status_code=303)
    async def update_device(self, request: Request[Any, Any, Any], caller: Caller,
                            device_id: FromPath[int]) -> Response[Any]:
        device = await services.get_device(caller, device_id)
        school = await services.get_school(caller, device["school_id"])

        render = functools.partial(self._device_form, request, caller, school, device)

        return await _submit(request, DEVICE_FORM, lambda data: services.update_device(caller, device_id, data),
                             lambda row: f"/devices/{row['id']}", render)

    @post("/devices/{device_id:int}/retire", opt=WRITE, status_code=303)
    async def retire_device(self, caller: Caller, device_id: FromPath[int]) -> Redirect:
        await services.retire_device(caller, device_id)
        return Redirect(path=f"/devices/{device_id}", status_code=303)

    @get("/lookup", name="lookup", opt=READ)
    async def lookup(self, caller: Caller, q: Text = None) -> Response[Any]:
        """Typed or scanned (a scanner types and presses Enter): one hit opens it, several are listed; a text
        too long for a search is refused at the field (422)."""
        try:
            hits = await services.lookup(caller, q or "")
        except ValidationFailed as exc:
            return Template("inventory/lookup.html", status_code=exc.status_code, context={
                **_base_context(caller), "q": q or "", "hits": [],
                "errors": {e.field: gettext(e.message) for e in exc.errors}})
        if len(hits) == 1:
            hit = hits[0]
            kind = "devices" if hit["kind"] == "device" else "access-points"
            return Redirect(path=f"/{kind}/{hit['id']}", status_code=303)
        return Template("inventory/lookup.html", context={**_base_context(caller), "q": q or "", "hits": hits,
                                                          "errors": {}})


# --- pages: loans --------------------------------------------------------------------------------

LOAN_TABS = (("due", N_("Due by the end of the school year")), ("overdue", N_("Overdue")), ("open", N_("All open")),
             ("returned", N_("Returned")))


def _device_cell(row: Mapping[str, Any]) -> str:
    made = " ".join(p for p in (row.get("device_vendor"), row.get("device_model")) if p)
    return f"{row['device_serial']} ({made})" if made else row["device_serial"]


# The loan list's table and CSV columns (all tabs); the sort keys are the loan description's.
LOAN_COLUMNS = lists.check_sorts((
    lists.Column(N_("Device"), "serial", _device_cell),
    lists.Column(N_("School"), "school", lists.key("school_name")),
    lists.Column(N_("Pupil reference"), "pupil_ref", lists.key("pupil_ref")),
    lists.Column(N_("Class"), "class", lists.key("class_name")),
    lists.Column(N_("Lent on"), "lent_on", lambda r: day_text(r["lent_on"], "")),
    lists.Column(N_("Due on"), "due_on", lambda r: day_text(r["due_on"], "")),
    lists.Column(N_("Returned on"), "returned_on", lambda r: day_text(r["returned_on"], "")),
    lists.Column(N_("Actions"), hidden_label=True),
), LOAN_LIST.sorts)


class BulkForm:
    """The bulk-lending form's rows: `serial_N` and `pupil_ref_N` side by side."""

    ROWS = 30

    @staticmethod
    def rows(posted: Any) -> list[services.BulkRow]:
        indexes = sorted({int(k.rsplit("_", 1)[1]) for k in posted if k.startswith(("serial_", "pupil_ref_"))
                          and k.rsplit("_", 1)[1].isdigit()})
        return [services.BulkRow(serial=posted.get(f"serial_{i}", ""), pupil_ref=posted.get(f"pupil_ref_{i}", ""))
                for i in indexes]

    # The form's own fields above the rows, as the summary names them, and the two columns of a row.
    TERMS: Mapping[str, str] = {"class_name": N_("Class"), "lent_on": N_("Lent on"), "due_on": N_("Due on")}
    COLUMNS: Mapping[str, str] = {"serial": N_("Serial number, row %(row)s"),
                                  "pupil_ref": N_("Pupil reference, row %(row)s")}

    @classmethod
    def summary(cls, errors: Mapping[str, str]) -> list[dict[str, str]]:
        """The refused form's error summary (`form_flow.summary`): what concerns the whole lending first
        (nothing was lent; a problem of no field), then the terms' fields and each row's cells in the order
        the form shows them, each linked to its input (`field-rows.3.serial`)."""
        split = {name: name.split(".") for name in errors if name.startswith("rows.")}
        cells = sorted((int(parts[1]), list(cls.COLUMNS).index(parts[2]), name) for name, parts in split.items()
                       if len(parts) == 3 and parts[1].isdigit() and parts[2] in cls.COLUMNS)
        labels = {**cls.TERMS, **{name: gettext(list(cls.COLUMNS.values())[column], row=row + 1)
                                  for row, column, name in cells}}
        return form_flow.form_summary(labels, errors, [N_("Nothing was lent.")])

    @staticmethod
    def errors(problems: Mapping[str, str]) -> dict[str, str]:
        """Problems by posted field, keyed as the service keys its own (`serial_3` -> `rows.3.serial`; the
        service's keys stay as they are)."""
        return {f"rows.{name.rsplit('_', 1)[1]}.{name.rsplit('_', 1)[0]}"
                if name.startswith(("serial_", "pupil_ref_")) else name: message for name, message in problems.items()}


LEND_PICK_LIMIT = 50  # devices in stock listed to pick from; more are narrowed by school or search


class LoanPages(Controller):
    include_in_schema = False

    @get("/loans", name="loans", opt=READ, dependencies={"filters": list_filters(LOAN_LIST)})
    async def loans(self, request: Request[Any, Any, Any], caller: Caller, filters: Filters,
                    loan_state: LoanState = None, q: Text = None) -> Response[Any]:
        state = loan_state if loan_state in services.LOAN_STATES else "due"
        default_sort = "-returned_on" if state == "returned" else "due_on"
        wanted = lists.params(request.query_params, default_sort=default_sort, sorts=LOAN_LIST.sorts)
        rows, total = await services.list_loans(caller, state=state, q=q, sort=wanted.sort, limit=wanted.fetch_limit,
                                                offset=wanted.fetch_offset, filters=filters)
        view = lists.view("/loans", {**request.query_params, "state": state}, LOAN_COLUMNS, wanted, total=total,
                          shown=len(rows), default_sort=default_sort)
        if wanted.csv:
            return lists.csv_response(view, rows, f"ausleihen-{state}.csv")
        # Overdue loans are a list of their own (not in "due"): its tab says how many there are.
        _none, overdue_total = await services.list_loans(caller, state="overdue", q=q, limit=0, filters=filters)
        return Template("inventory/loans.html", context={
            **_base_context(caller), "loans": rows, "view": view, "overdue_total": overdue_total,
            "tabs": [(key, gettext(label)) for key, label in LOAN_TABS], "state": state,
            "filter_inputs": LOAN_LIST.inputs({"school_id": await _school_options(caller)}),
            "filters": {**{name: (value or "").strip() for name, value in filters.items() if value}, "q": q or ""},
            "school_year_end": services.school_year_end(services.today()),
        })

    @get("/loans/lend", opt=LOANS)
    async def pick_device(self, caller: Caller, q: Text = None, school_id: IdFilter = None) -> Response[Any]:
        """"Lend a device" from the loan list: the devices in stock (of one school, when chosen) whose serial,
        asset tag or model matches what was typed or scanned; one hit opens its lend form, as the look-up
        opens a device."""
        text = (q or "").strip()
        schools = await _school_options(caller)
        chosen = str(school_id) if school_id else (schools[0][0] if len(schools) == 1 else "")
        devices, total = await services.list_devices(caller, q=text, sort="serial", limit=LEND_PICK_LIMIT,
                                                     status=DeviceStatus.STOCK.value, school_id=chosen or None)
        if text and total == 1:
            return Redirect(path=f"/devices/{devices[0]['id']}/lend", status_code=303)
        return Template("inventory/lend_pick.html", context={
            **_base_context(caller), "q": text, "devices": devices, "total": total, "schools": schools,
            "school_id": chosen})

    async def _lend_form(self, request: Request[Any, Any, Any], caller: Scope, device: dict[str, Any],
                         values: Mapping[str, Any], errors: Mapping[str, str], general: Sequence[str],
                         status: int, last: Mapping[str, Any] | None = None) -> Template:
        intro = gettext("%(kind)s %(model)s, serial %(serial)s", kind=_label("device_kind", device["kind"]),
                        model=" ".join(p for p in (device["vendor"], device["model"]) if p), serial=device["serial"])
        if last is not None:  # the condition below comes from that return: the supporter checks it
            intro += " · " + gettext("Last returned on %(day)s: check the condition and the accessories below "
                                     "against the device.", day=day_text(last["returned_on"]))
            if device["accessories"]:
                intro += " " + gettext("Its accessories according to the inventory: %(accessories)s.",
                                       accessories=device["accessories"])
        return _form_page(request, caller, title=gettext("Lend device"), form=LOAN_FORM, values=values, errors=errors,
                          general=general, status=status, intro=intro, submit=N_("Lend"),
                          action=f"/devices/{device['id']}/lend", back=f"/devices/{device['id']}")

    @get("/devices/{device_id:int}/lend", opt=LOANS)
    async def lend_form(self, request: Request[Any, Any, Any], caller: Caller, device_id: FromPath[int]) -> Template:
        device = await services.get_device(caller, device_id)
        if services.lend_refusal(device) is not None:
            # No form to fill in for nothing: the page says why (its open loan, or its status) and leads back (409).
            loan = await services.get_loan(caller, device["open_loan_id"]) if device["open_loan_id"] else None
            return Template("inventory/lend_refused.html", status_code=409, context={
                **_base_context(caller), "device": device, "loan": loan})
        values, last = await services.lend_terms(caller, device)
        return await self._lend_form(request, caller, device, values, {}, (), 200, last)

    @post("/devices/{device_id:int}/lend", opt=LOANS_FORM, status_code=303)
    async def lend(self, request: Request[Any, Any, Any], caller: Caller, device_id: FromPath[int]) -> Response[Any]:
        device = await services.get_device(caller, device_id)
        _terms, last = await services.lend_terms(caller, device)

        render = functools.partial(self._lend_form, request, caller, device, last=last)

        return await _submit(request, LOAN_FORM, lambda data: services.lend_device(caller, data),
                             lambda row: f"/loans/{row['id']}/agreement", render, {"device_id": device_id})

    async def _return_form(self, request: Request[Any, Any, Any], caller: Scope, loan: dict[str, Any],
                           values: Mapping[str, Any], errors: Mapping[str, str], general: Sequence[str],
                           status: int) -> Template:
        intro = gettext("Device %(serial)s, lent on %(lent)s to %(ref)s", serial=loan["device_serial"],
                        lent=day_text(loan["lent_on"]), ref=loan["pupil_ref"] or "–")
        return _form_page(request, caller, title=gettext("Return device"), form=RETURN_FORM, values=values,
                          errors=errors, general=general, status=status, intro=intro, submit=N_("Record return"),
                          action=f"/loans/{loan['id']}/return", back=f"/devices/{loan['device_id']}")

    @get("/loans/{loan_id:int}/return", opt=LOANS)
    async def return_form(self, request: Request[Any, Any, Any], caller: Caller, loan_id: FromPath[int]) -> Template:
        loan = await services.get_loan(caller, loan_id)
        return await self._return_form(request, caller, loan, {"returned_on": services.today().isoformat(),
                                                               "device_status": "stock"}, {}, (), 200)

    @post("/loans/{loan_id:int}/return", opt=LOANS_FORM, status_code=303)
    async def return_loan(self, request: Request[Any, Any, Any], caller: Caller,
                          loan_id: FromPath[int]) -> Response[Any]:
        loan = await services.get_loan(caller, loan_id)

        render = functools.partial(self._return_form, request, caller, loan)

        return await _submit(request, RETURN_FORM, lambda data: services.return_loan(caller, loan_id, data),
                             lambda row: f"/devices/{row['device_id']}", render)

    @get("/loans/{loan_id:int}/agreement", opt=READ)
    async def agreement(self, caller: Caller, loan_id: FromPath[int]) -> Template:
        return Template("inventory/agreement.html",
                        context={**_base_context(caller), **await services.loan_agreement(caller, loan_id)})

    def _bulk_page(self, caller: Scope, school: dict[str, Any], *, values: Mapping[str, Any],
                   rows: Sequence[services.BulkRow], errors: Mapping[str, str], status: int = 200) -> Template:
        count = max(BulkForm.ROWS, len(rows) + 5)
        padded = list(rows) + [services.BulkRow("", "")] * (count - len(rows))
        return Template("inventory/bulk.html", status_code=status, context={
            **_base_context(caller), "school": school, "values": values, "rows": padded, "maxlength": {
                "class_name": LOAN.max_length(LOAN["class_name"]), "pupil_ref": LOAN.max_length(LOAN["pupil_ref"]),
                "serial": DEVICE.max_length(DEVICE["serial"])},
            "errors": {k: gettext(v) for k, v in errors.items()},
            "terms": {name: gettext(label) for name, label in BulkForm.TERMS.items()},
            "problems": BulkForm.summary(errors) if errors else []})

    @get("/schools/{school_id:int}/loans/bulk", opt=LOANS)
    async def bulk_form(self, caller: Caller, school_id: FromPath[int]) -> Template:
        school = await services.get_school(caller, school_id)
        today = services.today()
        return self._bulk_page(caller, school, rows=[], errors={}, values={
            "lent_on": today.isoformat(), "due_on": services.school_year_end(today).isoformat(), "class_name": ""})

    @post("/schools/{school_id:int}/loans/bulk", opt=LOANS_FORM, status_code=303)
    async def bulk(self, request: Request[Any, Any, Any], caller: Caller, school_id: FromPath[int]) -> Response[Any]:
        school = await services.get_school(caller, school_id)
        posted = await request.form()
        rows = BulkForm.rows(posted)
        terms = {k: posted.get(k, "") for k in ("class_name", "lent_on", "due_on")}
        terms["agreement_signed"] = posted.get("agreement_signed", "")
        outcome = await form_flow.attempt(request, lambda: services.bulk_lend(caller, school_id, rows, terms))
        if isinstance(outcome, form_flow.Refused):
            return self._bulk_page(caller, school, rows=rows, values=terms, status=outcome.status,
                                   errors=BulkForm.errors(outcome.errors))
        query = urlencode({"state": "open", "school_id": school_id, "class_name": terms["class_name"]})
        return Redirect(path=f"/loans?{query}", status_code=303)


# --- pages: SNMP profiles ------------------------------------------------------------------------


class SnmpProfilePages(Controller):
    include_in_schema = False

    @get("/snmp-profiles", name="snmp_profiles", opt=WRITE)
    async def profiles(self, caller: Caller, county_id: IdFilter = None) -> Template:
        rows, total = await services.list_snmp_profiles(caller, county_id=county_id, limit=500)
        return Template("inventory/snmp_profiles.html", context={**_base_context(caller), "profiles": rows,
                                                                 "total": total})

    async def _profile_form(self, request: Request[Any, Any, Any], caller: Scope, profile: dict[str, Any] | None,
                            values: Mapping[str, Any], errors: Mapping[str, str], general: Sequence[str],
                            status: int) -> Template:
        intro = gettext("Secrets are stored encrypted and never shown again. Leave a secret empty to keep it.")
        if profile is None:
            return _form_page(request, caller, title=gettext("New SNMP profile"), form=SNMP_PROFILE_FORM,
                              values=values, errors=errors, general=general, status=status, intro=intro,
                              options={"county_id": await _county_options(caller)}, action="/snmp-profiles/new",
                              back="/snmp-profiles")
        return _form_page(request, caller, title=gettext("Edit %(name)s", name=profile["name"]),
                          form=SNMP_PROFILE_FORM, values=values, errors=errors, general=general, status=status,
                          intro=intro, skip=("county_id",), action=f"/snmp-profiles/{profile['id']}/edit",
                          back="/snmp-profiles")

    @get("/snmp-profiles/new", opt=WRITE)
    async def new_profile(self, request: Request[Any, Any, Any], caller: Caller) -> Template:
        only = services.only_county(caller)
        return await self._profile_form(request, caller, None, {"version": "3", "auth_protocol": "SHA-256",
                                                                "priv_protocol": "AES", "county_id": str(only or "")},
                                        {}, (), 200)

    @post("/snmp-profiles/new", opt=WRITE_FORM, status_code=303)
    async def create_profile(self, request: Request[Any, Any, Any], caller: Caller) -> Response[Any]:
        render = functools.partial(self._profile_form, request, caller, None)

        return await _submit(request, SNMP_PROFILE_FORM, lambda data: services.create_snmp_profile(caller, data),
                             lambda row: "/snmp-profiles", render)

    @get("/snmp-profiles/{snmp_profile_id:int}/edit", opt=WRITE)
    async def edit_profile(self, request: Request[Any, Any, Any], caller: Caller,
                           snmp_profile_id: FromPath[int]) -> Template:
        profile = await services.get_snmp_profile(caller, snmp_profile_id)
        return await self._profile_form(request, caller, profile, forms.from_row(SNMP_PROFILE_FORM, profile), {},
                                        (), 200)

    @post("/snmp-profiles/{snmp_profile_id:int}/edit", opt=WRITE_FORM, status_code=303)
    async def update_profile(self, request: Request[Any, Any, Any], caller: Caller,
                             snmp_profile_id: FromPath[int]) -> Response[Any]:
        profile = await services.get_snmp_profile(caller, snmp_profile_id)

        render = functools.partial(self._profile_form, request, caller, profile)

        form = [f for f in SNMP_PROFILE_FORM if f.name != "county_id"]
        return await _submit(request, form, lambda data: services.update_snmp_profile(caller, snmp_profile_id, data),
                             lambda row: "/snmp-profiles", render)

    @post("/snmp-profiles/{snmp_profile_id:int}/delete", opt=WRITE, status_code=303)
    async def delete_profile(self, caller: Caller, snmp_profile_id: FromPath[int]) -> Redirect:
        await services.delete_snmp_profile(caller, snmp_profile_id)
        return Redirect(path="/snmp-profiles", status_code=303)


PAGE_HANDLERS: list[Any] = [SchoolPages, AssetPages, LoanPages, SnmpProfilePages, *DEVICE_LIST_PAGES]
