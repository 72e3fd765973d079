"""Disposal (Aussonderung, #22 item 4) of devices and access points, with four eyes.

A supporter (`INVENTORY_WRITE`) requests an asset's disposal with a reason (`DisposalReason`; "other" needs
a note) and the data-wipe certificate (Löschprotokoll: a PDF or image, under the upload rules of
`schoolit.uploads`): for a device the wipe of its storage, for an access point the record of its factory
reset, since it held the WLAN keys and RADIUS shared secrets. A person of the asset's county whose role may
decide (`DISPOSALS_DECIDE`: the school authority, admins) approves or rejects it with a note; never the one
who requested it. Approval sets the asset to `disposed` with the day and reason: it leaves every active list
(and an access point the coverage counts and the probes' targets) but keeps its page, its audit trail and
its line in the funding proof. One record (`disposal`) names its asset; what differs between the kinds is
said once, in `ASSETS`.

What blocks a disposal, at the request and again at the approval: for a device an open loan (return it
first); for an access point the status "active". An active access point hangs, the probes poll it and it
counts for its rooms' coverage: whoever takes it down sets it to "retired" (or it is "faulty" or only
"planned"), and only then is it disposed of. Approval does not retire it on the side: the approver decides
on an asset already out of service, and the monitoring never loses an access point that still hangs
through a click on the disposal list. "retired" stays what it was: out of use, waiting for its disposal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from schoolit import uploads
from schoolit.accounts import audit, directory
from schoolit.accounts.scope import Scope
from schoolit.csvwriter import write_csv
from schoolit.describe.csvformat import format_date
from schoolit.describe.inputs import Input
from schoolit.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from schoolit.inventory.choices import (
    DISPOSAL_REASON_LABELS,
    DISPOSAL_STATE_LABELS,
    VENDOR_LABELS,
    AccessPointStatus,
    DisposalReason,
    DisposalState,
    Vendor,
)
from schoolit.inventory.definitions import today
from schoolit.inventory.exporting import OBJECT_LABELS
from schoolit.inventory.resources.common import DISPOSED
from schoolit.inventory.services.access_points import get_access_point
from schoolit.inventory.services.devices import get_device
from schoolit.inventory.services.store import writing
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, current_locale, gettext
from schoolit.settings import get_settings
from schoolit.sql import Fragment, all_of, fetch, fragment

# A disposal's fields as its form names them (its `note` is the reason's note, not a ticket's work).
FIELD_LABELS = {"reason": N_("Reason"), "note": N_("Note"), "certificate": N_("Data-wipe certificate")}
NOTE_LENGTH = 2000
NOTE_FOR_OTHER = N_("say why in the note when the reason is 'other'")
LENT = N_("the device is lent (loan of %(day)s, class %(class_name)s, due %(due)s): return it first")
ACTIVE = N_("the access point is active (in service, polled by the probes): take it down and set it to "
            "retired first")
NOT_PENDING = N_("the disposal has been decided already")
FOUR_EYES = N_("four-eyes principle: the disposal must be approved by someone other than its requester")
PERSON_ONLY = N_("only a person decides on a disposal")
STATES = tuple(s.value for s in DisposalState)


async def _lent(device: Mapping[str, Any]) -> Conflict | None:
    """A device with an open loan is returned first."""
    rows = await fetch("SELECT lent_on, due_on, class_name FROM loan WHERE device_id = {} AND returned_on IS NULL",
                       device["id"])
    if not rows:
        return None
    loan = rows[0]
    return Conflict(gettext(LENT, day=format_date(loan["lent_on"], "de"), class_name=loan["class_name"] or "–",
                            due=format_date(loan["due_on"], "de")))


async def _active(access_point: Mapping[str, Any]) -> Conflict | None:
    """An access point in service is taken down first (module docstring)."""
    return Conflict(gettext(ACTIVE)) if access_point["status"] == AccessPointStatus.ACTIVE.value else None


@dataclass(frozen=True)
class Asset:
    """A kind of asset disposed of this way."""

    kind: str  # the audit log's object type and the start of its actions; a disposal's `asset_kind`
    column: str  # its id's column in `disposal`
    table: str
    get: Callable[[Scope, int], Awaitable[dict[str, Any]]]  # one, in the caller's scope (else 404)
    blocker: Callable[[Mapping[str, Any]], Awaitable[Conflict | None]]  # what keeps it from being disposed of
    disposed_already: str
    pending_already: str


ASSETS = {asset.kind: asset for asset in (
    Asset("device", "device_id", "device", get_device, _lent, N_("the device is disposed of already"),
          N_("the device's disposal is awaiting approval already")),
    Asset("access_point", "access_point_id", "access_point", get_access_point, _active,
          N_("the access point is disposed of already"),
          N_("the access point's disposal is awaiting approval already")),
)}

_LIST = """
    SELECT x.*, CASE WHEN x.device_id IS NULL THEN 'access_point' ELSE 'device' END AS asset_kind,
           coalesce(x.device_id, x.access_point_id) AS asset_id,
           coalesce(d.school_id, a.school_id) AS school_id, coalesce(d.serial, a.serial) AS serial, d.asset_tag,
           coalesce(d.vendor, a.vendor) AS vendor, coalesce(d.model, a.model) AS model, coalesce(a.name, '') AS name,
           s.school_number, s.name AS school_name
    FROM disposal x LEFT JOIN device d ON d.id = x.device_id LEFT JOIN access_point a ON a.id = x.access_point_id
    JOIN school s ON s.id = coalesce(d.school_id, a.school_id)
    WHERE {} AND {}
    ORDER BY x.state = 'pending' DESC, coalesce(x.decided_at, x.requested_at) DESC, x.id DESC"""


def _in_scope(scope: Scope) -> Fragment:
    """A disposal is its asset's: its county, and for a school contact the asset's school."""
    return scope.where("x.county_id", school="coalesce(d.school_id, a.school_id)")


def _asset(kind: str) -> Asset:
    if kind not in ASSETS:
        raise NotFound(N_("disposal not found"))
    return ASSETS[kind]


def asset_text(row: Mapping[str, Any]) -> str:
    """What a disposal's asset is called beside its serial: a device's make and model, an access point's name,
    make and model (in the current language)."""
    if row["asset_kind"] == "device":
        parts = [row["vendor"], row["model"]]
    else:
        parts = [row["name"], gettext(VENDOR_LABELS[Vendor(row["vendor"])]), row["model"]]
    return " ".join(part for part in parts if part)


async def blocked(kind: str, row: Mapping[str, Any]) -> str:
    """Why the asset `row` of `kind` cannot be disposed of now (a device lent, an access point active), in the
    current language, or "" (its page says so instead of offering the request)."""
    conflict = await _asset(kind).blocker(row)
    return conflict.shown() if conflict is not None else ""


def _decide_input(data: Mapping[str, Any]) -> Input:
    f = Input(data, partial=False, labels=FIELD_LABELS)
    f.text("note", max_length=NOTE_LENGTH)
    return f


async def request_disposal(scope: Scope, kind: str, asset_id: int, data: Mapping[str, Any], filename: str,
                           content: bytes) -> dict[str, Any]:
    """Ask for the disposal of the asset `kind` ("device", "access_point") `asset_id`: reason, note, the
    data-wipe certificate. 422 naming the field for bad input, 409 when it is disposed of, waiting for
    approval already or blocked (a device lent, an access point active); nothing is stored."""
    scope.require(Permission.INVENTORY_WRITE)
    asset = _asset(kind)
    row = await asset.get(scope, asset_id)
    f = Input(data, partial=False, labels=FIELD_LABELS)
    f.choice("reason", DisposalReason, required=True)
    f.text("note", max_length=NOTE_LENGTH)
    if f.value("reason") == DisposalReason.OTHER.value and not f.value("note"):
        f.error("note", NOTE_FOR_OTHER)
    content_type = None
    try:
        content_type = uploads.check(filename, content)
    except ValidationFailed as exc:
        for error in exc.errors:
            f.error("certificate", error.message)
    f.raise_if_invalid()
    if row["status"] == DISPOSED:
        raise Conflict(gettext(asset.disposed_already))
    blocked = await asset.blocker(row)
    if blocked is not None:
        raise blocked
    async with writing():
        if await fetch(f"SELECT 1 FROM disposal WHERE {asset.column} = {{}} AND state = 'pending' FOR UPDATE",  # noqa: S608
                       asset_id):
            raise Conflict(gettext(asset.pending_already))
        digest = uploads.store(get_settings().data_dir, content)
        rows = await fetch(
            f"INSERT INTO disposal (county_id, {asset.column}, reason, note, certificate_name, "  # noqa: S608
            "certificate_type, certificate_size, certificate_sha256, requested_by, requested_by_label) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id",
            row["county_id"], asset_id, f.value("reason"), f.value("note") or "",
            uploads.clean_filename(filename), content_type, len(content), digest, scope.actor.user_id,
            scope.actor.label[:254])
        disposal = await get_disposal(scope, rows[0]["id"])
        await audit.record(scope, f"{kind}.disposal_request", object_type=kind, object_id=asset_id,
                           county_id=row["county_id"], after=_audit_view(disposal))
    return disposal


async def decide_disposal(scope: Scope, disposal_id: int, approve: bool, data: Mapping[str, Any]) -> dict[str, Any]:
    """Approve or reject a pending disposal (with a note). Four eyes: not its requester. Approval disposes
    of the asset (status, day, reason) unless something blocks it meanwhile (409: a device lent, an access
    point set active again)."""
    scope.require(Permission.DISPOSALS_DECIDE)
    f = _decide_input(data)
    f.raise_if_invalid()
    async with writing():
        before = await get_disposal(scope, disposal_id, lock=True)
        if before["state"] != DisposalState.PENDING.value:
            raise Conflict(gettext(NOT_PENDING))
        if scope.actor.user_id is None:
            raise Forbidden(gettext(PERSON_ONLY))
        if before["requested_by"] == scope.actor.user_id:
            raise Forbidden(gettext(FOUR_EYES))
        asset, asset_id = ASSETS[before["asset_kind"]], before["asset_id"]
        day = today()
        if approve:
            # Locked, so a loan or a status change cannot slip in between the check and the disposal.
            await fetch(f"SELECT 1 FROM {asset.table} WHERE id = {{}} FOR UPDATE", asset_id)  # noqa: S608
            row = await asset.get(scope, asset_id)
            blocked = await asset.blocker(row)
            if blocked is not None:
                raise blocked
        state = DisposalState.APPROVED.value if approve else DisposalState.REJECTED.value
        await fetch("UPDATE disposal SET state = {}, decided_by = {}, decided_by_label = {}, "
                    "decided_at = now(), decision_note = {}, disposed_on = {} WHERE id = {}", state,
                    scope.actor.user_id, scope.actor.label[:254], f.value("note") or "", day if approve else None,
                    disposal_id)
        after = await get_disposal(scope, disposal_id)
        await audit.record(scope, f"{asset.kind}.disposal_{'approve' if approve else 'reject'}",
                           object_type=asset.kind, object_id=asset_id, county_id=before["county_id"],
                           before=_audit_view(before), after=_audit_view(after))
        if approve:
            await fetch(f"UPDATE {asset.table} SET status = {{}}, disposed_on = {{}}, disposal_reason = {{}}, "  # noqa: S608
                        "updated_at = now() WHERE id = {}", DISPOSED, day, before["reason"], asset_id)
            await audit.record(scope, f"{asset.kind}.dispose", object_type=asset.kind, object_id=asset_id,
                               county_id=row["county_id"], before={"status": row["status"]},
                               after={"status": DISPOSED, "disposed_on": day.isoformat(),
                                      "disposal_reason": before["reason"], "disposal_id": disposal_id})
    return after


def _audit_view(row: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("id", "asset_kind", ASSETS[row["asset_kind"]].column, "reason", "note", "state", "certificate_name",
            "certificate_sha256", "requested_by_label", "decided_by_label", "decision_note")
    view = {k: row[k] for k in keys}
    view["disposed_on"] = row["disposed_on"].isoformat() if row["disposed_on"] else None
    return view


async def get_disposal(scope: Scope, disposal_id: int, *, lock: bool = False) -> dict[str, Any]:
    """One disposal in the caller's scope (a school contact's: their school's), else 404."""
    scope.require(Permission.INVENTORY_READ)
    rows = await fetch(_LIST + (" FOR UPDATE OF x" if lock else ""), _in_scope(scope),
                       fragment("x.id = {}", disposal_id))
    if not rows:
        raise NotFound(N_("disposal not found"))
    return dict(rows[0])


async def list_disposals(scope: Scope, *, state: str | None = None, kind: str | None = None,
                         asset_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Disposals in scope: pending first, then the latest decided; by state, by kind of asset ("device",
    "access_point") and, with a kind, by the asset's id."""
    scope.require(Permission.INVENTORY_READ)
    if state and state not in STATES:
        raise ValidationFailed([FieldError("state", N_("unknown state"))])
    where = [fragment("x.state = {}", state)] if state else []
    if kind is not None:
        column = _asset(kind).column
        where.append(fragment(f"x.{column} IS NOT NULL") if asset_id is None
                     else fragment(f"x.{column} = {{}}", asset_id))
    return [dict(r) for r in await fetch(_LIST + " LIMIT {}", _in_scope(scope), all_of(*where), limit)]


async def certificate(scope: Scope, disposal_id: int) -> tuple[dict[str, Any], bytes]:
    """The data-wipe certificate of a disposal in scope, as `uploads.download` takes it."""
    row = await get_disposal(scope, disposal_id)
    path = uploads.path_of(get_settings().data_dir, row["certificate_sha256"])
    if not path.exists():
        raise NotFound(N_("certificate file is missing"))
    return {"filename": row["certificate_name"], "content_type": row["certificate_type"]}, path.read_bytes()


HEADER = {
    "de": ("Landkreis", "Schulnummer", "Schule", "Objektart", "Seriennummer", "Inventarnummer", "Bezeichnung",
           "Grund", "Notiz", "Stand", "Beantragt von", "Beantragt am", "Entschieden von", "Entschieden am",
           "Entscheidungsnotiz", "Ausgesondert am", "Löschnachweis"),
    "en": ("county", "school_number", "school", "object", "serial", "asset_tag", "name", "reason", "note", "state",
           "requested_by", "requested_at", "decided_by", "decided_at", "decision_note", "disposed_on",
           "certificate"),
}


def _day(value: dt.datetime | dt.date | None, lang: str) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    return format_date(value, lang)


async def disposals_csv(scope: Scope, state: str | None = None, lang: str = "de") -> bytes:
    scope.require(Permission.EXPORT)
    rows = await list_disposals(scope, state=state, limit=100_000)
    names = {c["id"]: c["name"] for c in await directory.counties(scope)}
    token = current_locale.set(lang)  # the labels follow the file's language, not the page's
    try:
        lines = [(names.get(r["county_id"], ""), r["school_number"], r["school_name"],
                  gettext(OBJECT_LABELS[r["asset_kind"]]), r["serial"], r["asset_tag"] or "", asset_text(r),
                  gettext(DISPOSAL_REASON_LABELS[DisposalReason(r["reason"])]), r["note"],
                  gettext(DISPOSAL_STATE_LABELS[DisposalState(r["state"])]), r["requested_by_label"],
                  _day(r["requested_at"], lang), r["decided_by_label"], _day(r["decided_at"], lang),
                  r["decision_note"], _day(r["disposed_on"], lang), r["certificate_name"]) for r in rows]
    finally:
        current_locale.reset(token)
    return write_csv(HEADER[lang], lines, lang=lang)
