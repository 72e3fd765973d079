"""Inventory tables. Every tenant table carries `county_id` (the scope and distribution column).

A composite foreign key `(school_id, county_id) -> school (id, county_id)` on every school-bound table
(added in a raw migration) keeps the denormalised `county_id` equal to the school's, in the database.
"""

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from schoolit.accounts.tables import County
from schoolit.columns import Cidr, Inet, MacAddr
from schoolit.inventory.choices import (
    AccessPointStatus,
    ControllerProfile,
    DeviceKind,
    DeviceStatus,
    DisposalReason,
    DisposalState,
    FundingProgramme,
    SchoolType,
    SnmpVersion,
    UplinkStatus,
    UplinkTechnology,
    Vendor,
)


class School(Table):
    """A county-run school, known state-wide by its 5-digit school number (Schulnummer)."""

    id: Serial  # added by Piccolo; declared for the type checker
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict, index=True)
    school_number = Varchar(length=5, unique=True)
    name = Varchar(length=200)
    school_type = Varchar(length=30, choices=SchoolType, default=SchoolType.GYMNASIUM.value)
    street = Varchar(length=200, default="")
    postal_code = Varchar(length=5, default="")
    city = Varchar(length=120, default="")
    pupils = Integer(default=0)
    website = Varchar(length=200, default="")
    # The school's management network: access points' management addresses must lie inside it.
    management_prefix = Cidr(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Building(Table):
    id: Serial  # added by Piccolo; declared for the type checker
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict, index=True)
    school_id = ForeignKey(School, null=False, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=120)  # e.g. "Hauptgebäude", "Neubau", "Haus B"
    created_at = Timestamptz(default=TimestamptzNow())


class Room(Table):
    """A room; teaching rooms are what WLAN coverage is measured against."""

    id: Serial  # added by Piccolo; declared for the type checker
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict, index=True)
    school_id = ForeignKey(School, null=False, on_delete=OnDelete.cascade, index=True)
    building_id = ForeignKey(Building, null=True, default=None, on_delete=OnDelete.set_null)
    name = Varchar(length=60)  # room number as signposted, e.g. "A 1.12"
    floor = Varchar(length=20, default="")
    is_teaching = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class SnmpProfile(Table):
    """SNMP credentials. Community and v3 keys are encrypted at rest (`schoolit.inventory.secrets`)
    and never returned by the API or shown in pages."""

    id: Serial  # added by Piccolo; declared for the type checker
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=120)
    version = Varchar(length=2, choices=SnmpVersion, default=SnmpVersion.V3.value)
    community_encrypted = Text(null=True, default=None, secret=True)
    v3_user = Varchar(length=64, default="")
    auth_protocol = Varchar(length=10, default="")
    auth_key_encrypted = Text(null=True, default=None, secret=True)
    priv_protocol = Varchar(length=10, default="")
    priv_key_encrypted = Text(null=True, default=None, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Uplink(Table):
    """A school's internet circuit (FttB when all goes well). "Gigabit symmetric" is derived."""

    id: Serial  # added by Piccolo; declared for the type checker
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict, index=True)
    school_id = ForeignKey(School, null=False, on_delete=OnDelete.cascade, index=True)
    provider = Varchar(length=120)
    line_id = Varchar(length=80, default="")
    technology = Varchar(length=10, choices=UplinkTechnology, default=UplinkTechnology.FTTB.value)
    down_mbps = Integer()
    up_mbps = Integer()
    status = Varchar(length=15, choices=UplinkStatus, default=UplinkStatus.PLANNED.value)
    live_since = Date(null=True, default=None)
    contract_end = Date(null=True, default=None)
    router_ip = Inet(null=True, default=None)
    router_if_index = Integer(null=True, default=None)  # the uplink interface polled for counters
    # Or the interface by name: its ifName or ifAlias (ifDescr last), looked up by the probe on each poll.
    router_interface = Varchar(length=64, default="")
    snmp_port = Integer(default=161)
    public_prefix = Cidr(null=True, default=None)
    snmp_profile_id = ForeignKey(SnmpProfile, null=True, default=None, on_delete=OnDelete.set_null)
    notes = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class AccessPoint(Table):
    id: Serial  # added by Piccolo; declared for the type checker
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict, index=True)
    school_id = ForeignKey(School, null=False, on_delete=OnDelete.cascade, index=True)
    room_id = ForeignKey(Room, null=True, default=None, on_delete=OnDelete.set_null)  # where it hangs
    mounting_location = Varchar(length=120, default="")  # where in the room: "Decke über der Tür"
    name = Varchar(length=120, default="")
    vendor = Varchar(length=20, choices=Vendor, default=Vendor.GENERIC.value)
    model = Varchar(length=120, default="")
    serial = Varchar(length=80, unique=True)
    mac = MacAddr(null=True, default=None, unique=True)
    management_ip = Inet(null=True, default=None)
    snmp_port = Integer(default=161)  # 161 but for agents behind port forwarding (and simulators)
    snmp_profile_id = ForeignKey(SnmpProfile, null=True, default=None, on_delete=OnDelete.set_null)
    status = Varchar(length=10, choices=AccessPointStatus, default=AccessPointStatus.ACTIVE.value)
    installed_on = Date(null=True, default=None)
    warranty_end = Date(null=True, default=None)
    funding_programme = Varchar(length=40, choices=FundingProgramme, default=FundingProgramme.OTHER.value)
    purchase_date = Date(null=True, default=None)
    price_cents = Integer(null=True, default=None)
    # Procurement (#22): who delivered it and on which order and invoice.
    supplier = Varchar(length=120, default="")
    order_number = Varchar(length=60, default="")
    invoice_number = Varchar(length=60, default="")
    invoice_date = Date(null=True, default=None)
    # Set by an approved disposal (`schoolit.inventory.disposals`), with status "disposed".
    disposed_on = Date(null=True, default=None)
    disposal_reason = Varchar(length=20, null=True, default=None, choices=DisposalReason)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class AccessPointRoom(Table):
    """Coverage from the WLAN survey: an access point covers one or more rooms."""

    id: Serial  # added by Piccolo; declared for the type checker
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict, index=True)
    access_point_id = ForeignKey(AccessPoint, null=False, on_delete=OnDelete.cascade, index=True)
    room_id = ForeignKey(Room, null=False, on_delete=OnDelete.cascade, index=True)


class Device(Table):
    """A pupil device (Schülerleihgerät and the like)."""

    id: Serial  # added by Piccolo; declared for the type checker
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict, index=True)
    school_id = ForeignKey(School, null=False, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=15, choices=DeviceKind, default=DeviceKind.TABLET.value)
    vendor = Varchar(length=80, default="")
    model = Varchar(length=120, default="")
    serial = Varchar(length=80, unique=True)
    asset_tag = Varchar(length=40, null=True, default=None)  # Inventarnummer, unique per county
    inventory_number = Varchar(length=40, default="")  # Anlagennummer of the county's fixed-asset accounting
    # The Wi-Fi MAC, so a scanned MAC label finds the device like an access point's (added later: nullable).
    mac = MacAddr(null=True, default=None, unique=True)
    mdm_id = Varchar(length=80, default="")
    mdm_enrolled = Boolean(default=False)
    # What the MDM sync last read (inventory/mdm.py): check-in, OS version, which MDM ("intune", ...).
    mdm_last_seen = Timestamptz(null=True, default=None)
    os_version = Varchar(length=40, default="")
    mdm_source = Varchar(length=20, default="")
    funding_programme = Varchar(length=40, choices=FundingProgramme, default=FundingProgramme.OTHER.value)
    purchase_date = Date(null=True, default=None)
    price_cents = Integer(null=True, default=None)
    # Procurement (#22): who delivered it and on which order and invoice.
    supplier = Varchar(length=120, default="")
    order_number = Varchar(length=60, default="")
    invoice_number = Varchar(length=60, default="")
    invoice_date = Date(null=True, default=None)
    warranty_end = Date(null=True, default=None)
    status = Varchar(length=10, choices=DeviceStatus, default=DeviceStatus.STOCK.value)
    accessories = Varchar(length=300, default="")  # e.g. "Hülle, Stift, Ladegerät"
    notes = Text(default="")
    # Set by an approved disposal (`schoolit.inventory.disposals`), with status "disposed".
    disposed_on = Date(null=True, default=None)
    disposal_reason = Varchar(length=20, null=True, default=None, choices=DisposalReason)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Disposal(Table, tablename="disposal"):
    """The disposal (Aussonderung) of one asset, a device or an access point (exactly one of the two ids, a
    check constraint): requested with a reason and the data-wipe certificate (stored by `schoolit.uploads`),
    decided by another person (four eyes, also a check constraint). It follows its asset: the school is the
    asset's, `(device_id, county_id)` and `(access_point_id, county_id)` cascade a move to another county."""

    id: Serial  # added by Piccolo; declared for the type checker
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict)
    device_id = Integer(null=True, default=None)  # (device_id, county_id) -> device (id, county_id), in migrations
    access_point_id = Integer(null=True, default=None)  # (.., county_id) -> access_point (id, county_id), likewise
    reason = Varchar(length=20, choices=DisposalReason)
    note = Text(default="")
    state = Varchar(length=10, choices=DisposalState, default=DisposalState.PENDING.value)
    certificate_name = Varchar(length=200)
    certificate_type = Varchar(length=40)
    certificate_size = Integer()
    certificate_sha256 = Varchar(length=64)
    # People (accounts' users) by id and label, as the audit log names them.
    requested_by = Integer(null=True, default=None)
    requested_by_label = Varchar(length=254, default="")
    requested_at = Timestamptz(default=TimestamptzNow())
    decided_by = Integer(null=True, default=None)
    decided_by_label = Varchar(length=254, default="")
    decided_at = Timestamptz(null=True, default=None)
    decision_note = Text(default="")
    disposed_on = Date(null=True, default=None)


class Loan(Table):
    """A Leihvertrag. The pupil appears only as the school's pseudonymous reference, which the
    retention job erases one year after the end of the school year in which the loan ended."""

    id: Serial  # added by Piccolo; declared for the type checker
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict, index=True)
    school_id = ForeignKey(School, null=False, on_delete=OnDelete.restrict, index=True)
    device_id = ForeignKey(Device, null=False, on_delete=OnDelete.restrict, index=True)
    pupil_ref = Varchar(length=40, null=True, default=None)
    class_name = Varchar(length=20, default="")  # e.g. "7b", "BVJ 2"
    lent_on = Date()
    due_on = Date()
    returned_on = Date(null=True, default=None)
    condition_out = Text(default="")
    accessories_out = Text(default="")  # recorded at the handover; the device's own list is no record of it
    condition_in = Text(default="")
    agreement_signed = Boolean(default=False)
    pupil_ref_erased_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class WlanController(Table, tablename="wlan_controller"):
    """A WLAN controller, virtual controller or cluster master, entered once: for a county (no school) or
    for one school. The probe polls through it the active access points of its vendor at its school, or,
    for a county controller, at the county's schools without a controller of their own
    (`schoolit.inventory.wlan_controllers`). Its address may lie outside every school's management
    network."""

    id: Serial  # added by Piccolo; declared for the type checker
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict, index=True)
    school_id = ForeignKey(School, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=120)
    profile = Varchar(length=30, choices=ControllerProfile)  # the probe's controller profile (vendor MIB)
    model = Varchar(length=120, default="")
    management_ip = Inet()
    snmp_port = Integer(default=161)
    snmp_profile_id = ForeignKey(SnmpProfile, null=True, default=None, on_delete=OnDelete.set_null)
    notes = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


# Views (created by migrations) that other domains may name in their SQL: schools by id with their
# number and name, for lists that show, search or sort by them inside one statement.
PUBLISHED_VIEWS = ("school_directory",)
