"""Disposal of devices (Aussonderung, #22 item 4), with four eyes.

A supporter (`INVENTORY_WRITE`) requests a device's disposal with a reason (`DisposalReason`; "other" needs
a note) and the data-wipe certificate (Löschprotokoll: a PDF or image, under the upload rules of
`schoolit.uploads`). A person of the device's county whose role may decide (`DISPOSALS_DECIDE`: the
school authority, admins) approves or rejects it with a note; never the one who requested it. Approval
sets the device to `disposed` with the day and reason: it leaves every active list but keeps its loans,
its audit trail and its line in the funding proof. An open loan blocks the request and the approval.
"retired" stays what it was: out of use, waiting for its disposal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
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
    DeviceStatus,
    DisposalReason,
    DisposalState,
)
from schoolit.inventory.definitions import today
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
ALREADY_DISPOSED = N_("the device is disposed of already")
ALREADY_PENDING = N_("the device's disposal is awaiting approval already")
NOT_PENDING = N_("the disposal has been decided already")
FOUR_EYES = N_("four-eyes principle: the disposal must be approved by someone other than its requester")
PERSON_ONLY = N_("only a person decides on a disposal")
STATES = tuple(s.value for s in DisposalState)

_LIST = """
    SELECT x.*, d.school_id, d.serial, d.asset_tag, d.kind, d.vendor, d.model, s.school_number,
           s.name AS school_name
    FROM device_disposal x JOIN device d ON d.id = x.device_id JOIN school s ON s.id = d.school_id
    WHERE {} AND {}
    ORDER BY x.state = 'pending' DESC, coalesce(x.decided_at, x.requested_at) DESC, x.id DESC"""


def _in_scope(scope: Scope) -> Fragment:
    """A disposal is the device's: its county, and for a school contact the device's school."""
    return scope.where("x.county_id", school="d.school_id")


def _decide_input(data: Mapping[str, Any]) -> Input:
    f = Input(data, partial=False, labels=FIELD_LABELS)
    f.text("note", max_length=NOTE_LENGTH)
    return f


async def _open_loan(device_id: int) -> dict[str, Any] | None:
    rows = await fetch("SELECT id, lent_on, due_on, class_name FROM loan WHERE device_id = {} AND returned_on IS NULL",
                       device_id)
    return dict(rows[0]) if rows else None


def _lent(loan: Mapping[str, Any]) -> Conflict:
    return Conflict(gettext(LENT, day=format_date(loan["lent_on"], "de"), class_name=loan["class_name"] or "–",
                            due=format_date(loan["due_on"], "de")))


async def request_disposal(scope: Scope, device_id: int, data: Mapping[str, Any], filename: str,
                           content: bytes) -> dict[str, Any]:
    """Ask for a device's disposal: reason, note, the data-wipe certificate. 422 naming the field for bad
    input, 409 when the device is lent, disposed of or already waiting for approval; nothing is stored."""
    scope.require(Permission.INVENTORY_WRITE)
    device = await get_device(scope, device_id)
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
    if device["status"] == DeviceStatus.DISPOSED.value:
        raise Conflict(gettext(ALREADY_DISPOSED))
    loan = await _open_loan(device_id)
    if loan is not None:
        raise _lent(loan)
    async with writing():
        if await fetch("SELECT 1 FROM device_disposal WHERE device_id = {} AND state = 'pending' FOR UPDATE",
                       device_id):
            raise Conflict(gettext(ALREADY_PENDING))
        digest = uploads.store(get_settings().data_dir, content)
        rows = await fetch(
            "INSERT INTO device_disposal (county_id, device_id, reason, note, certificate_name, "
            "certificate_type, certificate_size, certificate_sha256, requested_by, requested_by_label) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id",
            device["county_id"], device_id, f.value("reason"), f.value("note") or "",
            uploads.clean_filename(filename), content_type, len(content), digest, scope.actor.user_id,
            scope.actor.label[:254])
        row = await get_disposal(scope, rows[0]["id"])
        await audit.record(scope, "device.disposal_request", object_type="device", object_id=device_id,
                           county_id=device["county_id"], after=_audit_view(row))
    return row


async def decide_disposal(scope: Scope, disposal_id: int, approve: bool, data: Mapping[str, Any]) -> dict[str, Any]:
    """Approve or reject a pending disposal (with a note). Four eyes: not its requester. Approval disposes
    of the device (status, day, reason) unless it has been lent meanwhile (409 naming the loan)."""
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
        device_id = before["device_id"]
        day = today()
        if approve:
            loan = await _open_loan(device_id)
            if loan is not None:
                raise _lent(loan)
        state = DisposalState.APPROVED.value if approve else DisposalState.REJECTED.value
        await fetch("UPDATE device_disposal SET state = {}, decided_by = {}, decided_by_label = {}, "
                    "decided_at = now(), decision_note = {}, disposed_on = {} WHERE id = {}", state,
                    scope.actor.user_id, scope.actor.label[:254], f.value("note") or "", day if approve else None,
                    disposal_id)
        after = await get_disposal(scope, disposal_id)
        await audit.record(scope, f"device.disposal_{'approve' if approve else 'reject'}", object_type="device",
                           object_id=device_id, county_id=before["county_id"], before=_audit_view(before),
                           after=_audit_view(after))
        if approve:
            device = await get_device(scope, device_id)
            await fetch("UPDATE device SET status = {}, disposed_on = {}, disposal_reason = {}, updated_at = now() "
                        "WHERE id = {}", DeviceStatus.DISPOSED.value, day, before["reason"], device_id)
            await audit.record(scope, "device.dispose", object_type="device", object_id=device_id,
                               county_id=device["county_id"], before={"status": device["status"]},
                               after={"status": DeviceStatus.DISPOSED.value, "disposed_on": day.isoformat(),
                                      "disposal_reason": before["reason"], "disposal_id": disposal_id})
    return after


def _audit_view(row: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("id", "device_id", "reason", "note", "state", "certificate_name", "certificate_sha256",
            "requested_by_label", "decided_by_label", "decision_note")
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


async def list_disposals(scope: Scope, *, state: str | None = None, device_id: int | None = None,
                         limit: int = 200) -> list[dict[str, Any]]:
    """Disposals in scope: pending first, then the latest decided; by state or device."""
    scope.require(Permission.INVENTORY_READ)
    if state and state not in STATES:
        raise ValidationFailed([FieldError("state", N_("unknown state"))])
    where = [fragment("x.state = {}", state)] if state else []
    if device_id is not None:
        where.append(fragment("x.device_id = {}", device_id))
    return [dict(r) for r in await fetch(_LIST + " LIMIT {}", _in_scope(scope), all_of(*where), limit)]


async def certificate(scope: Scope, disposal_id: int) -> tuple[dict[str, Any], bytes]:
    """The data-wipe certificate of a disposal in scope, as `uploads.download` takes it."""
    row = await get_disposal(scope, disposal_id)
    path = uploads.path_of(get_settings().data_dir, row["certificate_sha256"])
    if not path.exists():
        raise NotFound(N_("certificate file is missing"))
    return {"filename": row["certificate_name"], "content_type": row["certificate_type"]}, path.read_bytes()


HEADER = {
    "de": ("Landkreis", "Schulnummer", "Schule", "Seriennummer", "Inventarnummer", "Gerät", "Grund", "Notiz",
           "Stand", "Beantragt von", "Beantragt am", "Entschieden von", "Entschieden am", "Entscheidungsnotiz",
           "Ausgesondert am", "Löschnachweis"),
    "en": ("county", "school_number", "school", "serial", "asset_tag", "device", "reason", "note", "state",
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
        lines = [(names.get(r["county_id"], ""), r["school_number"], r["school_name"], r["serial"],
                  r["asset_tag"] or "", " ".join(p for p in (r["vendor"], r["model"]) if p),
                  gettext(DISPOSAL_REASON_LABELS[DisposalReason(r["reason"])]), r["note"],
                  gettext(DISPOSAL_STATE_LABELS[DisposalState(r["state"])]), r["requested_by_label"],
                  _day(r["requested_at"], lang), r["decided_by_label"], _day(r["decided_at"], lang),
                  r["decision_note"], _day(r["disposed_on"], lang), r["certificate_name"]) for r in rows]
    finally:
        current_locale.reset(token)
    return write_csv(HEADER[lang], lines, lang=lang)
