"""MDM sync over HTTP (thin: read the upload, call `inventory.mdm.sync` with the caller's Scope, show it).

- `/mdm` ("MDM-Abgleich"): upload an export of Relution, Jamf School or Intune; the page shows the dry run —
  matched devices and what changes, devices the inventory lacks (each with a school to adopt it into),
  devices flagged as not seen for `MDM_SILENT_AFTER_DAYS` — and "Sync now" sends the same content again.
- `POST /api/v1/mdm-sync?dry_run=true|false&adopt=SERIAL=SCHOOL_ID` — body: the file (or a multipart form
  with one file); 200 with the report, 422 problem details with it when the file has errors.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar import get as get_route
from litestar.params import FromQuery
from litestar.response import Template

from schoolit.accounts.auth import Caller
from schoolit.errors import FieldError, ValidationFailed
from schoolit.inventory import mdm, services
from schoolit.inventory.import_controllers import file_refused, read_upload
from schoolit.inventory.import_pages import decode_text, posted_file
from schoolit.kernel import navigation
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import N_

ACCESS = requires(Permission.INVENTORY_WRITE)
MAX_UPLOAD = 10 * 1024 * 1024
BAD_ADOPT = N_("SERIAL=SCHOOL_ID, e.g. DMPXA1001=12")

navigation.register(navigation.NavItem("/mdm", N_("MDM sync"), Permission.INVENTORY_WRITE))


def _adoptions(pairs: list[str]) -> dict[str, int]:
    adopt: dict[str, int] = {}
    for pair in pairs:
        serial, _sep, school = pair.partition("=")
        if not serial.strip() or not school.strip().isdigit():
            raise ValidationFailed([FieldError("adopt", BAD_ADOPT)])
        adopt[serial.strip().upper()] = int(school)
    return adopt


class MdmApi(Controller):
    tags = ["import/export"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @post("/mdm-sync", opt=ACCESS, status_code=200, request_max_body_size=64 * 1024 * 1024,
          summary="Sync an MDM's device export",
          description="Body: an export of Relution, Jamf School or Microsoft Intune (CSV or JSON, told apart by its "
                      "headers or keys), or a multipart form with one file. Devices are matched by serial in the "
                      "caller's scope; `adopt=SERIAL=SCHOOL_ID` (repeatable) creates a device the inventory lacks. "
                      "All or nothing: with any error nothing is written (422). `dry_run=true` writes nothing.")
    async def sync(self, caller: Caller, request: Request[Any, Any, Any], dry_run: FromQuery[bool] = False,
                   adopt: FromQuery[list[str] | None] = None) -> Response[Any]:
        report = await mdm.sync(caller, await read_upload(request), dry_run=dry_run, adopt=_adoptions(adopt or []))
        if report.ok:
            return Response(content=report)
        return file_refused(report)


class MdmPages(Controller):
    path = "/mdm"
    include_in_schema = False

    @get_route("/", name="mdm", opt=ACCESS)
    async def form(self) -> Template:
        return Template("inventory/mdm.html", context={"report": None, "missing": None})

    @post("/", opt=ACCESS, status_code=200, request_max_body_size=MAX_UPLOAD + 64 * 1024)
    async def run(self, caller: Caller, request: Request[Any, Any, Any]) -> Template:
        """`action=check` (a dry run of the upload) or `action=commit` (the checked content, with adoptions)."""
        form = await request.form()
        data, text, commit = await posted_file(form)
        if not data:
            return Template("inventory/mdm.html", status_code=422,
                            context={"report": None, "missing": N_("Choose an export file.")})
        adopt = {key.removeprefix("adopt-"): int(value) for key, value in form.items()
                 if key.startswith("adopt-") and str(value).isdigit()} if commit else {}
        report = await mdm.sync(caller, data, dry_run=not commit, adopt=adopt)
        schools, _total = await services.list_schools(caller, limit=500, sort="name")
        return Template("inventory/mdm.html", status_code=200 if report.ok else 422, context={
            "report": report, "committed": commit and report.ok, "content": text or decode_text(data, report.encoding),
            "schools": [(s["id"], f"{s['name']} ({s['school_number']})") for s in schools], "adopt": adopt,
            "missing": None})
