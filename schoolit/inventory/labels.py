"""Asset labels: A4 label sheets of common Avery Zweckform formats, each label a QR code of the asset's scan
address with its asset tag (or serial number) and school.

The scan address (`/scan/devices/<id>`, `/scan/access-points/<id>`) is what a phone opens: the asset's
page, or, for a school contact, the form that lends the device or records its return. The sheet is
print-ready HTML: every label is placed in millimetres from the sheet's top left corner, as the format's
data sheet gives it, so printing at 100 % puts each label on its die-cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import segno

from schoolit.accounts.scope import Scope
from schoolit.errors import FieldError, ValidationFailed
from schoolit.inventory import services
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.settings import get_settings


@dataclass(frozen=True)
class LabelFormat:
    """One A4 sheet of die-cut labels (millimetres; `pitch_x`/`pitch_y`: from one label's corner to its
    neighbour's). The grid sits in the middle of the sheet, as on these sheets."""

    code: str
    name: str
    width: float
    height: float
    columns: int
    rows: int
    pitch_x: float
    pitch_y: float

    @property
    def left(self) -> float:
        return round((210 - (self.columns - 1) * self.pitch_x - self.width) / 2, 2)

    @property
    def top(self) -> float:
        return round((297 - (self.rows - 1) * self.pitch_y - self.height) / 2, 2)

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    def position(self, index: int) -> tuple[float, float]:
        """The top left corner (x, y) of label `index` (0-based, row by row) on its sheet."""
        row, column = divmod(index % self.per_sheet, self.columns)
        return round(self.left + column * self.pitch_x, 2), round(self.top + row * self.pitch_y, 2)

    @property
    def qr_size(self) -> float:
        """The QR code's edge: the label's height less a small margin, at most half its width."""
        return round(min(self.height - 3, self.width / 2), 1)


# Avery Zweckform A4 sheets: label size, columns × rows and pitch as the manufacturer gives them.
FORMATS: dict[str, LabelFormat] = {f.code: f for f in (
    LabelFormat("3475", "Zweckform 3475 (70 × 36 mm, 24)", 70, 36, 3, 8, 70, 36),
    LabelFormat("L4736", "Zweckform L4736REV (45,7 × 21,2 mm, 48)", 45.7, 21.2, 4, 12, 48.3, 21.2),
    LabelFormat("3666", "Zweckform 3666 (38 × 21,2 mm, 65)", 38, 21.2, 5, 13, 40.6, 21.2),
)}
DEFAULT_FORMAT = "3475"
# The label sheet's options as its form names them (a sheet's `format` and `kind` are no file format
# and no device kind).
FIELD_LABELS = {"format": N_("Label format"), "skip": N_("Labels already used on the first sheet"),
                "kind": N_("Labels for")}
UNKNOWN_FORMAT = N_("not a label format offered here")
UNKNOWN_KIND = N_("devices or access points")
BAD_SKIP = N_("a whole number below the number of labels on a sheet")
KINDS = {"devices": "device", "access-points": "access_point"}
MAX_LABELS = 2000  # one school's assets; more is a mistake in the filter


def scan_url(kind: str, asset_id: int) -> str:
    """The address a label's QR code holds (`kind`: "devices" or "access-points")."""
    return f"{get_settings().public_url}/scan/{kind}/{asset_id}"


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG (error correction M: readable with a scratch), sized by CSS."""
    return segno.make(url, error="m", micro=False).svg_inline(scale=1, border=2, omitsize=True)


def label_format(code: str | None) -> LabelFormat:
    found = FORMATS.get((code or DEFAULT_FORMAT).strip())
    if found is None:
        raise ValidationFailed([FieldError("format", UNKNOWN_FORMAT)], labels=FIELD_LABELS)
    return found


def skip_count(raw: str | None, fmt: LabelFormat) -> int:
    """How many labels of the first sheet are used already (a sheet printed before)."""
    text = (raw or "").strip() or "0"
    if not text.isdigit() or int(text) >= fmt.per_sheet:
        raise ValidationFailed([FieldError("skip", BAD_SKIP)], labels=FIELD_LABELS)
    return int(text)


@dataclass(frozen=True)
class Label:
    kind: str
    id: int
    url: str
    svg: str
    tag: str  # the asset tag, else the serial number
    serial: str
    title: str
    school: str
    x: float
    y: float


async def school_labels(scope: Scope, school_id: int, *, kind: str, fmt: LabelFormat, skip: int = 0,
                        ids: Sequence[int] = ()) -> tuple[dict[str, Any], list[list[Label]]]:
    """The labels of a school's devices or access points (all active ones, or those in `ids`), on sheets."""
    scope.require(Permission.INVENTORY_READ)
    school = await services.get_school(scope, school_id)
    if kind == "devices":
        rows, _ = await services.list_devices(scope, school_id=school_id, sort="serial", limit=MAX_LABELS)
        rows = [r for r in rows if r["status"] != "retired"]
    else:
        rows, _ = await services.list_access_points(scope, school_id=school_id, sort="name", limit=MAX_LABELS)
        rows = [r for r in rows if r["status"] != "retired"]
    if ids:
        wanted = set(ids)
        rows = [r for r in rows if r["id"] in wanted]
    labels: list[Label] = []
    for index, row in enumerate(rows, start=skip):
        url = scan_url(kind, row["id"])
        x, y = fmt.position(index)
        title = row.get("name") or " ".join(p for p in (row.get("vendor"), row.get("model")) if p)
        labels.append(Label(kind=kind, id=row["id"], url=url, svg=qr_svg(url),
                            tag=row.get("asset_tag") or row["serial"], serial=row["serial"], title=title,
                            school=school["name"], x=x, y=y))
    sheets: list[list[Label]] = []
    for index, label in enumerate(labels, start=skip):
        if index == skip or index % fmt.per_sheet == 0:
            sheets.append([])
        sheets[-1].append(label)
    return school, sheets


async def scan_target(scope: Scope, kind: str, asset_id: int) -> str:
    """Where a scanned label leads: for a school contact (lends, does not edit the inventory) the form that
    lends a device in stock or records the return of a lent one; else the asset's page."""
    if kind == "access-points":
        await services.get_access_point(scope, asset_id)
        return f"/access-points/{asset_id}"
    device = await services.get_device(scope, asset_id)
    if scope.can(Permission.LOANS_WRITE) and not scope.can(Permission.INVENTORY_WRITE):
        if device["open_loan_id"] is not None:
            return f"/loans/{device['open_loan_id']}/return"
        if device["status"] == "stock":
            return f"/devices/{asset_id}/lend"
    return f"/devices/{asset_id}"
