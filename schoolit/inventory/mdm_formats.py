"""Reading the device exports of the MDMs schools use — Relution, Jamf School and Microsoft Intune — as CSV
or JSON, with the stdlib only. Pure: bytes in, devices and errors out; the sync (`inventory.mdm`) matches
them to the inventory by serial number.

What each vendor writes (docs/import.md, "MDM sync"):

- **Microsoft Intune**: the admin centre's "Export" of *Devices › All devices* (CSV, ',', headers such as
  `Device name`, `Serial number`, `OS version`, `Last check-in`, `Managed by`, `Primary user UPN`; times in
  UTC), and Microsoft Graph's `managedDevice` list (`{"value": [...]}` with `serialNumber`,
  `lastSyncDateTime`, `osVersion`, `managementState`, `deviceName`).
- **Jamf School**: the device list's CSV export (`Serial Number`, `UDID`, `Last Check-in`, `Managed`) and
  the API's `GET /api/devices` (`{"devices": [...]}` with `serialNumber`, `UDID`, `name`, `isManaged`,
  `lastCheckin`, `os` as text or `{"prefix", "version"}`); times in local time.
- **Relution**: the device list's CSV export from its German UI (';', `Seriennummer`, `Letzte Verbindung`,
  `Status`; dates as 31.07.2026 14:05) and the REST API's device list (`{"results": [...]}` with
  `serialNumber`, `lastConnectionDate` in epoch milliseconds, `osVersion`, `status` such as `ENROLLED`).

The format is told by the shape (JSON or not) and the headers or keys. User names, UPNs and e-mail
addresses in these files are never read: nothing personal leaves this module. The device's name, which
often carries a pupil's name, is read for the preview only and never stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from schoolit import limits, rules
from schoolit.describe import identifiers
from schoolit.describe.csvformat import CellError, RowError, decode, normalise, sniff_delimiter
from schoolit.kernel.i18n import N_
from schoolit.kernel.i18n import gettext as _
from schoolit.kernel.times import BERLIN

UTC = dt.UTC

UNKNOWN_FORMAT = N_("not a device export of Relution, Jamf School or Microsoft Intune (no known columns or keys)")
NO_SERIAL_COLUMN = N_("the file has no serial number column")
NO_SERIAL = N_("a serial number is required")
BAD_TIME = N_("not a date and time (e.g. 31.07.2026 14:05 or 2026-07-31T14:05:00Z)")
BAD_JSON = N_("not valid JSON (line %(line)s, column %(column)s)")
NOT_AN_OBJECT = N_("each device must be a JSON object")
SAME_SERIAL = N_("the same serial number appears more than once in this file (rows %(rows)s)")


@dataclass(frozen=True)
class MdmDevice:
    """One device as the MDM knows it. `row`: its line as a spreadsheet counts it (header = 1), or its
    number in a JSON list (the first = 1)."""

    row: int
    serial: str
    mdm_id: str = ""
    name: str = ""  # shown in the preview only (it often names the pupil); never stored
    vendor: str = ""
    model: str = ""
    os_version: str = ""
    enrolled: bool = True
    last_seen: dt.datetime | None = None


@dataclass
class MdmExport:
    source: str = ""  # "intune", "jamf-school", "relution" ("" when not recognised)
    shape: str = ""  # "csv" or "json"
    encoding: str = ""
    delimiter: str = ""
    serial_column: str = ""  # the serial's header (CSV) or key (JSON), where a repeated serial is reported
    devices: list[MdmDevice] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))


# --- the vendors ---------------------------------------------------------------------------------------

def _states(*words: str) -> Callable[[Any], bool]:
    """Enrolled when the state is one of `words` (compared like headers); a yes/no value as it is."""
    known = {normalise(word) for word in words}

    def enrolled(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        return normalise(str(value)) in known

    return enrolled


@dataclass(frozen=True)
class Vendor:
    name: str
    label: str
    # Our field -> the CSV headers (any of the spellings, compared like headers) and the JSON keys
    # ("a.b" is b inside a).
    columns: Mapping[str, tuple[str, ...]]
    keys: Mapping[str, tuple[str, ...]]
    signature: frozenset[str]  # normalised headers only this vendor's CSV has
    json_list: str  # where the device list is in the API's answer
    json_marker: str  # a key only this vendor's device objects have
    enrolled: Callable[[Any], bool]
    naive_zone: dt.tzinfo  # the zone of times written without one
    default_vendor: str = ""


INTUNE = Vendor(
    "intune", "Microsoft Intune",
    columns={"serial": ("Serial number", "Seriennummer", "SerialNumber"),
             "mdm_id": ("Device ID", "Geräte-ID", "DeviceId"),
             "name": ("Device name", "Gerätename", "DeviceName"),
             "vendor": ("Manufacturer", "Hersteller"), "model": ("Model", "Modell"),
             "os_version": ("OS version", "Betriebssystemversion", "OSVersion"),
             "last_seen": ("Last check-in", "Letzter Check-In", "LastContact", "Last sync"),
             "state": ("Managed by", "Verwaltet von", "ManagedBy")},
    keys={"serial": ("serialNumber",), "mdm_id": ("id",), "name": ("deviceName",), "vendor": ("manufacturer",),
          "model": ("model",), "os_version": ("osVersion",), "last_seen": ("lastSyncDateTime",),
          "state": ("managementState",)},
    signature=frozenset(map(normalise, ("Managed by", "Verwaltet von", "Primary user UPN", "Primary user email address",
                                        "Azure AD Device ID", "Microsoft Entra Device ID", "Compliance",
                                        "Kompatibilität", "Enrollment date", "Registrierungsdatum"))),
    json_list="value", json_marker="lastSyncDateTime",
    # "Managed by" in the export; managementState in Graph (retirePending and wipePending are leaving).
    enrolled=_states("Intune", "Co-managed", "Co-verwaltet", "MDM/ConfigMgr Agent", "ConfigMgr", "managed",
                     "unhealthy"),
    naive_zone=UTC,
)
JAMF_SCHOOL = Vendor(
    "jamf-school", "Jamf School",
    columns={"serial": ("Serial Number", "Seriennummer"), "mdm_id": ("UDID",), "name": ("Name", "Device Name",
                                                                                         "Gerätename"),
             "model": ("Model", "Modell"), "os_version": ("OS Version", "OS-Version", "iOS Version"),
             "last_seen": ("Last Check-in", "Letzter Check-in", "Last Checkin"),
             "state": ("Managed", "Verwaltet", "Is Managed")},
    keys={"serial": ("serialNumber",), "mdm_id": ("UDID", "udid"), "name": ("name",),
          "model": ("model.name", "model"), "os_version": ("os.version", "osVersion", "os"),
          "last_seen": ("lastCheckin",), "state": ("isManaged",)},
    signature=frozenset(map(normalise, ("UDID", "Managed", "Verwaltet", "Supervised", "Betreut", "Asset Tag"))),
    json_list="devices", json_marker="lastCheckin",
    enrolled=_states("yes", "ja", "true", "1", "managed", "verwaltet"),
    naive_zone=BERLIN, default_vendor="Apple",
)
RELUTION = Vendor(
    "relution", "Relution",
    columns={"serial": ("Seriennummer", "Serial number"), "mdm_id": ("UUID", "Geräte-ID"),
             "name": ("Name", "Gerätename", "Device name"), "vendor": ("Hersteller", "Manufacturer"),
             "model": ("Modell", "Model"),
             "os_version": ("Betriebssystemversion", "OS-Version", "OS version", "Version"),
             "last_seen": ("Letzte Verbindung", "Last connection", "Zuletzt verbunden"),
             "state": ("Status",)},
    keys={"serial": ("serialNumber",), "mdm_id": ("uuid",), "name": ("name",), "vendor": ("manufacturer",),
          "model": ("model",), "os_version": ("osVersion",), "last_seen": ("lastConnectionDate",),
          "state": ("status",)},
    signature=frozenset(map(normalise, ("Letzte Verbindung", "Last connection", "Zuletzt verbunden", "Plattform",
                                        "UUID"))),
    json_list="results", json_marker="lastConnectionDate",
    # INACTIVE is enrolled but silent; PENDING, WIPED, RETIRED, DELETED are not (or no longer) enrolled.
    enrolled=_states("ENROLLED", "COMPLIANT", "NONCOMPLIANT", "NON_COMPLIANT", "INACTIVE", "registriert",
                     "konform", "nicht konform", "inaktiv"),
    naive_zone=BERLIN,
)
VENDORS = (INTUNE, JAMF_SCHOOL, RELUTION)
VENDOR_LABELS = {vendor.name: vendor.label for vendor in VENDORS}
FIELD_LIMITS = {"mdm_id": 80, "vendor": 80, "model": 120, "os_version": 40, "name": 200}


# --- cells -----------------------------------------------------------------------------------------------

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?",
                  re.IGNORECASE)
_GERMAN = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?(?:\s*Uhr)?",
                     re.IGNORECASE)
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)?)?", re.IGNORECASE)
NEVER = {"", "-", "never", "nie", "niemals", "n/a", "null", "none"}


def parse_time(value: Any, zone: dt.tzinfo) -> dt.datetime | None:
    """A time as the exports write it: epoch seconds or milliseconds (JSON), ISO 8601 (with or without zone,
    up to seven decimals, as Intune writes), German 31.07.2026 14:05 or US 7/31/2026 2:05:00 PM; a time
    without zone is in `zone`. None for "never" (empty, or a year before 1990 such as Graph's 0001-01-01)."""
    if value is None or isinstance(value, bool):
        return None if value is None else _bad_time()
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) > 100_000_000_000 else value
        return None if seconds <= 0 else dt.datetime.fromtimestamp(seconds, UTC)
    text = str(value).strip()
    if text.casefold() in NEVER:
        return None
    if re.fullmatch(r"\d{9,13}", text):
        return parse_time(int(text), zone)
    offset: dt.tzinfo = zone
    if match := _ISO.fullmatch(text):
        year, month, day, hour, minute, second, tz = match.groups()
        if tz:
            offset = UTC if tz.upper() == "Z" else _offset(tz)
    elif match := _GERMAN.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
    elif match := _US.fullmatch(text):
        month, day, year, hour, minute, second, half = match.groups()
        if half and hour:
            hour = str(int(hour) % 12 + (12 if half.upper() == "PM" else 0))
    else:
        return _bad_time()
    try:
        when = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                           tzinfo=offset)
    except ValueError:
        return _bad_time()
    return None if when.year < 1990 else when.astimezone(UTC)


def _offset(text: str) -> dt.tzinfo:
    digits = text.replace(":", "")
    minutes = int(digits[1:3]) * 60 + int(digits[3:5])
    return dt.timezone(dt.timedelta(minutes=minutes if digits[0] == "+" else -minutes))


def _bad_time() -> dt.datetime:
    raise CellError(BAD_TIME)


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, Mapping):  # Jamf School's os {"prefix": "iOS", "version": "17.1"} given as a whole
        value = value.get("version") or value.get("name") or ""
    text = str(value).strip()
    limit = FIELD_LIMITS.get(name)
    if limit is not None and len(text) > limit:
        raise CellError(limits.TOO_LONG, max=limit)
    return text


def _os_version(text: str) -> str:
    """"iOS 17.1.2" -> "17.1.2" (Jamf School's `os` as text); a bare version stays."""
    match = re.fullmatch(r"[A-Za-z][A-Za-z ]*?\s+(\d[\w.()-]*)", text)
    return match.group(1) if match else text


def _device(export: MdmExport, vendor: Vendor, row: int, values: Mapping[str, Any],
            where: Mapping[str, str]) -> MdmDevice | None:
    """One device from its raw values (by our field names); each bad value is an error at `where[field]`."""
    failed = False
    out: dict[str, Any] = {}
    raw_serial = values.get("serial")
    serial_text = "" if raw_serial is None else str(raw_serial).strip()
    if not serial_text:
        export.error(row, where["serial"], _(NO_SERIAL))
        failed = True
    else:
        try:
            out["serial"] = identifiers.serial_number(serial_text)
        except ValueError as exc:
            export.error(row, where["serial"], _(str(exc)))
            failed = True
    for name in ("mdm_id", "name", "vendor", "model", "os_version"):
        try:
            out[name] = _text(values.get(name), name)
        except CellError as exc:
            export.error(row, where.get(name, name), exc.text())
            failed = True
    try:
        out["last_seen"] = parse_time(values.get("last_seen"), vendor.naive_zone)
    except CellError as exc:
        export.error(row, where.get("last_seen", "last_seen"), exc.text())
        failed = True
    if failed:
        return None
    state = values.get("state")
    return MdmDevice(row=row, serial=out["serial"], mdm_id=out["mdm_id"], name=out["name"],
                     vendor=out["vendor"] or vendor.default_vendor, model=out["model"],
                     os_version=_os_version(out["os_version"]),
                     enrolled=True if state is None or state == "" else vendor.enrolled(state),
                     last_seen=out["last_seen"])


# --- CSV -------------------------------------------------------------------------------------------------

def _csv_vendor(header: Sequence[str]) -> Vendor | None:
    names = {normalise(name) for name in header}
    scored = [(len(names & vendor.signature), vendor) for vendor in VENDORS]
    best, vendor = max(scored, key=lambda pair: pair[0])
    return vendor if best else None


def _read_csv(export: MdmExport, text: str) -> None:
    export.shape = "csv"
    export.delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=export.delimiter)
    try:
        header = next(reader, [])
    except csv.Error as exc:
        export.error(1, "", str(exc))
        return
    vendor = _csv_vendor(header)
    if vendor is None:
        export.error(1, "", _(UNKNOWN_FORMAT))
        return
    export.source = vendor.name
    at: dict[str, int] = {}
    for name, spellings in vendor.columns.items():
        wanted = {normalise(s) for s in spellings}
        found = next((j for j, h in enumerate(header) if normalise(h) in wanted), None)
        if found is not None:
            at[name] = found
    if "serial" not in at:
        export.error(1, vendor.columns["serial"][0], _(NO_SERIAL_COLUMN))
        return
    where = {name: header[j] for name, j in at.items()}
    export.serial_column = where["serial"]
    row = 1
    try:
        for row, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            values = {name: cells[j] if j < len(cells) else "" for name, j in at.items()}
            device = _device(export, vendor, row, values, where)
            if device is not None:
                export.devices.append(device)
    except csv.Error as exc:
        export.error(row + 1, "", str(exc))


# --- JSON ------------------------------------------------------------------------------------------------

def _lookup(item: Mapping[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _json_vendor(document: Any) -> tuple[Vendor | None, list[Any] | None]:
    """The vendor and the device list of an API answer or a bare list of device objects."""
    if isinstance(document, Mapping):
        for vendor in VENDORS:
            items = document.get(vendor.json_list)
            if isinstance(items, list):
                marked = next((v for v in VENDORS if any(isinstance(i, Mapping) and v.json_marker in i
                                                         for i in items)), None)
                return marked or vendor, items
        return None, None
    if isinstance(document, list):
        for vendor in VENDORS:
            if any(isinstance(item, Mapping) and vendor.json_marker in item for item in document):
                return vendor, document
    return None, None


def _read_json(export: MdmExport, text: str) -> None:
    export.shape = "json"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:  # the whole file (row 0): the message names the line and column
        export.error(0, "", _(BAD_JSON, line=exc.lineno, column=exc.colno))
        return
    except RecursionError:
        export.error(0, "", _(BAD_JSON, line=1, column=1))
        return
    vendor, items = _json_vendor(document)
    if vendor is None or items is None:
        export.error(1, "", _(UNKNOWN_FORMAT))
        return
    export.source = vendor.name
    export.serial_column = vendor.keys["serial"][0]
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            export.error(number, "", _(NOT_AN_OBJECT))
            continue
        values: dict[str, Any] = {}
        where: dict[str, str] = {}
        for name, paths in vendor.keys.items():
            where[name] = paths[0]
            for path in paths:
                value = _lookup(item, path)
                if value is not None:
                    values[name], where[name] = value, path
                    break
        device = _device(export, vendor, number, values, where)
        if device is not None:
            export.devices.append(device)


# --- the entry point -------------------------------------------------------------------------------------

def read_export(data: bytes) -> MdmExport:
    """Read an MDM export; its errors name the row (or JSON entry) and the column (or key)."""
    export = MdmExport()
    try:
        text, export.encoding = decode(data)
    except CellError as exc:
        export.error(1, "", exc.text())
        return export
    stripped = text.lstrip()
    if not stripped:
        export.error(1, "", _(rules.EMPTY_FILE))
        return export
    if stripped[0] in "[{":
        _read_json(export, text)
    else:
        _read_csv(export, text)
    rows: dict[str, list[int]] = defaultdict(list)
    for device in export.devices:
        rows[device.serial].append(device.row)
    for serial_rows in rows.values():
        if len(serial_rows) > 1:
            for row in serial_rows:
                export.error(row, export.serial_column, _(SAME_SERIAL, rows=", ".join(map(str, serial_rows))))
    export.errors.sort(key=lambda e: (e.row, e.column))
    return export

