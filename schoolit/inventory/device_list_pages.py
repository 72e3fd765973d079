"""The device list across schools (`/devices`): the device description's filters (an empty choice means
"all"), search by serial, asset tag or MAC, the shared list view (`schoolit.lists`: sortable columns, a
pager with the total, the CSV of exactly the filtered list in the shown columns and order), and the bulk
status change of the devices ticked in it. The class return of loans (`/loans/return`): a school's class's
open loans returned with one day and one condition note. Thin: `services.list_devices`,
`set_device_status`, `list_loans` and `return_loans` do the work, with the caller's Scope."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from schoolit import form_flow, lists
from schoolit.accounts import services as accounts
from schoolit.accounts.auth import Caller
from schoolit.accounts.scope import Scope
from schoolit.describe import forms
from schoolit.errors import FieldError, ValidationFailed
from schoolit.inventory import services
from schoolit.inventory.choices import DEVICE_KIND_LABELS, DEVICE_STATUS_LABELS
from schoolit.inventory.http import LOANS, READ, WRITE, Filters, Text, list_filters
from schoolit.inventory.resources.device import BULK_STATUSES, DEVICES
from schoolit.inventory.resources.loan import RETURN_FORM
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, gettext
from schoolit.kernel.times import day_text
from schoolit.truth import yes_no

PAGE_SIZE = 50


def _choice(labels: Mapping[Any, str], value: Any) -> str:
    for key, label in labels.items():
        if getattr(key, "value", key) == value:
            return gettext(label)
    return "" if value is None else str(value)


# The device list's table and CSV columns (the shared list view); the sort keys are the device description's.
COLUMNS = lists.check_sorts((
    lists.Column(N_("Serial number"), "serial", lists.key("serial")),
    lists.Column(N_("Asset tag"), "asset_tag", lambda d: d["asset_tag"] or ""),
    lists.Column(N_("Kind"), "kind", lambda d: _choice(DEVICE_KIND_LABELS, d["kind"])),
    lists.Column(N_("Vendor"), "vendor", lists.key("vendor")),
    lists.Column(N_("Model"), "model", lists.key("model")),
    lists.Column(N_("School"), "school", lists.key("school_name")),
    lists.Column(N_("Status"), "status", lambda d: _choice(DEVICE_STATUS_LABELS, d["status"])),
    lists.Column(N_("Warranty end"), "warranty_end", lambda d: day_text(d["warranty_end"], "")),
    lists.Column(N_("Enrolled in the MDM"), None, lambda d: yes_no(d["mdm_enrolled"])),
), DEVICES.sorts)
TICK = lists.Column(N_("Ticked"), hidden_label=True)  # the bulk action's tick boxes (writers only), not in the CSV


def _bulk_query(text: str) -> dict[str, str]:
    """A list's query string posted back by the bulk form (only the list's own parameters)."""
    allowed = {*DEVICES.filters, "q", *lists.OWN}
    return {k: v for k, v in parse_qsl(text) if k in allowed and k != "format" and v}


class DeviceListPages(Controller):
    include_in_schema = False

    async def _page(self, caller: Scope, query: Mapping[str, Any], *, status: int = 200,
                    errors: Sequence[str] = (), ticked: Sequence[int] = (), bulk_status: str = "",
                    changed: int | None = None) -> Response[Any]:
        """The list as `query` asks (filters, search, sort, page; `format=csv`: the CSV of every row). A
        filter or list parameter it does not take is shown next to its field (422)."""
        filters = {name: query.get(name) for name in DEVICES.filters}
        filter_errors: dict[str, str] = {}
        rows: list[dict[str, Any]] = []
        total = 0
        try:
            wanted = lists.params(query, default_sort=DEVICES.default_sort, sorts=DEVICES.sorts,
                                  default_limit=PAGE_SIZE)
        except ValidationFailed as exc:
            filter_errors.update({e.field: gettext(e.message) for e in exc.errors})
            wanted = lists.params({}, default_sort=DEVICES.default_sort, sorts=DEVICES.sorts, default_limit=PAGE_SIZE)
        if not filter_errors:
            try:
                rows, total = await services.list_devices(caller, q=query.get("q"), sort=wanted.sort,
                                                          limit=wanted.fetch_limit, offset=wanted.fetch_offset,
                                                          filters=filters)
            except ValidationFailed as exc:  # a filter's value it does not take: the form says which
                filter_errors.update({e.field: gettext(e.message) for e in exc.errors})
        # The bulk status form and its tick boxes: for writers, and only over devices to tick.
        bulk = caller.can(Permission.INVENTORY_WRITE) and bool(rows)
        view = lists.view("/devices", query, (TICK, *COLUMNS) if bulk else COLUMNS, wanted, total=total,
                          shown=len(rows), default_sort=DEVICES.default_sort, default_limit=PAGE_SIZE,
                          drop=("changed",))
        if wanted.csv and not filter_errors:
            return lists.csv_response(view, rows, "geraete.csv")
        counties = await accounts.list_counties(caller)
        schools, _ = await services.list_schools(caller, limit=500, sort="name")
        return Template("inventory/devices.html", status_code=422 if filter_errors else status, context={
            "devices": rows, "view": view, "query": {k: str(v) for k, v in query.items()},
            "sorts": [(gettext(c.label), c.sort) for c in COLUMNS if c.sort],
            "cells": [[c.csv(d) for c in COLUMNS if c.csv is not None] for d in rows],
            "filters": DEVICES.inputs({
                "county_id": [(str(c["id"]), c["name"]) for c in counties],
                "school_id": [(str(s["id"]), f"{s['name']} ({s['school_number']})") for s in schools]}),
            "bulk_statuses": [(s.value, gettext(DEVICE_STATUS_LABELS[s])) for s in BULK_STATUSES],
            "filter_errors": filter_errors, "errors": errors, "ticked": set(ticked), "bulk_status": bulk_status,
            "changed": changed, "bulk": bulk,
            "back": view.url().partition("?")[2],
        })

    @get("/devices", name="devices", opt=READ, dependencies={"filters": list_filters(DEVICES)})
    async def devices(self, request: Request[Any, Any, Any], caller: Caller, filters: Filters,
                      changed: Text = None) -> Response[Any]:
        """`filters` declares the description's filters as query parameters (API description, input
        limits); the page reads them, with the list's own parameters, from the query string."""
        done = int(changed) if changed and changed.isdigit() else None
        return await self._page(caller, request.query_params, changed=done)

    @post("/devices/status", opt=WRITE, status_code=303)
    async def set_status(self, caller: Caller, request: Request[Any, Any, Any]) -> Response[Any]:
        """The ticked devices (`ids`) get `status`: all of them, or — with the devices that block it named —
        none, and the list comes back with the ticks kept (422)."""
        form = await request.form()
        ids = [int(value) for value in form.getall("ids", []) if str(value).isdigit()]
        status = str(form.get("status") or "")
        query = _bulk_query(str(form.get("query") or ""))
        outcome = await form_flow.attempt(request, lambda: services.set_device_status(caller, ids, status))
        if isinstance(outcome, form_flow.Refused):  # every device that blocks it, named on top
            return await self._page(caller, query, status=outcome.status, ticked=ids, bulk_status=status,
                                    errors=[e.message for e in outcome.found])
        return Redirect(path="/devices?" + urlencode({**query, "changed": len(outcome.value)}), status_code=303)


# --- the class return of loans -------------------------------------------------------------------



NOTHING_TICKED = N_("Nothing was recorded: tick the devices that came back.")
TICKED_LOANS = N_("Ticked devices")


class ClassReturnPages(Controller):
    include_in_schema = False

    async def _page(self, caller: Scope, school_id: str, class_name: str, *, values: Mapping[str, Any],
                    errors: Mapping[str, str] | None = None, ticked: Sequence[int] | None = None,
                    status: int = 200) -> Template:
        schools, _ = await services.list_schools(caller, limit=500, sort="name")
        school = school_id if school_id.isdigit() else (str(schools[0]["id"]) if len(schools) == 1 else "")
        loans: list[dict[str, Any]] = []
        if school and class_name:
            loans, _ = await services.list_loans(caller, state="open", school_id=school, class_name=class_name,
                                                 sort="serial", limit=200)
        errors = dict(errors or {})
        ticked_ids = set(ticked or ())
        # A refused return marks the ticked rows that block it, each with its reason, and the summary leads to the
        # first of them (the loans returned meanwhile are no longer listed: the summary names them).
        day = services.class_return_day(values) if "ids" in errors else None
        blocked = {} if day is None else {
            loan["id"]: reason for loan in loans
            if loan["id"] in ticked_ids and (reason := services.return_blocked_by(loan, day))}
        return Template("inventory/class_return.html", status_code=status, context={
            "schools": [(str(s["id"]), f"{s['name']} ({s['school_number']})") for s in schools],
            "school_id": school, "class_name": class_name, "loans": loans,
            # Nothing ticked until the teacher ticks it: a box ticked in advance records a device returned
            # that is still out.
            "ticked": ticked_ids, "blocked": blocked,
            "fields": forms.fields(RETURN_FORM, values, errors, None),
            # A refusal opens with its summary: the whole form's (nothing ticked, the loans that block it) first,
            # linked to the first row that blocks it when one is listed.
            "problems": form_flow.form_summary({**({"ids": TICKED_LOANS} if blocked else {}),
                                                **{f.name: f.label for f in RETURN_FORM}}, errors),
            "first_blocked": next(iter(blocked), None),
        })

    @get("/loans/return", opt=LOANS)
    async def form(self, caller: Caller, school_id: Text = None, class_name: Text = None) -> Template:
        return await self._page(caller, (school_id or "").strip(), (class_name or "").strip(), values={
            "returned_on": services.today().isoformat(), "device_status": "stock"})

    @post("/loans/return", opt=LOANS, status_code=303)
    async def return_class(self, caller: Caller, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        ids = [int(value) for value in form.getall("ids", []) if str(value).isdigit()]
        school_id, class_name = str(form.get("school_id") or ""), str(form.get("class_name") or "")
        data = forms.from_form(RETURN_FORM, form)
        values = {f.name: form.get(f.name, "") for f in RETURN_FORM}
        outcome = await form_flow.attempt(request, lambda: services.return_loans(caller, ids, data),
                                          found=[] if ids else [FieldError("ids", NOTHING_TICKED)])
        if isinstance(outcome, form_flow.Refused):
            return await self._page(caller, school_id, class_name, ticked=ids, status=outcome.status, values=values,
                                    errors=outcome.errors)
        query = urlencode({"state": "returned", "school_id": school_id, "class_name": class_name})
        return Redirect(path=f"/loans?{query}", status_code=303)


PAGE_HANDLERS: list[Any] = [DeviceListPages, ClassReturnPages]
