"""Pages of asset labels: a school's label sheet (`/schools/<id>/labels`) and the scan address a label's QR
code holds (`/scan/devices/<id>`, `/scan/access-points/<id>`), which sends the phone on to the asset or, for
a school contact, to the lend or return form. Thin: `schoolit.inventory.labels` does the work."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from schoolit.accounts.auth import Caller
from schoolit.errors import FieldError, ValidationFailed
from schoolit.inventory import labels, services
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import gettext

READ = requires(Permission.INVENTORY_READ)
Text = FromQuery[str | None]
Format = Annotated[str | None, QueryParameter(name="format")]  # `format` is a builtin
FIELD_LABELS = labels.FIELD_LABELS


class LabelPages(Controller):
    include_in_schema = False

    @get("/schools/{school_id:int}/labels", opt=READ)
    async def sheet(self, caller: Caller, school_id: FromPath[int], kind: Text = None, format_: Format = None,
                    skip: Text = None, ids: Text = None) -> Template:
        """The sheet to print; a bad choice shows the form again with the field's label and message (422)."""
        chosen = {"kind": kind or "devices", "format": format_ or labels.DEFAULT_FORMAT, "skip": skip or "0"}
        errors: dict[str, str] = {}
        school: dict[str, Any] | None = None
        sheets: list[list[labels.Label]] = []
        fmt = labels.FORMATS[labels.DEFAULT_FORMAT]
        try:
            if chosen["kind"] not in labels.KINDS:
                raise ValidationFailed([FieldError("kind", labels.UNKNOWN_KIND)], labels=FIELD_LABELS)
            fmt = labels.label_format(chosen["format"])
            count = labels.skip_count(chosen["skip"], fmt)
            wanted = [int(i) for i in (ids or "").split(",") if i.strip().isdigit()]
            school, sheets = await labels.school_labels(caller, school_id, kind=chosen["kind"], fmt=fmt, skip=count,
                                                        ids=wanted)
        except ValidationFailed as exc:
            errors = {e.field: gettext("%(label)s: %(reason)s", label=gettext(FIELD_LABELS[e.field]),
                                       reason=gettext(e.message)) for e in exc.errors}
        if school is None:
            school = await services.get_school(caller, school_id)
        return Template("inventory/labels.html", status_code=422 if errors else 200, context={
            "school": school, "sheets": sheets, "fmt": fmt, "formats": list(labels.FORMATS.values()),
            "chosen": chosen, "errors": errors, "field_labels": FIELD_LABELS,
            "count": sum(len(sheet) for sheet in sheets)})

    @get("/scan/devices/{device_id:int}", opt=READ)
    async def scan_device(self, caller: Caller, device_id: FromPath[int]) -> Redirect:
        return Redirect(path=await labels.scan_target(caller, "devices", device_id), status_code=303)

    @get("/scan/access-points/{access_point_id:int}", opt=READ)
    async def scan_access_point(self, caller: Caller, access_point_id: FromPath[int]) -> Redirect:
        return Redirect(path=await labels.scan_target(caller, "access-points", access_point_id), status_code=303)
