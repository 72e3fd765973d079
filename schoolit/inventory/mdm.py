"""MDM sync (#22 item 5): an MDM's device export (Relution, Jamf School, Microsoft Intune; read by
`mdm_formats`) matched to the caller's devices by serial number — enrolment state, last check-in, OS version,
MDM id, which MDM, and the model where the inventory has none.

All or nothing, like the CSV import: a file with any error writes nothing; a dry run does the whole work in
a transaction and rolls it back, so its report (matched, changed, unknown to the inventory, flagged) is
exactly what the commit will do. Devices the MDM knows and the inventory does not are listed for adoption;
adopting one into a school creates it through the device service (`create_device`: its rules, its audit
entry). Only devices in the caller's scope are matched: another county's serial is unknown here and is
never touched (adopting it fails like any serial already in use). A disposed device (the end of its
disposal) is left as it is and listed apart: the MDM should not know it any more.

A device the MDM has not seen for `MDM_SILENT_AFTER_DAYS` (30) is flagged when read (`resources.device.
mdm_silent`, the list filter `mdm_silent`); nothing stores the flag. The export's user names, UPNs and
e-mail addresses are never read, and the MDM's device name (often a pupil's name) is shown in the preview
only; the audit log gets one `device.mdm` entry per changed device and one `import.mdm` per county.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import msgspec

from schoolit.accounts import audit
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.describe.csvformat import RowError
from schoolit.errors import ValidationFailed
from schoolit.inventory.choices import DeviceStatus, FundingProgramme
from schoolit.inventory.mdm_formats import VENDOR_LABELS, MdmDevice, MdmExport, read_export
from schoolit.inventory.resources.device import DEVICES
from schoolit.inventory.services.devices import create_device
from schoolit.inventory.services.store import page
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.kernel.i18n import gettext as _
from schoolit.settings import get_settings
from schoolit.sql import fetch, fragment

NOT_ADOPTABLE = N_("not a device of this file the inventory lacks")
FLAGGED_SHOWN = 500
# What the sync writes, in the order of its UPDATE's arrays.
SYNCED = ("mdm_enrolled", "mdm_last_seen", "os_version", "mdm_source", "mdm_id", "model")
_ARRAY_TYPES = ("boolean[]", "timestamptz[]", "text[]", "text[]", "text[]", "text[]")
LAPTOP_WORDS = ("book", "laptop", "thinkpad", "latitude", "notebook")


class MdmRow(msgspec.Struct):
    """One device of the file: matched to the inventory's (`device_id`), or unknown (adoptable)."""

    row: int
    serial: str
    name: str
    model: str
    os_version: str
    enrolled: bool
    last_seen: dt.datetime | None
    device_id: int | None = None
    school_name: str = ""
    changes: list[str] = msgspec.field(default_factory=list)
    adopted: bool = False


class Flagged(msgspec.Struct):
    id: int
    serial: str
    school_name: str
    mdm_source: str
    last_seen: dt.datetime | None


class MdmReport(msgspec.Struct):
    source: str
    source_label: str
    shape: str
    dry_run: bool
    ok: bool
    rows: int
    matched: int = 0
    changed: int = 0
    adopted: int = 0
    silent_after_days: int = 30
    matches: list[MdmRow] = msgspec.field(default_factory=list)
    unknown: list[MdmRow] = msgspec.field(default_factory=list)
    # Disposed of, yet in the MDM's export: left as they are, listed so someone removes them from the MDM.
    disposed: list[MdmRow] = msgspec.field(default_factory=list)
    flagged: list[Flagged] = msgspec.field(default_factory=list)
    flagged_total: int = 0
    errors: list[RowError] = msgspec.field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""


class _Rollback(Exception):
    pass


def _row(device: MdmDevice) -> MdmRow:
    return MdmRow(row=device.row, serial=device.serial, name=device.name, model=device.model,
                  os_version=device.os_version, enrolled=device.enrolled, last_seen=device.last_seen)


def guess_kind(model: str) -> str:
    """An adopted device's kind from the MDM's model name: notebooks by their names, else a tablet."""
    text = model.casefold()
    return "laptop" if any(word in text for word in LAPTOP_WORDS) else "tablet"


def synced_values(device: MdmDevice, stored: Mapping[str, Any], source: str) -> dict[str, Any]:
    """What the sync writes: the file's state, the later of two check-ins (an older export does not turn the
    clock back), the OS version and MDM id when given, the model only where the inventory has none."""
    last_seen = stored["mdm_last_seen"]
    if device.last_seen is not None and (last_seen is None or device.last_seen > last_seen):
        last_seen = device.last_seen
    return {"mdm_enrolled": device.enrolled, "mdm_last_seen": last_seen,
            "os_version": device.os_version or stored["os_version"], "mdm_source": source,
            "mdm_id": device.mdm_id or stored["mdm_id"], "model": stored["model"] or device.model}


async def sync(scope: Scope, data: bytes, *, dry_run: bool, adopt: Mapping[str, int] | None = None) -> MdmReport:
    """Sync one MDM export; `adopt` maps serials the inventory lacks to the school (id) to create them at.
    With `dry_run` or any error nothing is written."""
    scope.require(Permission.INVENTORY_WRITE)
    export = await asyncio.to_thread(read_export, data)
    report = MdmReport(source=export.source, source_label=VENDOR_LABELS.get(export.source, ""),
                       shape=export.shape, dry_run=dry_run, ok=False, rows=len(export.devices) + len(
                           {e.row for e in export.errors}),
                       silent_after_days=get_settings().mdm_silent_after_days, errors=list(export.errors),
                       encoding=export.encoding, delimiter=export.delimiter)
    if export.errors:
        return report
    try:
        async with atomic():
            await _sync(scope, export, report, adopt or {})
            if dry_run or report.errors:
                raise _Rollback
    except _Rollback:
        pass
    report.ok = not report.errors
    if report.errors:
        report.matched = report.changed = report.adopted = 0
    return report


async def _in_scope(scope: Scope, serials: list[str]) -> dict[str, dict[str, Any]]:
    if not serials:
        return {}
    rows, _total = await page(DEVICES, scope, limit=len(serials) + 1, sort="serial",
                              extra=[fragment("d.serial = ANY({})", serials)])
    return {row["serial"]: row for row in rows}


async def _sync(scope: Scope, export: MdmExport, report: MdmReport, adopt: Mapping[str, int]) -> None:
    by_serial = {device.serial: device for device in export.devices}
    known = await _in_scope(scope, list(by_serial))
    adopted = await _adopt(scope, export, report, known, adopt)
    if report.errors:
        return
    known = await _in_scope(scope, list(by_serial))
    updates: list[tuple[int, dict[str, Any]]] = []
    counties: dict[int, dict[str, int]] = defaultdict(lambda: {"rows": 0, "changed": 0, "adopted": 0})
    for device in export.devices:
        row = _row(device)
        stored = known.get(device.serial)
        if stored is None:
            report.unknown.append(row)
            continue
        row.device_id, row.school_name, row.adopted = stored["id"], stored["school_name"], device.serial in adopted
        if stored["status"] == DeviceStatus.DISPOSED:
            # Its record is closed (the disposal's end state): the sync changes nothing on it, and lists it,
            # since a disposed device the MDM still knows may still hold a school's data.
            report.disposed.append(row)
            continue
        values = synced_values(device, stored, export.source)
        row.changes = [name for name in SYNCED if values[name] != stored[name]]
        report.matches.append(row)
        tally = counties[stored["county_id"]]
        tally["rows"] += 1
        tally["adopted"] += row.adopted
        if row.changes:
            tally["changed"] += 1
            updates.append((stored["id"], values))
    report.matched, report.changed, report.adopted = len(report.matches), len(updates), len(adopted)
    if updates:
        await _write(scope, updates)
    for county_id, tally in sorted(counties.items()):
        await audit.record(scope, "import.mdm", object_type="device", county_id=county_id,
                           after={"source": export.source, **tally})
    flagged, report.flagged_total = await page(DEVICES, scope, filters=DEVICES.parse({"mdm_silent": "yes"}),
                                               sort="mdm_last_seen", limit=FLAGGED_SHOWN)
    report.flagged = [Flagged(id=d["id"], serial=d["serial"], school_name=d["school_name"],
                              mdm_source=d["mdm_source"], last_seen=d["mdm_last_seen"]) for d in flagged]


async def _adopt(scope: Scope, export: MdmExport, report: MdmReport, known: Mapping[str, Any],
                 adopt: Mapping[str, int]) -> set[str]:
    """Create the devices chosen for adoption through the device service; each refusal is a row error."""
    adopted: set[str] = set()
    by_serial = {device.serial: device for device in export.devices}
    for serial, school_id in adopt.items():
        device = by_serial.get(serial.strip().upper())
        if device is None or device.serial in known:
            report.errors.append(RowError(device.row if device else 0, serial, _(NOT_ADOPTABLE)))
            continue
        try:
            await create_device(scope, {
                "school_id": school_id, "serial": device.serial, "kind": guess_kind(device.model),
                "vendor": device.vendor, "model": device.model, "mdm_id": device.mdm_id,
                "mdm_enrolled": device.enrolled, "status": DeviceStatus.STOCK.value,
                "funding_programme": FundingProgramme.OTHER.value})
        except ValidationFailed as exc:
            for error in exc.errors:
                report.errors.append(RowError(device.row, error.field, f"{device.serial}: {_(error.message)}"))
            continue
        adopted.add(device.serial)
    return adopted


def _update_sql() -> str:
    """One UPDATE of every changed device from arrays, with its `device.mdm` audit rows in the same statement."""
    arrays = ", ".join(["{}::integer[]", *(f"{{}}::{t}" for t in _ARRAY_TYPES)])
    assignments = ", ".join(f"{name} = n.{name}" for name in SYNCED)
    logged = audit.insert_sql(
        "done", actor_kind="{}", actor_id="{}::integer", actor_label="{}", request_id="{}", client_ip="{}::inet",
        action="'device.mdm'", object_type="'device'", object_id="id::text", county_id="county_id",
        before="before", after="after")
    return (f"WITH n AS (SELECT * FROM unnest({arrays}) AS n(id, {', '.join(SYNCED)})), "  # noqa: S608
            f"done AS (UPDATE device d SET {assignments}, updated_at = now() FROM n JOIN device old ON old.id = n.id "
            f"WHERE d.id = n.id RETURNING d.id, d.county_id, {audit.json_sql(SYNCED, 'old')} AS before, "
            f"{audit.json_sql(SYNCED, 'd')} AS after), "
            f"logged AS ({logged}) SELECT id FROM done")


async def _write(scope: Scope, updates: list[tuple[int, dict[str, Any]]]) -> None:
    columns = [[values[name] for _id, values in updates] for name in SYNCED]
    await fetch(_update_sql(), [device_id for device_id, _values in updates], *columns, *audit.actor_values(scope))
