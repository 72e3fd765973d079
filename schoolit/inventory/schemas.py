"""API input and output of the inventory domain (msgspec Structs).

The Structs of a described resource derive from its description (`Resource.input_struct`,
`Resource.output_struct`); the others are declared here. Inputs leave every field unset by default:
a POST checks that the required ones are there (the service reports each missing field), a PATCH
changes only the fields it names. Outputs never carry an SNMP
secret: profiles show `has_community`, the v3 user and the protocols only.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec import UNSET, UnsetType

from schoolit.inventory.resources.device import DEVICE
from schoolit.inventory.resources.loan import LOAN
from schoolit.inventory.resources.school import SCHOOL


def given(data: msgspec.Struct) -> dict[str, Any]:
    """The fields an input Struct was given (unset ones are left out)."""
    return {name: value for name in data.__struct_fields__ if (value := getattr(data, name)) is not UNSET}


class Input(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Base of input Structs: unknown fields are refused (a typo must not be ignored silently)."""


# --- schools -------------------------------------------------------------------------------------


if TYPE_CHECKING:
    SchoolIn = Input
    SchoolOut = msgspec.Struct
else:
    SchoolIn = SCHOOL.input_struct("SchoolIn", Input)
    SchoolOut = SCHOOL.output_struct("SchoolOut")


class RoomRef(msgspec.Struct):
    id: int
    name: str
    building_name: str | None


class CoverageOut(msgspec.Struct):
    school_id: int
    teaching_rooms: int
    covered_teaching_rooms: int
    planned_coverage: float | None
    uncovered_rooms: list[RoomRef]


# --- buildings and rooms -------------------------------------------------------------------------


class BuildingIn(Input):
    school_id: int | UnsetType = UNSET
    name: str | UnsetType = UNSET


class BuildingOut(msgspec.Struct):
    id: int
    county_id: int
    school_id: int
    school_name: str
    name: str
    rooms: int
    created_at: dt.datetime


class RoomIn(Input):
    school_id: int | UnsetType = UNSET
    building_id: int | UnsetType | None = UNSET
    name: str | UnsetType = UNSET
    floor: str | UnsetType = UNSET
    is_teaching: bool | UnsetType = UNSET


class RoomOut(msgspec.Struct):
    id: int
    county_id: int
    school_id: int
    school_name: str
    building_id: int | None
    building_name: str | None
    name: str
    floor: str
    is_teaching: bool
    covering_access_point_ids: list[int]
    created_at: dt.datetime


# --- SNMP profiles -------------------------------------------------------------------------------


class SnmpProfileIn(Input):
    """Secrets are write-only: leave them out (or empty) to keep the stored ones."""

    county_id: int | UnsetType = UNSET
    name: str | UnsetType = UNSET
    version: str | UnsetType = UNSET  # "2c" or "3"
    community: str | UnsetType = UNSET
    v3_user: str | UnsetType = UNSET
    auth_protocol: str | UnsetType = UNSET  # SHA, SHA-256, SHA-512
    auth_key: str | UnsetType = UNSET
    priv_protocol: str | UnsetType = UNSET  # AES, AES-256, or "" for none
    priv_key: str | UnsetType = UNSET


class SnmpProfileOut(msgspec.Struct):
    id: int
    county_id: int
    county_name: str
    name: str
    version: str
    has_community: bool
    v3_user: str
    auth_protocol: str
    priv_protocol: str
    created_at: dt.datetime
    updated_at: dt.datetime


# --- uplinks -------------------------------------------------------------------------------------


class UplinkIn(Input):
    """`gigabit_symmetric` is derived (the same rate both ways, at least 1000 Mbit/s) and cannot be given."""

    school_id: int | UnsetType = UNSET
    provider: str | UnsetType = UNSET
    line_id: str | UnsetType = UNSET
    technology: str | UnsetType = UNSET
    down_mbps: int | UnsetType = UNSET
    up_mbps: int | UnsetType = UNSET
    status: str | UnsetType = UNSET
    live_since: dt.date | UnsetType | None = UNSET
    contract_end: dt.date | UnsetType | None = UNSET
    router_ip: str | UnsetType | None = UNSET
    router_if_index: int | UnsetType | None = UNSET
    router_interface: str | UnsetType = UNSET  # or the interface's ifName/ifAlias, e.g. "pppoe-wan"
    snmp_port: int | UnsetType = UNSET  # 161 unless the router is reached through port forwarding
    public_prefix: str | UnsetType | None = UNSET
    snmp_profile_id: int | UnsetType | None = UNSET
    notes: str | UnsetType = UNSET


class UplinkOut(msgspec.Struct):
    id: int
    county_id: int
    school_id: int
    school_name: str
    provider: str
    line_id: str
    technology: str
    down_mbps: int
    up_mbps: int
    gigabit_symmetric: bool
    status: str
    live_since: dt.date | None
    contract_end: dt.date | None
    router_ip: str | None
    router_if_index: int | None
    router_interface: str
    snmp_port: int
    public_prefix: str | None
    snmp_profile_id: int | None
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime


# --- access points -------------------------------------------------------------------------------


class AccessPointIn(Input):
    """Giving `school_id` on a PATCH moves the access point (within your scope)."""

    school_id: int | UnsetType = UNSET
    room_id: int | UnsetType | None = UNSET
    name: str | UnsetType = UNSET
    vendor: str | UnsetType = UNSET
    model: str | UnsetType = UNSET
    serial: str | UnsetType = UNSET
    mac: str | UnsetType | None = UNSET
    management_ip: str | UnsetType | None = UNSET
    snmp_port: int | UnsetType = UNSET  # 161 unless the device is reached through port forwarding
    snmp_profile_id: int | UnsetType | None = UNSET
    status: str | UnsetType = UNSET
    installed_on: dt.date | UnsetType | None = UNSET
    warranty_end: dt.date | UnsetType | None = UNSET
    funding_programme: str | UnsetType = UNSET
    purchase_date: dt.date | UnsetType | None = UNSET
    price_cents: int | UnsetType | None = UNSET
    covered_room_ids: list[int] | UnsetType = UNSET


class AccessPointOut(msgspec.Struct):
    id: int
    county_id: int
    school_id: int
    school_name: str
    room_id: int | None
    room_name: str | None
    name: str
    vendor: str
    model: str
    serial: str
    mac: str | None
    management_ip: str | None
    snmp_port: int
    snmp_profile_id: int | None
    snmp_profile_name: str | None
    status: str
    installed_on: dt.date | None
    warranty_end: dt.date | None
    funding_programme: str
    purchase_date: dt.date | None
    price_cents: int | None
    covered_room_ids: list[int]
    created_at: dt.datetime
    updated_at: dt.datetime


# --- devices -------------------------------------------------------------------------------------


if TYPE_CHECKING:  # the checker sees the bases; the app the Structs derived from the description
    DeviceIn = Input
    DeviceOut = msgspec.Struct
else:
    # Giving `school_id` on a PATCH moves the device (within your scope; not while it is lent).
    DeviceIn = DEVICE.input_struct("DeviceIn", Input)
    DeviceOut = DEVICE.output_struct("DeviceOut")


# --- loans ---------------------------------------------------------------------------------------


if TYPE_CHECKING:
    LoanIn = Input
    LoanPatch = Input
    LoanOut = msgspec.Struct
else:
    # A loan to a pupil, named only by the school's pseudonymous reference (no names, no addresses).
    # `lent_on` defaults to today, `due_on` to the end of that school year (31 July).
    LoanIn = LOAN.input_struct("LoanIn", Input)
    LoanPatch = LOAN.input_struct("LoanPatch", Input, skip=("device_id",))
    LoanOut = LOAN.output_struct("LoanOut")


class ReturnIn(Input):
    """`returned_on` defaults to today; `device_status` (stock, repair or lost) to stock."""

    returned_on: dt.date | UnsetType = UNSET
    condition_in: str | UnsetType = UNSET
    device_status: str | UnsetType = UNSET


class BulkRowIn(Input):
    serial: str
    pupil_ref: str


class BulkLendIn(Input):
    """One class at once: every row is lent, or none (all-or-nothing)."""

    school_id: int
    rows: list[BulkRowIn]
    class_name: str | UnsetType = UNSET
    lent_on: dt.date | UnsetType = UNSET
    due_on: dt.date | UnsetType = UNSET
    condition_out: str | UnsetType = UNSET
    agreement_signed: bool | UnsetType = UNSET


# --- lookup --------------------------------------------------------------------------------------


class LookupHit(msgspec.Struct):
    kind: str  # "device" or "access_point"
    id: int
    school_id: int
    school_name: str
    label: str
    serial: str
    asset_tag: str | None
    mac: str | None
    status: str
