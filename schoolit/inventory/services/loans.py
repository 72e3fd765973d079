"""Loans of pupil devices: lend (one or a class), correct, return, the agreement, and the retention of
pupil references."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from schoolit import rules
from schoolit.accounts import audit
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.describe import identifiers
from schoolit.describe.inputs import REQUIRED, Input
from schoolit.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from schoolit.inventory.choices import DeviceStatus
from schoolit.inventory.definitions import (
    LOAN_OPEN,
    LOAN_OVERDUE,
    retention_cutoff,
    school_year_end,
    today,
)
from schoolit.inventory.resources.common import IN_THE_FUTURE
from schoolit.inventory.resources.device import DEVICES
from schoolit.inventory.resources.loan import LOAN, LOANS
from schoolit.inventory.services.devices import get_device, write_device_status
from schoolit.inventory.services.schools import get_school
from schoolit.inventory.services.store import (
    OPEN_LOAN,
    blocking,
    bulk_ids,
    bulk_size,
    insert_row,
    one,
    page,
    record,
    update_row,
    writing,
)
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, gettext
from schoolit.kernel.times import day_text
from schoolit.sql import Fragment, fetch, fragment

LOAN_STATES = ("open", "returned", "overdue", "due")


LOAN_NOT_FOUND = N_("loan not found")


def _loan_figures(row: dict[str, Any], on: dt.date | None = None) -> dict[str, Any]:
    row["overdue"] = row["returned_on"] is None and row["due_on"] < (on or today())  # as LOAN_OVERDUE
    return row


async def list_loans(scope: Scope, *, state: str | None = None, due_before: dt.date | None = None,
                     q: str | None = None, sort: str | None = None, limit: int = 50, offset: int = 0,
                     on: dt.date | None = None, filters: Mapping[str, Any] | None = None,
                     **by: Any) -> tuple[list[dict[str, Any]], int]:
    """Loans; `state`: open, returned, overdue (open and past due) or due (open, not overdue, and due by
    the end of the current school year — the list to work through before the summer; the overdue ones,
    due in an earlier school year or earlier in this one, are a list of their own)."""
    scope.require(Permission.INVENTORY_READ)
    day = on or today()
    extra: list[Fragment] = []
    if state == "open":
        extra.append(fragment(LOAN_OPEN))
    elif state == "returned":
        extra.append(fragment("l.returned_on IS NOT NULL"))
    elif state == "overdue":
        extra.append(fragment(LOAN_OVERDUE, day))
    elif state == "due":
        extra.append(fragment(LOAN_OPEN + " AND l.due_on >= {} AND l.due_on <= {}", day, school_year_end(day)))
    elif state:
        raise ValidationFailed([FieldError("state", rules.NOT_ALLOWED)])
    if due_before is not None:
        extra.append(fragment("l.due_on < {}", due_before))
    rows, total = await page(LOANS, scope, filters=LOANS.parse({**(filters or {}), **by}), q=q, sort=sort, limit=limit,
                              offset=offset, extra=extra)
    return [_loan_figures(r, day) for r in rows], total


async def get_loan(scope: Scope, loan_id: int) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_READ)
    return _loan_figures(await one(LOANS, scope, loan_id, LOAN_NOT_FOUND))


def _loan_input(data: Mapping[str, Any], current: Mapping[str, Any] | None, *,
                skip: Sequence[str] = ("device_id",)) -> Input:
    """A loan's terms read field by field (`_loan_rules` checks them together); a new loan runs from
    today (unless given) to the end of that school year."""
    f: Input = LOAN.check(data, current, skip=skip)
    if current is None:
        lent_on = f.values.get("lent_on") or today()
        f.values["lent_on"] = lent_on
        if f.values.get("due_on") is None and not f.has_error("due_on"):
            f.values["due_on"] = school_year_end(lent_on)  # loans run to the end of the school year
    return f


def _loan_rules(f: Input, current: Mapping[str, Any] | None, purchase_date: dt.date | None) -> None:
    """The loan description's rules, with what they need to know: whether the reference was erased and
    the purchase date of the device (the latest one of a class's devices)."""
    assert LOAN.validate is not None
    LOAN.validate(f, {"erased": current is not None and current["pupil_ref_erased_at"] is not None,
                      "purchase_date": purchase_date})


def lend_refusal(device: Mapping[str, Any]) -> str | None:
    """Why `device` cannot be lent (a message id; the lend form's page says it before anything is typed, the
    lending refuses with it), None when it can: a device is lent when it is in stock and has no open loan."""
    if device["open_loan_id"] is not None:
        return N_("already lent")
    if device["status"] != DeviceStatus.STOCK.value:
        return N_("not in stock (in repair, lost or retired)")
    return None


def _lendable_device(f: Input, field_name: str, device: Mapping[str, Any] | None,
                     school_id: int | None = None) -> None:
    """A device can be lent when it is in stock at a school the caller sees (and at `school_id`)."""
    if device is None or (school_id is not None and device["school_id"] != school_id):
        f.error(field_name, N_("unknown device"))
    elif (refusal := lend_refusal(device)) is not None:
        f.error(field_name, refusal)


async def lend_device(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    """Lend one device to a pupil (by the school's pseudonymous reference) until the due date."""
    scope.require(Permission.LOANS_WRITE)
    f = _loan_input(data, None)
    f.reference("device_id", required=True)
    device = None
    if f.value("device_id") is not None:
        with contextlib.suppress(NotFound):
            device = await get_device(scope, f.value("device_id"))
        if device is not None and device["open_loan_id"] is not None:
            raise Conflict(OPEN_LOAN)
        _lendable_device(f, "device_id", device)
    _loan_rules(f, None, device["purchase_date"] if device is not None else None)
    f.raise_if_invalid()
    assert device is not None
    async with writing():
        loan_id = await insert_row("loan", {**f.values, "county_id": device["county_id"],
                                         "school_id": device["school_id"]})
        await update_row("device", device["id"], {"status": DeviceStatus.LENT.value})
        loan = await get_loan(scope, loan_id)
        await record(scope, "loan.lend", "loan", loan, after=loan)
    return loan


async def lend_terms(scope: Scope, device: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What the lend form of `device` starts from, and the device's last returned loan (None: never
    lent). A loan runs from today to the end of the school year; it is handed over as the last return
    found it (its condition note). The accessories are the inventory's list for a device never lent; after
    a return, whose note may say that one is missing, the person handing it over enters them."""
    scope.require(Permission.LOANS_WRITE)
    day = today()
    returned, _total = await list_loans(scope, state="returned", device_id=device["id"], sort="-returned_on",
                                        limit=1)
    last = returned[0] if returned else None
    return {"lent_on": day.isoformat(), "due_on": school_year_end(day).isoformat(),
            "condition_out": last["condition_in"] if last else "",
            "accessories_out": "" if last else device["accessories"]}, last


async def update_loan(scope: Scope, loan_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Correct an open loan's terms (class, due date, condition, signed agreement, reference)."""
    scope.require(Permission.LOANS_WRITE)
    before = await get_loan(scope, loan_id)
    f = _loan_input(data, before)
    _loan_rules(f, before, before["device_purchase_date"])
    f.raise_if_invalid()
    async with writing():
        await update_row("loan", loan_id, f.values)
        after = await get_loan(scope, loan_id)
        await record(scope, "loan.update", "loan", after, before=before, after=after)
    return after


RETURN_STATUSES = (DeviceStatus.STOCK, DeviceStatus.REPAIR, DeviceStatus.LOST)


RETURNED_ALREADY = N_("the loan has been returned already")
RETURNED_BEFORE_LEND_DAY = N_("returned before it was lent (%(day)s)")  # the lend day is what to correct


def _return_input(data: Mapping[str, Any]) -> tuple[Input, dt.date, str]:
    """A return's terms: the day (default today, never in the future), the condition note and where
    the device goes (in stock unless in repair or lost)."""
    f = Input(data, partial=False)
    f.date("returned_on")
    f.text("condition_in", max_length=2000)
    f.choice("device_status", DeviceStatus)
    returned_on = f.values.get("returned_on") or today()
    if returned_on > today() and not f.has_error("returned_on"):
        f.error("returned_on", IN_THE_FUTURE)
    device_status = f.values.get("device_status") or DeviceStatus.STOCK.value
    if device_status not in {s.value for s in RETURN_STATUSES}:
        f.error("device_status", N_("in stock, in repair or lost"))
    return f, returned_on, device_status


async def _record_returns(scope: Scope, returned_on: dt.date, condition_in: str, device_status: str,
                          before: Sequence[Mapping[str, Any]], *, bulk: bool = False) -> list[dict[str, Any]]:
    """Write the returns of open loans (one transaction with their audit entries) and read them back."""
    ids = [loan["id"] for loan in before]
    async with writing():
        await fetch("UPDATE loan SET returned_on = {}, condition_in = {}, updated_at = now() WHERE id = ANY({})",
                    returned_on, condition_in, ids)
        await write_device_status([loan["device_id"] for loan in before], device_status)
        after, _total = await page(LOANS, scope, limit=len(ids), sort="serial", extra=[fragment("l.id = ANY({})", ids)])
        by_id = {loan["id"]: loan for loan in before}
        for loan in after:
            await record(scope, "loan.return", "loan", loan, before=by_id[loan["id"]],
                         after={**loan, "device_status": device_status, **({"bulk": True} if bulk else {})})
    return [_loan_figures(loan) for loan in after]


async def return_loan(scope: Scope, loan_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """The device comes back (or is reported lost): condition notes, and where the device goes next."""
    scope.require(Permission.LOANS_WRITE)
    before = await get_loan(scope, loan_id)
    if before["returned_on"] is not None:
        raise Conflict(RETURNED_ALREADY)
    f, returned_on, device_status = _return_input(data)
    if returned_on < before["lent_on"] and not f.has_error("returned_on"):
        f.error("returned_on", gettext(RETURNED_BEFORE_LEND_DAY, day=day_text(before["lent_on"])))
    f.raise_if_invalid()
    return (await _record_returns(scope, returned_on, f.values.get("condition_in") or "", device_status,
                                  [before]))[0]


BLOCKING_LOANS = N_("Nothing was returned. These loans block it: %(loans)s")


def return_blocked_by(loan: Mapping[str, Any], returned_on: dt.date) -> str | None:
    """Why `loan` cannot be returned on `returned_on` in a class return, or None: returned already, or lent
    after that day — named with its lend day, so the teacher sees which day to correct, or which device was ticked
    by mistake. The reason in the caller's language."""
    if loan["returned_on"] is not None:
        return gettext(RETURNED_ALREADY)
    if returned_on < loan["lent_on"]:
        return gettext(RETURNED_BEFORE_LEND_DAY, day=day_text(loan["lent_on"]))
    return None


def class_return_day(data: Mapping[str, Any]) -> dt.date | None:
    """The day a class return's form asks for (today when it names none), None when it is not a valid one."""
    f, returned_on, _ = _return_input(data)
    return None if f.has_error("returned_on") else returned_on


async def return_loans(scope: Scope, loan_ids: Sequence[int], data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return many loans at once (the devices of a class) with one date, one condition note and one
    place for the devices: all or nothing. The message names every loan that blocks it (returned
    already, or lent after the return date); a loan outside the caller's scope is a 404 like a single
    one. One audit entry per loan (`loan.return`, marked as bulk)."""
    scope.require(Permission.LOANS_WRITE)
    f, returned_on, device_status = _return_input(data)
    ids = bulk_ids(f, loan_ids, LOAN_NOT_FOUND, N_("choose at least one loan"))
    f.raise_if_invalid()
    before, _total = await page(LOANS, scope, limit=len(ids) + 1, sort="serial",
                                extra=[fragment("l.id = ANY({})", ids)])
    if len(before) != len(ids):
        raise NotFound(LOAN_NOT_FOUND)
    blocked = [(loan["device_serial"], reason) for loan in before if (reason := return_blocked_by(loan, returned_on))]
    if blocked:
        raise ValidationFailed([FieldError("ids", gettext(BLOCKING_LOANS, loans=blocking(blocked)))])
    return await _record_returns(scope, returned_on, f.values.get("condition_in") or "", device_status, before,
                                 bulk=True)


@dataclass(frozen=True)
class BulkRow:
    serial: str
    pupil_ref: str


async def bulk_lend(scope: Scope, school_id: int, rows: Sequence[BulkRow],
                    data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Lend many devices at once (a class): all or nothing. Errors name the row: `rows.3.serial`."""
    scope.require(Permission.LOANS_WRITE)
    school = await get_school(scope, school_id)
    f = _loan_input(data, None, skip=("device_id", "pupil_ref"))  # the devices and references come per row
    filled = [(i, r) for i, r in enumerate(rows) if r.serial.strip() or r.pupil_ref.strip()]
    if not filled:
        f.error("rows", N_("scan at least one device"))
    bulk_size(f, "rows", len(filled))
    serials: dict[str, int] = {}
    refs: dict[str, int] = {}
    found: dict[str, dict[str, Any]] = {}
    normalised: list[tuple[int, str, str]] = []
    for index, row in filled:
        serial_field, ref_field = f"rows.{index}.serial", f"rows.{index}.pupil_ref"
        serial = ref = ""
        try:
            serial = identifiers.serial_number(row.serial)
        except ValueError as exc:
            f.error(serial_field, REQUIRED if not row.serial.strip() else str(exc))
        try:
            ref = identifiers.pupil_reference(row.pupil_ref)
        except ValueError as exc:
            f.error(ref_field, REQUIRED if not row.pupil_ref.strip() else str(exc))
        if serial and serial in serials:
            f.error(serial_field, N_("scanned twice"))
        if ref and ref in refs:
            f.error(ref_field, N_("the same pupil twice"))
        serials.setdefault(serial, index)
        refs.setdefault(ref, index)
        normalised.append((index, serial, ref))
    wanted = [s for _, s, _ in normalised if s]
    if wanted:
        listed, _total = await page(DEVICES, scope, filters={"school_id": school["id"]}, limit=len(wanted) + 1,
                                     extra=[fragment("d.serial = ANY({})", wanted)])
        found = {d["serial"]: d for d in listed}
    for index, serial, _ref in normalised:
        if serial and not f.has_error(f"rows.{index}.serial"):
            _lendable_device(f, f"rows.{index}.serial", found.get(serial), school["id"])
    _loan_rules(f, None, max((d["purchase_date"] for d in found.values() if d["purchase_date"]), default=None))
    f.raise_if_invalid()
    loans = []
    async with writing():
        for _index, serial, ref in normalised:
            device = found[serial]
            loan_id = await insert_row("loan", {**f.values, "pupil_ref": ref, "county_id": device["county_id"],
                                             "school_id": device["school_id"], "device_id": device["id"]})
            loans.append(loan_id)
        await write_device_status([found[s]["id"] for _, s, _ in normalised], DeviceStatus.LENT.value)
        result, _total = await page(LOANS, scope, limit=len(loans), extra=[fragment("l.id = ANY({})", loans)],
                                     sort="serial")
        for loan in result:
            await record(scope, "loan.lend", "loan", loan, after={**loan, "bulk": True})
    return [_loan_figures(r) for r in result]


async def loan_agreement(scope: Scope, loan_id: int) -> dict[str, Any]:
    """What the printed Leihvertrag shows: device, accessories, pupil reference, dates — no names."""
    loan = await get_loan(scope, loan_id)
    school = await get_school(scope, loan["school_id"])
    return {"loan": loan, "school": school}


# --- retention -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionReport:
    cutoff: dt.date
    erased: int
    by_county: dict[int, int]


async def erase_pupil_references(scope: Scope, on: dt.date | None = None) -> RetentionReport:
    """Erase the pupil reference of every loan that ended in a school year which closed at least a
    year ago. Idempotent: erased references are NULL and are not counted again."""
    if not scope.everything:
        raise Forbidden(rules.SYSTEM_ONLY)
    cutoff = retention_cutoff(on or today())
    by_county: dict[int, list[int]] = {}
    async with atomic():
        rows = await fetch("UPDATE loan SET pupil_ref = NULL, pupil_ref_erased_at = now(), updated_at = now() "
                           "WHERE returned_on <= {} AND pupil_ref IS NOT NULL RETURNING id, county_id", cutoff)
        for row in rows:
            by_county.setdefault(row["county_id"], []).append(row["id"])
        for county_id, loan_ids in sorted(by_county.items()):
            await audit.record(scope, "loan.retention", object_type="loan", county_id=county_id,
                               after={"erased": len(loan_ids), "cutoff": cutoff.isoformat(),
                                      "loan_ids": sorted(loan_ids)})
    return RetentionReport(cutoff=cutoff, erased=len(rows),
                           by_county={k: len(v) for k, v in sorted(by_county.items())})
