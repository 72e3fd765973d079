"""HTTP of the CSV import and export (thin: read the upload, call the service, shape the answer).

- `POST /api/v1/import/{kind}?dry_run=true|false` — body: the CSV file (`text/csv`, or any other
  type, as is) or a multipart form with one file. 200 with the report when the import ran or was a
  dry run; 422 problem details with the same report when rows have errors (nothing was written).
- `GET /api/v1/export/{kind}.csv?lang=de|en` (also without `.csv`) — the import format.
- `GET /api/v1/export/funding-proof.csv?county=SLUG&lang=de|en` — the DigitalPakt funding proof.
- `GET /api/v1/export/funding-proof-items.csv?county=SLUG&lang=de|en` — its items with their procurement data.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery

from schoolit.accounts.auth import Caller
from schoolit.inventory import exporting, importing, procurement
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import gettext as _
from schoolit.kernel.i18n import ngettext
from schoolit.replica import READ_ONLY
from schoolit.web.errors import PROBLEM_JSON

MAX_UPLOAD = 64 * 1024 * 1024  # 100,000 devices are about 15 MiB
Lang = FromQuery[Literal["de", "en"]]


async def read_upload(request: Request[Any, Any, Any]) -> bytes:
    """The uploaded file: the first file of a multipart form, otherwise the body as it came."""
    if request.content_type[0] == "multipart/form-data":
        form = await request.form()
        for value in form.values():
            if isinstance(value, UploadFile):
                return await value.read()
        return b""
    return await request.body()


def file_refused(report: Any) -> Response[Any]:
    """422 for a file with errors (an import's or an MDM sync's report): problem details with the report,
    each error with its `field` and `message`; the row and column say where in the file."""
    body = {"type": "about:blank", "title": _("Invalid input"), "status": 422,
            "detail": ngettext("%(num)s error in the file; nothing was imported",
                               "%(num)s errors in the file; nothing was imported", len(report.errors)),
            **msgspec.to_builtins(report)}
    body["errors"] = [{"field": e["column"], **e} for e in body["errors"]]
    return Response(content=body, status_code=422, media_type=PROBLEM_JSON)


def _csv(content: bytes, filename: str) -> Response[bytes]:
    return Response(content=content, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


class ImportExportApi(Controller):
    """`/api/v1/import/…` and `/api/v1/export/…`: inventory as CSV, both ways."""

    tags = ["import/export"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @post("/import/{kind:str}", opt=requires(Permission.INVENTORY_WRITE), status_code=200,
          request_max_body_size=MAX_UPLOAD, summary="Import a CSV file",
          description="Kinds: schools, rooms, access-points, uplinks, devices, wlan-controllers. Body: the CSV file "
                      "(text/csv) or a multipart form with one file. UTF-8 (with or without BOM) or Windows-1252, "
                      "';' or ',', German or English headers (docs/import.md). Every row is checked first; with any "
                      "error nothing is written (422 with every error). `dry_run=true` reports what would happen "
                      "and writes nothing.")
    async def import_file(self, caller: Caller, request: Request[Any, Any, Any], kind: FromPath[str],
                          dry_run: FromQuery[bool] = False) -> Response[Any]:
        report = await importing.import_csv(caller, kind, await read_upload(request), dry_run=dry_run)
        if report.ok or report.dry_run:
            return Response(content=report)
        return file_refused(report)

    @get("/export/funding-proof.csv", opt={**requires(Permission.EXPORT), **READ_ONLY},
         summary="DigitalPakt funding proof (CSV)",
         description="Devices and access points per county and funding programme: count, first and last purchase "
                     "date, sum of prices, and how many lack a price. Without `county`, every county in scope.")
    async def funding_proof(self, caller: Caller, county: FromQuery[str | None] = None,
                            lang: Lang = "de") -> Response[bytes]:
        content = await exporting.funding_proof_csv(caller, county, lang)
        return _csv(content, f"foerdernachweis-{county}.csv" if county else "foerdernachweis.csv")

    @get("/export/funding-proof-items.csv", opt={**requires(Permission.EXPORT), **READ_ONLY},
         summary="DigitalPakt funding proof: the items (CSV)",
         description="Each device and access point (retired ones too) with funding programme, supplier, order and "
                     "invoice number, invoice and purchase date and price. Without `county`, every county in scope.")
    async def funding_proof_items(self, caller: Caller, county: FromQuery[str | None] = None,
                                  lang: Lang = "de") -> Response[bytes]:
        content = await procurement.funding_proof_items_csv(caller, county, lang)
        return _csv(content, f"foerdernachweis-einzeln-{county}.csv" if county else "foerdernachweis-einzeln.csv")

    @get("/export/{kind:str}", opt={**requires(Permission.EXPORT), **READ_ONLY}, summary="Export as CSV",
         description="`/export/devices.csv` (kinds as for the import): everything in the caller's scope in the "
                     "import format — German headers, ';', UTF-8 with BOM; `lang=en` for English headers.")
    async def export(self, caller: Caller, kind: FromPath[str], lang: Lang = "de") -> Response[bytes]:
        content = await exporting.export_csv(caller, kind, lang)
        return _csv(content, f"{importing.kind_named(kind).name}.csv")
