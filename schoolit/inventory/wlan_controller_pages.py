"""HTTP layer of WLAN controllers: the API under /api/v1/wlan-controllers and the page /wlan-controllers.

Thin, like the other inventory controllers: parse, call `schoolit.inventory.wlan_controllers` with the
caller's Scope, shape the answer.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from schoolit.accounts import services as accounts
from schoolit.accounts.auth import Caller
from schoolit.accounts.choices import IT_STAFF
from schoolit.accounts.scope import Scope
from schoolit.describe import forms
from schoolit.inventory import services, wlan_controllers
from schoolit.inventory.choices import CONTROLLER_PROFILE_LABELS
from schoolit.inventory.http import READ, WRITE, WRITE_FORM, page_of
from schoolit.inventory.pages import _base_context, _county_options, _form_page, _school_options, _submit
from schoolit.inventory.resources.wlan_controller import WLAN_CONTROLLER
from schoolit.inventory.wlan_controller_schemas import WlanControllerIn, WlanControllerOut
from schoolit.kernel import navigation
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import N_, gettext
from schoolit.schemas import IdFilter, Limit, Offset, Page, given

Text = FromQuery[str | None]

navigation.register(
    navigation.NavItem("/wlan-controllers", N_("WLAN controllers"), Permission.INVENTORY_READ, IT_STAFF),
)

# The description's form, with the county a controller of no school belongs to.
FORM = (forms.Field("county_id", N_("County"), "select", required=True), *WLAN_CONTROLLER.form())


class WlanControllersApi(Controller):
    path = "/wlan-controllers"
    tags = ["inventory"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/", opt=READ, summary="List WLAN controllers")
    async def list_controllers(self, caller: Caller, county_id: IdFilter = None, school_id: IdFilter = None,
                               profile: Text = None, q: Text = None, sort: Text = None, limit: Limit = 50,
                               offset: Offset = 0) -> Page[WlanControllerOut]:
        rows, total = await wlan_controllers.list_wlan_controllers(
            caller, county_id=county_id, school_id=school_id, profile=profile, q=q, sort=sort, limit=limit,
            offset=offset)
        return page_of(rows, total, WlanControllerOut)

    @post("/", opt=WRITE, status_code=HTTP_201_CREATED, summary="Enter a WLAN controller (county or school)")
    async def create_controller(self, caller: Caller, data: JSONBody[WlanControllerIn]) -> WlanControllerOut:
        return msgspec.convert(await wlan_controllers.create_wlan_controller(caller, given(data)), WlanControllerOut)

    @get("/{controller_id:int}", opt=READ, summary="One WLAN controller")
    async def get_controller(self, caller: Caller, controller_id: FromPath[int]) -> WlanControllerOut:
        return msgspec.convert(await wlan_controllers.get_wlan_controller(caller, controller_id), WlanControllerOut)

    @patch("/{controller_id:int}", opt=WRITE, summary="Change a WLAN controller")
    async def update_controller(self, caller: Caller, controller_id: FromPath[int],
                                data: JSONBody[WlanControllerIn]) -> WlanControllerOut:
        row = await wlan_controllers.update_wlan_controller(caller, controller_id, given(data))
        return msgspec.convert(row, WlanControllerOut)

    @delete("/{controller_id:int}", opt=WRITE, status_code=HTTP_204_NO_CONTENT, summary="Delete a WLAN controller")
    async def delete_controller(self, caller: Caller, controller_id: FromPath[int]) -> None:
        await wlan_controllers.delete_wlan_controller(caller, controller_id)


async def _profile_options(caller: Scope) -> list[tuple[str, str]]:
    rows, _ = await services.list_snmp_profiles(caller, limit=500)
    return [(str(p["id"]), f"{p['name']} ({p['county_name']})") for p in rows]


class WlanControllerPages(Controller):
    include_in_schema = False

    @get("/wlan-controllers", name="wlan_controllers", opt=READ)
    async def controllers(self, caller: Caller, county_id: IdFilter = None) -> Template:
        rows, total = await wlan_controllers.list_wlan_controllers(caller, county_id=county_id, limit=500)
        counties = {c["id"]: c["name"] for c in await accounts.list_counties(caller)}
        labels = {profile.value: gettext(label) for profile, label in CONTROLLER_PROFILE_LABELS.items()}
        return Template("inventory/wlan_controllers.html", context={
            **_base_context(caller), "controllers": rows, "total": total, "counties": counties,
            "profile_labels": labels, "can_export": caller.can(Permission.EXPORT)})

    async def _form(self, request: Request[Any, Any, Any], caller: Scope, controller: dict[str, Any] | None,
                    values: Mapping[str, Any], errors: Mapping[str, str], general: Sequence[str],
                    status: int) -> Template:
        options = {"snmp_profile_id": await _profile_options(caller)}
        if controller is None:
            options |= {"county_id": await _county_options(caller), "school_id": await _school_options(caller)}
            return _form_page(request, caller, title=gettext("New WLAN controller"), form=FORM, values=values,
                              errors=errors, general=general, status=status, options=options,
                              action="/wlan-controllers/new", back="/wlan-controllers")
        return _form_page(request, caller, title=gettext("Edit %(name)s", name=controller["name"]), form=FORM,
                          values=values, errors=errors, general=general, status=status, options=options,
                          skip=("county_id", "school_id"), action=f"/wlan-controllers/{controller['id']}/edit",
                          back="/wlan-controllers", delete=f"/wlan-controllers/{controller['id']}/delete")

    @get("/wlan-controllers.csv", opt=requires(Permission.EXPORT))
    async def controllers_csv(self, caller: Caller, lang: Text = None) -> Response[bytes]:
        content = await wlan_controllers.wlan_controllers_csv(caller, "en" if lang == "en" else "de")
        return Response(content=content, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="wlan-controllers.csv"'})

    @get("/wlan-controllers/new", opt=WRITE)
    async def new_controller(self, request: Request[Any, Any, Any], caller: Caller) -> Template:
        only = services.only_county(caller)
        return await self._form(request, caller, None, {"county_id": str(only or ""), "snmp_port": "161"}, {}, (),
                                200)

    @post("/wlan-controllers/new", opt=WRITE_FORM, status_code=303)
    async def create_controller(self, request: Request[Any, Any, Any], caller: Caller) -> Response[Any]:
        render = functools.partial(self._form, request, caller, None)
        return await _submit(request, FORM, lambda data: wlan_controllers.create_wlan_controller(caller, data),
                             lambda row: "/wlan-controllers", render)

    @get("/wlan-controllers/{controller_id:int}/edit", opt=WRITE)
    async def edit_controller(self, request: Request[Any, Any, Any], caller: Caller,
                              controller_id: FromPath[int]) -> Template:
        controller = await wlan_controllers.get_wlan_controller(caller, controller_id)
        return await self._form(request, caller, controller, forms.from_row(FORM, controller), {}, (), 200)

    @post("/wlan-controllers/{controller_id:int}/edit", opt=WRITE_FORM, status_code=303)
    async def update_controller(self, request: Request[Any, Any, Any], caller: Caller,
                                controller_id: FromPath[int]) -> Response[Any]:
        controller = await wlan_controllers.get_wlan_controller(caller, controller_id)
        render = functools.partial(self._form, request, caller, controller)
        form = [f for f in FORM if f.name not in ("county_id", "school_id")]
        return await _submit(request, form,
                             lambda data: wlan_controllers.update_wlan_controller(caller, controller_id, data),
                             lambda row: "/wlan-controllers", render)

    @post("/wlan-controllers/{controller_id:int}/delete", opt=WRITE, status_code=303)
    async def delete_controller(self, caller: Caller, controller_id: FromPath[int]) -> Redirect:
        await wlan_controllers.delete_wlan_controller(caller, controller_id)
        return Redirect(path="/wlan-controllers", status_code=303)
