"""Page and CSV files of warranty and replacement (`/warranty`, `/warranty.csv?list=ending|repair|plan`).
Thin: `schoolit.inventory.warranty` does the work."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Response, get
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template

from schoolit.accounts.auth import Caller
from schoolit.accounts.choices import IT_STAFF_AND_AUTHORITY
from schoolit.errors import ValidationFailed
from schoolit.inventory import warranty
from schoolit.inventory.choices import DEVICE_KIND_LABELS
from schoolit.kernel import navigation
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import N_, gettext
from schoolit.replica import READ_ONLY

READ = requires(Permission.INVENTORY_READ)
Text = FromQuery[str | None]
Which = Annotated[Literal["ending", "repair", "plan"], QueryParameter(name="list")]  # `list` is a builtin
DAYS_LABEL = N_("Warranty ending within (days)")
LIST_LABELS = {"ending": N_("Warranty ending"), "repair": N_("Out of warranty, in repair"),
               "plan": N_("Replacement plan")}

navigation.register(navigation.NavItem("/warranty", N_("Warranty"), Permission.INVENTORY_READ, IT_STAFF_AND_AUTHORITY))


def _label(labels: Any, value: str) -> str:
    found = labels.get(value)
    return gettext(found) if found else value


def kind_label(kind: str) -> str:
    return _label(DEVICE_KIND_LABELS, kind)


class WarrantyPages(Controller):
    include_in_schema = False

    @get("/warranty", opt={**READ, **READ_ONLY})
    async def page(self, caller: Caller, days: Text = None) -> Template:
        """The three lists; a bad number of days shows the form with the field's label and message (422)."""
        error = ""
        try:
            horizon = warranty.days_ahead(days)
        except ValidationFailed as exc:
            error = gettext("%(label)s: %(reason)s", label=gettext(DAYS_LABEL), reason=gettext(exc.errors[0].message))
            horizon = 90
        context: dict[str, Any] = {
            "days": days if error else horizon, "error": error, "days_label": DAYS_LABEL, "lists": LIST_LABELS,
            "can_export": caller.can(Permission.EXPORT),
            "status_label": warranty.status_label, "vendor_label": warranty.vendor_label, "kind_label": kind_label,
            "lifetime": warranty.LIFETIME_YEARS,
            "ending": [] if error else await warranty.warranty_ending(caller, horizon, limit=warranty.SHOWN),
            "repair": [] if error else await warranty.out_of_warranty_in_repair(caller, limit=warranty.SHOWN),
            "plan": [] if error else await warranty.replacement_plan(caller),
        }
        return Template("inventory/warranty.html", context=context, status_code=422 if error else 200)

    @get("/warranty.csv", opt={**requires(Permission.EXPORT), **READ_ONLY})
    async def csv_file(self, caller: Caller, which: Which = "ending",
                  days: Text = None, lang: FromQuery[Literal["de", "en"]] = "de") -> Response[bytes]:
        content = await warranty.list_csv(caller, which, warranty.days_ahead(days), lang)
        return Response(content=content, media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="garantie-{which}.csv"'})
