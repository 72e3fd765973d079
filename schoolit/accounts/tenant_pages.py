"""The admin pages for counties and support arrangements (their JSON API is in `schoolit.accounts.api`).
Thin: the rules are in `schoolit.accounts.tenants`.

Pages re-render the form with the errors next to the fields (422) or the refusal (409); success
redirects (303) back to the page with a message in the query string.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from schoolit import form_flow
from schoolit.accounts import fields, tenants
from schoolit.accounts.auth import Caller
from schoolit.accounts.choices import SHARE_RULE_LABELS, FederalState, ShareRule
from schoolit.accounts.scope import Scope
from schoolit.errors import Conflict, FieldError
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import N_
from schoolit.kernel.navigation import NavItem, register

MANAGE = requires(Permission.TENANTS_MANAGE)

register(NavItem("/admin/counties", N_("Counties"), Permission.TENANTS_MANAGE),
         NavItem("/admin/arrangements", N_("Support arrangements"), Permission.TENANTS_MANAGE))

AnyRequest = Request[Any, Any, Any]

# Messages a page shows after a redirect (?done=...): fixed ids, so nothing from the URL is echoed.
DONE = {
    "county-created": N_("County created. Import or create its schools next."),
    "county-saved": N_("County saved."),
    "county-retired": N_("County retired: its users and probes are disabled, its data is kept."),
    "arrangement-created": N_("Arrangement created. Add its other counties below."),
    "arrangement-saved": N_("Arrangement saved."),
    "member-added": N_("County added: the arrangement's supporters see it from now on."),
    "arrangement-dissolved": N_("Arrangement dissolved: its counties belong to no arrangement now."),
    "member-removed": N_("County removed: the arrangement's supporters no longer see it."),
}


def _shares_from_form(data: dict[str, str]) -> dict[int, str]:
    """The share fields of the arrangement form: `share_<county id>` → percentage."""
    return {int(key.removeprefix("share_")): value for key, value in data.items()
            if key.startswith("share_") and key.removeprefix("share_").isdigit()}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


class CountyForm(msgspec.Struct):
    field_labels: ClassVar[dict[str, str]] = fields.COUNTY
    name: str = ""
    slug: str = ""
    ags: str = ""
    seat: str = ""
    state: str = FederalState.RP.value


class NewArrangementForm(msgspec.Struct):
    name: str = ""
    slug: str = ""
    lead_county: str = ""
    share_rule: str = ShareRule.HOURS.value


class TenantPages(Controller):
    path = "/admin"
    include_in_schema = False

    async def _counties(self, caller: Scope, *, status_code: int = 200, done: str | None = None,
                        form: CountyForm | None = None, errors: dict[str, str] | None = None) -> Template:
        return Template("accounts/counties.html", status_code=status_code, context={
            "counties": await tenants.list_counties(caller), "states": list(FederalState),
            "form": form or CountyForm(), "errors": errors or {}, "done": DONE.get(done or "")})

    @get("/counties", name="admin_counties", opt=MANAGE)
    async def counties(self, caller: Caller, done: FromQuery[str | None] = None) -> Template:
        return await self._counties(caller, done=done)

    @post("/counties", opt=MANAGE, status_code=303)
    async def create_county(self, request: AnyRequest, caller: Caller,
                            data: URLEncodedBody[CountyForm]) -> Template | Redirect:
        outcome = await form_flow.attempt(request, lambda: tenants.create_county(caller, msgspec.structs.asdict(data)))
        if isinstance(outcome, form_flow.Refused):
            return await self._counties(caller, status_code=outcome.status, form=data, errors=outcome.errors)
        return Redirect(path=f"/admin/counties/{outcome.value['id']}?done=county-created", status_code=303)

    async def _county(self, caller: Scope, county_id: int, *, status_code: int = 200, done: str | None = None,
                      form: CountyForm | None = None, errors: dict[str, str] | None = None,
                      refusal: str | None = None) -> Template:
        county = await tenants.get_county(caller, county_id)
        listed = next(c for c in await tenants.list_counties(caller) if c["id"] == county_id)
        return Template("accounts/county.html", status_code=status_code, context={
            "county": listed, "states": list(FederalState), "errors": errors or {}, "refusal": refusal,
            "form": form or CountyForm(**{k: county[k] for k in ("name", "slug", "ags", "seat", "state")}),
            "done": DONE.get(done or "")})

    @get("/counties/{county_id:int}", opt=MANAGE)
    async def county(self, caller: Caller, county_id: FromPath[int], done: FromQuery[str | None] = None) -> Template:
        return await self._county(caller, county_id, done=done)

    @post("/counties/{county_id:int}", opt=MANAGE, status_code=303)
    async def save_county(self, request: AnyRequest, caller: Caller, county_id: FromPath[int],
                          data: URLEncodedBody[CountyForm]) -> Template | Redirect:
        outcome = await form_flow.attempt(request, lambda: tenants.update_county(
            caller, county_id, msgspec.structs.asdict(data)))
        if isinstance(outcome, form_flow.Refused):
            return await self._county(caller, county_id, status_code=outcome.status, form=data, errors=outcome.errors)
        return Redirect(path=f"/admin/counties/{county_id}?done=county-saved", status_code=303)

    @post("/counties/{county_id:int}/retire", opt=MANAGE, status_code=303)
    async def retire_county(self, request: AnyRequest, caller: Caller, county_id: FromPath[int]) -> Template | Redirect:
        outcome = await form_flow.attempt(request, lambda: tenants.retire_county(caller, county_id), conflict=True)
        if isinstance(outcome, form_flow.Refused):  # a button, no fields: the reasons on top
            return await self._county(caller, county_id, status_code=outcome.status,
                                      refusal=outcome.problem or "; ".join(outcome.errors.values()))
        return Redirect(path=f"/admin/counties/{county_id}?done=county-retired", status_code=303)

    async def _arrangements(self, caller: Scope, *, status_code: int = 200, done: str | None = None,
                            form: NewArrangementForm | None = None,
                            errors: dict[str, str] | None = None) -> Template:
        counties = await tenants.list_counties(caller)
        return Template("accounts/arrangements.html", status_code=status_code, context={
            "arrangements": await tenants.list_arrangements(caller), "rules": SHARE_RULE_LABELS,
            "free_counties": [c for c in counties if c["arrangement_id"] is None and c["retired_at"] is None],
            "form": form or NewArrangementForm(), "errors": errors or {}, "done": DONE.get(done or "")})

    @get("/arrangements", name="admin_arrangements", opt=MANAGE)
    async def arrangements(self, caller: Caller, done: FromQuery[str | None] = None) -> Template:
        return await self._arrangements(caller, done=done)

    @post("/arrangements", opt=MANAGE, status_code=303)
    async def create_arrangement(self, request: AnyRequest, caller: Caller,
                                 data: URLEncodedBody[NewArrangementForm]) -> Template | Redirect:
        outcome = await form_flow.attempt(request, lambda: tenants.create_arrangement(
            caller, name=data.name, slug=data.slug, lead_county_id=_int(data.lead_county), share_rule=data.share_rule))
        if isinstance(outcome, form_flow.Refused):
            return await self._arrangements(caller, status_code=outcome.status, form=data, errors=outcome.errors)
        return Redirect(path=f"/admin/arrangements/{outcome.value['id']}?done=arrangement-created", status_code=303)

    async def _arrangement(self, caller: Scope, arrangement_id: int, *, status_code: int = 200,
                           done: str | None = None, form: dict[str, str] | None = None,
                           errors: dict[str, str] | None = None, refusal: str | None = None) -> Template:
        arrangement = await tenants.get_arrangement(caller, arrangement_id)
        counties = await tenants.list_counties(caller)
        return Template("accounts/arrangement.html", status_code=status_code, context={
            "arrangement": arrangement, "rules": SHARE_RULE_LABELS, "form": form or {}, "errors": errors or {},
            "refusal": refusal,
            "free_counties": [c for c in counties if c["arrangement_id"] is None and c["retired_at"] is None],
            "done": DONE.get(done or "")})

    @get("/arrangements/{arrangement_id:int}", opt=MANAGE)
    async def arrangement(self, caller: Caller, arrangement_id: FromPath[int],
                          done: FromQuery[str | None] = None) -> Template:
        return await self._arrangement(caller, arrangement_id, done=done)

    @post("/arrangements/{arrangement_id:int}", opt=MANAGE, status_code=303)
    async def save_arrangement(self, request: AnyRequest, caller: Caller, arrangement_id: FromPath[int],
                               data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
        outcome = await form_flow.attempt(request, lambda: tenants.update_arrangement(
            caller, arrangement_id, name=data.get("name"), lead_county_id=_int(data.get("lead_county")),
            share_rule=data.get("share_rule"), shares=_shares_from_form(data)))
        if isinstance(outcome, form_flow.Refused):
            return await self._arrangement(caller, arrangement_id, status_code=outcome.status, form=data,
                                           errors=outcome.errors)
        return Redirect(path=f"/admin/arrangements/{arrangement_id}?done=arrangement-saved", status_code=303)

    @post("/arrangements/{arrangement_id:int}/members", opt=MANAGE, status_code=303)
    async def add_member(self, request: AnyRequest, caller: Caller, arrangement_id: FromPath[int],
                         data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
        county_id = _int(data.get("county"))
        shares = _shares_from_form(data)
        if county_id is not None and data.get("share"):
            shares[county_id] = data["share"]
        outcome = await form_flow.attempt(
            request, lambda: tenants.add_member(caller, arrangement_id, county_id or 0, shares or None),
            found=[FieldError("county", tenants.REQUIRED)] if county_id is None else [])
        if isinstance(outcome, form_flow.Refused):
            return await self._arrangement(caller, arrangement_id, status_code=outcome.status, form=data,
                                           errors=outcome.errors)
        return Redirect(path=f"/admin/arrangements/{arrangement_id}?done=member-added", status_code=303)

    @post("/arrangements/{arrangement_id:int}/members/{county_id:int}/remove", opt=MANAGE, status_code=303)
    async def remove_member(self, request: AnyRequest, caller: Caller, arrangement_id: FromPath[int],
                            county_id: FromPath[int]) -> Template | Redirect:
        outcome = await form_flow.attempt(request, lambda: tenants.remove_member(caller, arrangement_id, county_id))
        if isinstance(outcome, form_flow.Refused):
            return await self._arrangement(caller, arrangement_id, status_code=outcome.status, errors=outcome.errors)
        return Redirect(path=f"/admin/arrangements/{arrangement_id}?done=member-removed", status_code=303)

    @post("/arrangements/{arrangement_id:int}/dissolve", opt=MANAGE, status_code=303)
    async def dissolve_arrangement(self, caller: Caller, arrangement_id: FromPath[int]) -> Template | Redirect:
        try:
            await tenants.dissolve_arrangement(caller, arrangement_id)
        except Conflict as exc:
            return await self._arrangement(caller, arrangement_id, status_code=409, refusal=exc.shown())
        return Redirect(path="/admin/arrangements?done=arrangement-dissolved", status_code=303)
