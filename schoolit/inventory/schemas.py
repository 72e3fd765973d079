"""API input and output of the inventory domain (msgspec Structs).

The Structs of a described resource derive from its description (`Resource.input_struct`,
`Resource.output_struct`); the others are declared here. Inputs leave every field unset by default:
a POST checks that the required ones are there (the service reports each missing field), a PATCH
changes only the fields it names. Outputs never carry a secret (`Field.sealed`): SNMP profiles take
their community and pass phrases as input (empty or left out: the stored ones stay) and show
`has_community`, the v3 user and the protocols only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec
from litestar.datastructures import UploadFile
from msgspec import UNSET, UnsetType

from schoolit.inventory.resources.access_point import ACCESS_POINT
from schoolit.inventory.resources.device import DEVICE
from schoolit.inventory.resources.loan import LOAN
from schoolit.inventory.resources.room import BUILDING_RESOURCE, ROOM
from schoolit.inventory.resources.school import SCHOOL
from schoolit.inventory.resources.snmp_profile import SNMP_PROFILE
from schoolit.inventory.resources.uplink import UPLINK
from schoolit.schemas import Input

# --- the described resources: their Structs derive from the descriptions -------------------------
# Giving `school_id` on a PATCH moves an access point or a device (within your scope; a device not while
# it is lent). An uplink's `gigabit_symmetric` is derived and cannot be given. A loan names its pupil only
# by the school's pseudonymous reference; `lent_on` defaults to today, `due_on` to the end of that school
# year (31 July). An SNMP profile stays in its county (`county_id` on creation only).

if TYPE_CHECKING:  # the checker sees the bases, the app the Structs derived from the descriptions
    SchoolIn = Input
    BuildingIn = Input
    RoomIn = Input
    UplinkIn = Input
    AccessPointIn = Input
    DeviceIn = Input
    LoanIn = Input
    LoanPatch = Input
    SnmpProfileIn = Input
    SchoolOut = msgspec.Struct
    BuildingOut = msgspec.Struct
    RoomOut = msgspec.Struct
    UplinkOut = msgspec.Struct
    AccessPointOut = msgspec.Struct
    DeviceOut = msgspec.Struct
    LoanOut = msgspec.Struct
    SnmpProfileOut = msgspec.Struct
else:
    SchoolIn, SchoolOut = SCHOOL.input_struct("SchoolIn", Input), SCHOOL.output_struct("SchoolOut", __name__)
    BuildingIn = BUILDING_RESOURCE.input_struct("BuildingIn", Input)
    BuildingOut = BUILDING_RESOURCE.output_struct("BuildingOut", __name__)
    RoomIn, RoomOut = ROOM.input_struct("RoomIn", Input), ROOM.output_struct("RoomOut", __name__)
    UplinkIn, UplinkOut = UPLINK.input_struct("UplinkIn", Input), UPLINK.output_struct("UplinkOut", __name__)
    AccessPointIn = ACCESS_POINT.input_struct("AccessPointIn", Input)
    AccessPointOut = ACCESS_POINT.output_struct("AccessPointOut", __name__)
    DeviceIn, DeviceOut = DEVICE.input_struct("DeviceIn", Input), DEVICE.output_struct("DeviceOut", __name__)
    LoanIn, LoanOut = LOAN.input_struct("LoanIn", Input), LOAN.output_struct("LoanOut", __name__)
    LoanPatch = LOAN.input_struct("LoanPatch", Input, skip=("device_id",))
    SnmpProfileIn = SNMP_PROFILE.input_struct("SnmpProfileIn", Input)
    SnmpProfileOut = SNMP_PROFILE.output_struct("SnmpProfileOut", __name__)


# --- schools -------------------------------------------------------------------------------------


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


# --- loans ---------------------------------------------------------------------------------------


class ReturnIn(Input):
    """`returned_on` defaults to today; `device_status` (stock, repair or lost) to stock."""

    returned_on: dt.date | UnsetType = UNSET
    condition_in: str | UnsetType = UNSET
    device_status: str | UnsetType = UNSET


class BulkReturnIn(Input):
    """The devices of a class come back: the loans `ids`, one day, one condition note and where the
    devices go (defaults as `ReturnIn`); every loan is returned, or none (all-or-nothing)."""

    ids: list[int]
    returned_on: dt.date | UnsetType = UNSET
    condition_in: str | UnsetType = UNSET
    device_status: str | UnsetType = UNSET


class DeviceStatusIn(Input):
    """The devices `ids` get `status` (stock, repair, lost or retired; never lent, which only a loan
    sets): every device, or none (all-or-nothing)."""

    ids: list[int]
    status: str


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


# --- disposal (Aussonderung) ---------------------------------------------------------------------


@dataclass
class DisposalRequestForm:
    """A disposal request of a device or an access point (multipart): reason, note ("other" needs one), the
    data-wipe certificate (PDF or image, at most 10 MiB)."""

    reason: str
    certificate: UploadFile
    note: str = ""


class DisposalDecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    """An approval's or rejection's note."""

    note: str = ""


class DisposalOut(msgspec.Struct):
    """A disposal of one asset: `asset_kind` "device" (with `device_id`) or "access_point" (with
    `access_point_id`); `name` is an access point's, `asset_tag` a device's."""

    id: int
    county_id: int
    school_id: int
    school_number: str
    school_name: str
    asset_kind: str
    device_id: int | None
    access_point_id: int | None
    serial: str
    name: str
    asset_tag: str | None
    reason: str
    note: str
    state: str
    certificate_name: str
    certificate_type: str
    certificate_size: int
    requested_by: int | None
    requested_by_label: str
    requested_at: dt.datetime
    decided_by: int | None
    decided_by_label: str
    decided_at: dt.datetime | None
    decision_note: str
    disposed_on: dt.date | None
