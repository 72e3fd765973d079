"""Polling a WLAN controller: one walk of its AP and radio tables, matched to the inventory's access points.

The controller answers for every access point it manages (`schoolit.probes.agent.controller_profiles`). Each
inventory access point the target names (`ProbeTarget.members`) gets a sample of its own:
- listed and up, with a radio serving: reachable, with its clients and `radio_up` true;
- listed and up, but every radio down: not reachable (no WLAN from it), `radio_up` false, error
  `RADIOS_DOWN` — coverage and outage tickets treat it like a device that is down;
- listed but down (the controller's status says so), or not listed at all: not reachable, with the
  reason (`NOT_LISTED` for a missing one).
Rows that match no member (by MAC, else serial) are reported for adoption in the `ControllerReport`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec
from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

from schoolit.probes.agent.controller_profiles import CONTROLLER_PROFILES, ControllerProfile
from schoolit.probes.agent.v2c import SnmpRequestError
from schoolit.probes.agent.wire import NOT_LISTED, RADIOS_DOWN, ControllerReport, ListedAccessPoint, ProbeTarget, Sample

if TYPE_CHECKING:
    from schoolit.probes.agent.snmp import PollResult, _Channel

_ABSENT = (NoSuchObject, NoSuchInstance, EndOfMibView)


def cell(value: Any) -> int | str | None:
    """A table cell as a number (INTEGER, Gauge, Counter, TimeTicks) or text (OCTET STRING)."""
    if value is None or isinstance(value, _ABSENT):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        pass
    try:
        return bytes(value.asOctets()).decode("utf-8", "replace").strip()
    except AttributeError:
        return str(value.prettyPrint())


def _raw(value: Any) -> Any:
    return None if value is None or isinstance(value, _ABSENT) else value


def mac_cell(value: Any) -> str | None:
    """A MacAddress cell (six octets; some agents send the text `00:1f:45:…` instead) as aa:bb:…."""
    try:
        octets = bytes(value.asOctets())
    except AttributeError:
        return None
    if len(octets) == 6:
        return ":".join(f"{octet:02x}" for octet in octets)
    digits = "".join(ch for ch in octets.decode("ascii", "replace") if ch not in ":-. ").lower()
    if len(digits) == 12 and all(ch in "0123456789abcdef" for ch in digits):
        return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
    return None


class _Row:
    """What the tables say about one listed access point."""

    def __init__(self, mac: str) -> None:
        self.mac = mac
        self.cells: dict[str, Any] = {}
        self.radios: dict[str, dict[str, Any]] = defaultdict(dict)

    def text(self, column: str | None) -> str | None:
        """An AP-table cell as text, or the first radio row's (profiles with `details_in_radios`)."""
        if column is None:
            return None
        values = [self.cells.get(column)] + [radio.get(column) for _, radio in sorted(self.radios.items())]
        return next((str(value) for value in values if value not in (None, "")), None)


def _rows(profile: ControllerProfile, table: dict[str, dict[str, Any]]) -> dict[str, _Row]:
    """The listed access points by MAC, with their AP-table cells and radio rows.

    Rows are gathered by the AP part of their index (the MAC itself, or the table's own number whose
    MAC is the `ap_mac` column); a row whose MAC cannot be told is left out. Radio rows join their AP by
    the same key, or by MAC when the radio table is indexed by MAC (`radio_index="mac"`); a radio of an
    AP the AP table does not list is ignored."""
    rows: dict[str, _Row] = {}
    for column in profile.ap_columns:
        for index, value in table.get(column, {}).items():
            key = profile.key_of(index)
            if key is not None:
                rows.setdefault(key, _Row(key)).cells[column] = value
    if profile.ap_mac is not None:
        by_mac: dict[str, _Row] = {}
        for row in rows.values():
            mac = row.cells.get(profile.ap_mac)
            if isinstance(mac, str):
                row.mac = mac
                by_mac[mac] = row
        by_key = by_mac if profile.radio_index == "mac" else rows
    else:
        by_mac = by_key = rows
    for column in profile.radio_columns:
        for index, value in table.get(column, {}).items():
            keyed = profile.radio_key_of(index)
            if keyed is not None and keyed[0] in by_key:
                by_key[keyed[0]].radios[keyed[1]][column] = value
    return by_mac


def _member_sample(profile: ControllerProfile, row: _Row | None, base: dict[str, Any]) -> Sample:
    if row is None:
        return Sample(reachable=False, error=f"{NOT_LISTED}{base.pop('controller')}", **base)
    base.pop("controller")
    clients: int | None = None
    if profile.ap_clients is not None and isinstance(row.cells.get(profile.ap_clients), int):
        clients = row.cells[profile.ap_clients]
    elif profile.radio_clients is not None:
        counts = [radio[profile.radio_clients] for radio in row.radios.values()
                  if isinstance(radio.get(profile.radio_clients), int)]
        clients = sum(counts) if counts else None
    if profile.ap_status is not None and row.cells.get(profile.ap_status) not in profile.ap_status_up:
        status = row.cells.get(profile.ap_status)
        return Sample(reachable=False, error=f"the controller reports the access point down (status {status})",
                      **base)
    radio_up: bool | None = None
    if profile.radio_status is not None:
        states = [radio.get(profile.radio_status) for radio in row.radios.values()]
        states = [state for state in states if state is not None]
        radio_up = any(profile.radio_serves(state) for state in states) if states else None
    if radio_up is False:
        return Sample(reachable=False, radio_up=False, clients=clients,
                      error=f"{RADIOS_DOWN}{len(row.radios)} of {len(row.radios)} radios down", **base)
    return Sample(reachable=True, radio_up=radio_up, clients=clients, **base)


async def poll_controller_tables(
    channel: _Channel,
    target: ProbeTarget,
    polled_at: datetime,
    response_ms: float,
    figures: dict[str, Any],
    sys_name: str | None,
    sys_object_id: str | None,
) -> PollResult:
    """Walk the controller's tables and turn them into member samples and a report."""
    from schoolit.probes.agent.snmp import PollResult, _walk

    profile = CONTROLLER_PROFILES[target.profile]
    controller_sample = Sample(asset_kind="controller", asset_id=target.asset_id, polled_at=polled_at,
                               reachable=True, response_ms=response_ms, **figures)
    try:
        raw = await _walk(channel, profile.ap_columns + profile.radio_columns, "", _raw)
    except SnmpRequestError as exc:
        error = f"walk: {exc}"
        report = ControllerReport(controller_id=target.asset_id, polled_at=polled_at, reachable=True, error=error)
        sample = msgspec.structs.replace(controller_sample, error=error)
        return PollResult(target=target, sample=sample, sys_name=sys_name, sys_object_id=sys_object_id,
                          report=report)
    table = {
        column: {index: kept for index, value in values.items()
                 if (kept := (mac_cell(value) if column == profile.ap_mac else cell(value))) is not None}
        for column, values in raw.items()
    }
    rows = _rows(profile, table)
    by_serial = {row.text(profile.ap_serial).upper(): row for row in rows.values()  # type: ignore[union-attr]
                 if row.text(profile.ap_serial)}
    matched: set[str] = set()
    members: list[Sample] = []
    for member in target.members:
        row = rows.get(member.mac or "") or (by_serial.get(member.serial.upper()) if member.serial else None)
        if row is not None:
            matched.add(row.mac)
        base = {"asset_kind": "access_point", "asset_id": member.asset_id, "polled_at": polled_at,
                "response_ms": response_ms, "controller": target.address}
        members.append(_member_sample(profile, row, base))
    unknown = [
        ListedAccessPoint(
            mac=row.mac,
            serial=row.text(profile.ap_serial),
            name=row.text(profile.ap_name),
            model=row.text(profile.ap_model),
            up=None if profile.ap_status is None else row.cells.get(profile.ap_status) in profile.ap_status_up,
        )
        for mac, row in sorted(rows.items())
        if mac not in matched
    ]
    report = ControllerReport(controller_id=target.asset_id, polled_at=polled_at, reachable=True,
                              listed=len(rows), matched=len(matched), unknown=unknown)
    return PollResult(target=target, sample=controller_sample, sys_name=sys_name, sys_object_id=sys_object_id,
                      members=members, report=report)

