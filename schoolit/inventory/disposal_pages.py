"""Pages of disposal (Aussonderung): the request form on the page of a device or an access point
(`POST /devices/{id}/disposal`, `POST /access-points/{id}/disposal`, multipart with the data-wipe certificate),
the list `/disposals` (awaiting approval, decided; CSV), approve or reject with a note, the certificate's
download. Thin: `schoolit.inventory.disposals` does the work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from schoolit import form_flow, uploads
from schoolit.accounts.auth import Caller
from schoolit.accounts.scope import Scope
from schoolit.errors import Forbidden
from schoolit.inventory import disposals
from schoolit.inventory.choices import DISPOSAL_STATE_LABELS, DisposalState
from schoolit.inventory.exporting import OBJECT_LABELS
from schoolit.inventory.http import READ, WRITE_FORM
from schoolit.inventory.pages import access_point_context, base_context, device_context
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.form_limits import at_fields
from schoolit.kernel.i18n import N_, gettext
from schoolit.replica import READ_ONLY

# Each form's problems are shown on its page (the column limits' too, `at_fields`), not on the error page.
DECIDE = at_fields(requires(Permission.DISPOSALS_DECIDE))
State = Annotated[str | None, QueryParameter(name="state")]
DONE = {"approved-device": N_("Disposal approved: the device is disposed of."),
        "approved-access_point": N_("Disposal approved: the access point is disposed of."),
        "rejected": N_("Disposal rejected."), "requested": N_("Disposal requested: it awaits approval.")}
FIELD_LABELS = disposals.FIELD_LABELS
# The page of each kind of asset, which shows its disposals and the request form: its context (with the
# form's state), template and address.
ASSET_PAGES: dict[str, tuple[Callable[..., Awaitable[dict[str, Any]]], str, str]] = {
    "device": (device_context, "inventory/device.html", "/devices/{}"),
    "access_point": (access_point_context, "inventory/access_point.html", "/access-points/{}"),
}


async def _form_value(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _list_context(caller: Scope, state: str | None, **extra: Any) -> dict[str, Any]:
    wanted = state if state in disposals.STATES else None
    rows = [{**row, "asset_text": disposals.asset_text(row), "asset_label": gettext(OBJECT_LABELS[row["asset_kind"]]),
             "asset_url": ASSET_PAGES[row["asset_kind"]][2].format(row["asset_id"])}
            for row in await disposals.list_disposals(caller, state=wanted)]
    return {
        **base_context(caller),
        "pending": [r for r in rows if r["state"] == DisposalState.PENDING.value],
        "decided": [r for r in rows if r["state"] != DisposalState.PENDING.value],
        "state": wanted or "", "states": [(s.value, gettext(DISPOSAL_STATE_LABELS[s])) for s in DisposalState],
        "can_decide": caller.can(Permission.DISPOSALS_DECIDE), "can_export": caller.can(Permission.EXPORT),
        "me": caller.actor.user_id, "done": "", "problems": [], "error_id": None, "note": "",
        "note_length": disposals.NOTE_LENGTH, **extra,
    }


async def _request(caller: Scope, request: Request[Any, Any, Any], kind: str, asset_id: int) -> Response[Any]:
    """Redirects to the asset's page; a refusal shows the page again with the form opened in its disposal
    section, the summary on top, each reason at its field (422) or what blocks it (409)."""
    context_of, template, url = ASSET_PAGES[kind]
    form = await request.form()
    reason, note = await _form_value(form, "reason"), await _form_value(form, "note")
    upload = form.get("certificate")
    filename, content = "", b""
    if isinstance(upload, UploadFile):
        filename, content = upload.filename or "datei", await upload.read()
    outcome = await form_flow.attempt(request, lambda: disposals.request_disposal(
        caller, kind, asset_id, {"reason": reason, "note": note}, filename, content), conflict=True)
    if isinstance(outcome, form_flow.Refused):
        context = await context_of(caller, asset_id, reason=reason, note=note, errors=outcome.errors,
                                   problems=outcome.summary(FIELD_LABELS))
        return Template(template, context=context, status_code=outcome.status)
    return Redirect(path=url.format(asset_id) + "?done=disposal-requested#disposal", status_code=303)


class DisposalPages(Controller):
    include_in_schema = False

    @post("/devices/{device_id:int}/disposal", opt=WRITE_FORM, status_code=303,
          request_max_body_size=uploads.UPLOAD_LIMIT)
    async def request_device_disposal(self, caller: Caller, request: Request[Any, Any, Any],
                                      device_id: FromPath[int]) -> Response[Any]:
        return await _request(caller, request, "device", device_id)

    @post("/access-points/{access_point_id:int}/disposal", opt=WRITE_FORM, status_code=303,
          request_max_body_size=uploads.UPLOAD_LIMIT)
    async def request_access_point_disposal(self, caller: Caller, request: Request[Any, Any, Any],
                                            access_point_id: FromPath[int]) -> Response[Any]:
        return await _request(caller, request, "access_point", access_point_id)

    @get("/disposals", opt={**READ, **READ_ONLY})
    async def list_page(self, caller: Caller, disposal_state: State = None,
                        done: FromQuery[str | None] = None) -> Template:
        context = await _list_context(caller, disposal_state, done=DONE.get(done or "", ""))
        return Template("inventory/disposals.html", context=context)

    @get("/disposals.csv", opt={**requires(Permission.EXPORT), **READ_ONLY})
    async def csv_file(self, caller: Caller, disposal_state: State = None,
                       lang: FromQuery[Literal["de", "en"]] = "de") -> Response[bytes]:
        wanted = disposal_state if disposal_state in disposals.STATES else None
        content = await disposals.disposals_csv(caller, wanted, lang)
        return Response(content=content, media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="aussonderungen.csv"'})

    @post("/disposals/{disposal_id:int}/approve", opt=DECIDE, status_code=303)
    async def approve(self, caller: Caller, request: Request[Any, Any, Any],
                      disposal_id: FromPath[int]) -> Response[Any]:
        return await self._decide(caller, request, disposal_id, approve=True)

    @post("/disposals/{disposal_id:int}/reject", opt=DECIDE, status_code=303)
    async def reject(self, caller: Caller, request: Request[Any, Any, Any],
                     disposal_id: FromPath[int]) -> Response[Any]:
        return await self._decide(caller, request, disposal_id, approve=False)

    async def _decide(self, caller: Scope, request: Request[Any, Any, Any], disposal_id: int, *,
                      approve: bool) -> Response[Any]:
        """Back to the list; a refusal (a loan, an active access point, a note too long; four eyes) shows it again
        with the reason on top and the note as typed."""
        note = await _form_value(await request.form(), "note")
        try:
            outcome = await form_flow.attempt(request, lambda: disposals.decide_disposal(
                caller, disposal_id, approve, {"note": note}), conflict=True)
        except Forbidden as exc:  # four eyes: refused to this person, who is told so on the list like a conflict
            outcome = form_flow.Refused(problem=exc.shown(), status=exc.status_code)
        if isinstance(outcome, form_flow.Refused):
            context = await _list_context(caller, None, problems=outcome.summary(FIELD_LABELS), error_id=disposal_id,
                                          note=note)
            return Template("inventory/disposals.html", context=context, status_code=outcome.status)
        done = f"approved-{outcome.value['asset_kind']}" if approve else "rejected"
        return Redirect(path=f"/disposals?done={done}", status_code=303)

    @get("/disposals/{disposal_id:int}/certificate", opt=READ)
    async def certificate(self, caller: Caller, disposal_id: FromPath[int]) -> Response[bytes]:
        return uploads.download(*await disposals.certificate(caller, disposal_id))
