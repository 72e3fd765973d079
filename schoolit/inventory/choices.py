"""Enumerations of the inventory domain (stored as their value, shown through the catalog)."""

from enum import StrEnum

from schoolit.kernel.i18n import N_
from schoolit.snmp_protocols import AUTH_PROTOCOLS, PRIV_PROTOCOLS


class SchoolType(StrEnum):
    """Kinds of school a county runs in Rheinland-Pfalz (and neighbours)."""

    GYMNASIUM = "gymnasium"
    IGS = "igs"  # Integrierte Gesamtschule
    REALSCHULE_PLUS = "realschule_plus"
    BBS = "bbs"  # Berufsbildende Schule
    FOERDERSCHULE = "foerderschule"
    OTHER = "other"


SCHOOL_TYPE_LABELS = {
    SchoolType.GYMNASIUM: N_("Gymnasium"),
    SchoolType.IGS: N_("Integrated comprehensive school (IGS)"),
    SchoolType.REALSCHULE_PLUS: N_("Realschule plus"),
    SchoolType.BBS: N_("Vocational school (BBS)"),
    SchoolType.FOERDERSCHULE: N_("Special-needs school (Förderschule)"),
    SchoolType.OTHER: N_("Other"),
}


class UplinkTechnology(StrEnum):
    FTTB = "fttb"
    FTTH = "ftth"
    VDSL = "vdsl"
    CABLE = "cable"
    LTE = "lte"


class UplinkStatus(StrEnum):
    PLANNED = "planned"
    ORDERED = "ordered"
    CONSTRUCTION = "construction"
    LIVE = "live"
    TERMINATED = "terminated"


class SnmpVersion(StrEnum):
    V2C = "2c"
    V3 = "3"


# Exactly the protocols the probe polls with (one list, `schoolit.snmp_protocols`): a profile the probe
# could not use is refused when entered. MD5 and DES are not offered (BSI NET.2.1: broken).
SnmpAuthProtocol = StrEnum("SnmpAuthProtocol", {name: name for name in AUTH_PROTOCOLS})  # type: ignore[misc]
SnmpPrivProtocol = StrEnum("SnmpPrivProtocol", {name: name for name in PRIV_PROTOCOLS})  # type: ignore[misc]


class Vendor(StrEnum):
    """Access-point vendors with an SNMP profile in the probe (generic: IF-MIB only)."""

    ARUBA = "aruba"
    CISCO = "cisco"
    UNIFI = "unifi"
    LANCOM = "lancom"
    AEROHIVE = "aerohive"
    RUCKUS = "ruckus"
    ZYXEL = "zyxel"
    EXTREME = "extreme"  # Extreme Wireless (ex-Enterasys/HiPath) access points, managed by a controller
    GENERIC = "generic"


class ControllerProfile(StrEnum):
    """WLAN controllers the probe polls (one name per profile in `schoolit.probes.agent.controller_profiles`,
    kept equal by a unit test; the inventory does not import the probes)."""

    CISCO_9800 = "cisco-9800"
    ARUBA_OS = "aruba-os"
    RUCKUS_SMARTZONE = "ruckus-smartzone"
    RUCKUS_ZONEDIRECTOR = "ruckus-zonedirector"
    EXTREME_WIRELESS = "extreme-wireless"
    LANCOM_WLC = "lancom-wlc"


# The access-point vendor each controller manages.
CONTROLLER_VENDORS = {
    ControllerProfile.CISCO_9800: "cisco",
    ControllerProfile.ARUBA_OS: "aruba",
    ControllerProfile.RUCKUS_SMARTZONE: "ruckus",
    ControllerProfile.RUCKUS_ZONEDIRECTOR: "ruckus",
    ControllerProfile.EXTREME_WIRELESS: "extreme",
    ControllerProfile.LANCOM_WLC: "lancom",
}
CONTROLLER_PROFILE_LABELS = {
    ControllerProfile.CISCO_9800: "Cisco Catalyst 9800",
    ControllerProfile.ARUBA_OS: N_("ArubaOS mobility controller"),
    ControllerProfile.RUCKUS_SMARTZONE: "Ruckus SmartZone",
    ControllerProfile.RUCKUS_ZONEDIRECTOR: "Ruckus ZoneDirector / Unleashed",
    ControllerProfile.EXTREME_WIRELESS: N_("Extreme Wireless controller (EWC, ex-Enterasys/HiPath)"),
    ControllerProfile.LANCOM_WLC: "LANCOM WLC",
}


class AccessPointStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"  # in service: polled by the probes, counted for coverage
    FAULTY = "faulty"
    RETIRED = "retired"  # taken down, waiting for its disposal (Aussonderung)
    DISPOSED = "disposed"  # disposed of: the end state, set only by an approved disposal (`disposals`)


class DeviceKind(StrEnum):
    TABLET = "tablet"
    LAPTOP = "laptop"
    CONVERTIBLE = "convertible"
    DESKTOP = "desktop"
    OTHER = "other"


class DeviceStatus(StrEnum):
    STOCK = "stock"
    LENT = "lent"
    REPAIR = "repair"
    LOST = "lost"
    RETIRED = "retired"  # out of use, waiting for its disposal (Aussonderung)
    DISPOSED = "disposed"  # disposed of: the end state, set only by an approved disposal (`disposals`)


class DisposalReason(StrEnum):
    """Why a device or an access point is disposed of (Aussonderungsgrund)."""

    DEFECTIVE = "defective"  # defekt / wirtschaftlicher Totalschaden
    OBSOLETE = "obsolete"
    LOST = "lost"  # verloren / gestohlen
    LEASE_RETURN = "lease_return"
    OTHER = "other"  # with a note


class DisposalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


DISPOSAL_REASON_LABELS = {
    DisposalReason.DEFECTIVE: N_("defective / beyond economic repair"),
    DisposalReason.OBSOLETE: N_("obsolete"),
    DisposalReason.LOST: N_("lost / stolen"),
    DisposalReason.LEASE_RETURN: N_("returned to the lessor"),
    DisposalReason.OTHER: N_("other (see note)"),
}
DISPOSAL_STATE_LABELS = {
    DisposalState.PENDING: N_("awaiting approval"),
    DisposalState.APPROVED: N_("approved"),
    DisposalState.REJECTED: N_("rejected"),
}


class FundingProgramme(StrEnum):
    """Where the money came from: the funding proof (Verwendungsnachweis) groups by it."""

    DIGITALPAKT_BASIS = "digitalpakt_basis"
    DIGITALPAKT_SOFORTAUSSTATTUNG = "digitalpakt_sofortausstattung"  # pupil devices, 2020
    DIGITALPAKT_LEIHGERAETE_LEHRKRAEFTE = "digitalpakt_leihgeraete_lehrkraefte"
    DIGITALPAKT_ADMINISTRATION = "digitalpakt_administration"
    DIGITALPAKT_2 = "digitalpakt_2"
    COUNTY_BUDGET = "county_budget"  # Schulträger's own money
    OTHER = "other"


# Labels shown in pages and forms (English message ids; German in the inventory catalog).
UPLINK_TECHNOLOGY_LABELS = {
    UplinkTechnology.FTTB: N_("Fibre to the building (FTTB)"),
    UplinkTechnology.FTTH: N_("Fibre to the home (FTTH)"),
    UplinkTechnology.VDSL: N_("VDSL"),
    UplinkTechnology.CABLE: N_("Cable"),
    UplinkTechnology.LTE: N_("LTE/5G"),
}
UPLINK_STATUS_LABELS = {
    UplinkStatus.PLANNED: N_("planned"),
    UplinkStatus.ORDERED: N_("ordered"),
    UplinkStatus.CONSTRUCTION: N_("under construction"),
    UplinkStatus.LIVE: N_("live"),
    UplinkStatus.TERMINATED: N_("terminated"),
}
SNMP_VERSION_LABELS = {SnmpVersion.V2C: N_("SNMP v2c (community)"), SnmpVersion.V3: N_("SNMP v3 (user)")}
VENDOR_LABELS = {
    Vendor.ARUBA: "Aruba", Vendor.CISCO: "Cisco", Vendor.UNIFI: "UniFi", Vendor.LANCOM: "LANCOM",
    Vendor.AEROHIVE: "Aerohive / Extreme IQ Engine", Vendor.ZYXEL: "Zyxel",
    # No access-point profile of their own: polled with the generic IF-MIB profile (Ruckus and Extreme
    # Wireless access points through their controller when one is entered,
    # `schoolit.probes.agent.controller_profiles`).
    Vendor.RUCKUS: N_("Ruckus (via controller, else generic SNMP)"),
    Vendor.EXTREME: N_("Extreme Wireless (via controller, else generic SNMP)"),
    Vendor.GENERIC: N_("Other vendor"),
}
ACCESS_POINT_STATUS_LABELS = {
    AccessPointStatus.PLANNED: N_("planned"),
    AccessPointStatus.ACTIVE: N_("active"),
    AccessPointStatus.FAULTY: N_("faulty"),
    AccessPointStatus.RETIRED: N_("retired"),
    AccessPointStatus.DISPOSED: N_("disposed of"),
}
DEVICE_KIND_LABELS = {
    DeviceKind.TABLET: N_("Tablet"),
    DeviceKind.LAPTOP: N_("Laptop"),
    DeviceKind.CONVERTIBLE: N_("Convertible"),
    DeviceKind.DESKTOP: N_("Desktop"),
    DeviceKind.OTHER: N_("Other device"),
}
DEVICE_STATUS_LABELS = {
    DeviceStatus.STOCK: N_("in stock"),
    DeviceStatus.LENT: N_("lent"),
    DeviceStatus.REPAIR: N_("in repair"),
    DeviceStatus.LOST: N_("lost"),
    DeviceStatus.RETIRED: N_("retired"),
    DeviceStatus.DISPOSED: N_("disposed of"),
}
FUNDING_PROGRAMME_LABELS = {
    FundingProgramme.DIGITALPAKT_BASIS: N_("DigitalPakt Schule (basic)"),
    FundingProgramme.DIGITALPAKT_SOFORTAUSSTATTUNG: N_("DigitalPakt immediate equipment programme"),
    FundingProgramme.DIGITALPAKT_LEIHGERAETE_LEHRKRAEFTE: N_("DigitalPakt loan devices for teachers"),
    FundingProgramme.DIGITALPAKT_ADMINISTRATION: N_("DigitalPakt administration"),
    FundingProgramme.DIGITALPAKT_2: N_("DigitalPakt 2.0"),
    FundingProgramme.COUNTY_BUDGET: N_("County budget"),
    FundingProgramme.OTHER: N_("Other funding"),
}
# What people write for each programme in spreadsheets (the CSV import reads these too).
FUNDING_PROGRAMME_WORDS: dict[str, tuple[str, ...]] = {
    "digitalpakt_basis": ("DigitalPakt Basis", "DigitalPakt Schule", "DigitalPakt 1", "Basisförderung"),
    "digitalpakt_sofortausstattung": ("DigitalPakt Sofortausstattung", "Sofortausstattung",
                                      "Sofortausstattungsprogramm"),
    "digitalpakt_leihgeraete_lehrkraefte": ("DigitalPakt Leihgeräte Lehrkräfte", "Leihgeräte Lehrkräfte",
                                            "Lehrkräfte-Endgeräte"),
    "digitalpakt_administration": ("DigitalPakt Administration", "Administration", "Administratoren"),
    "digitalpakt_2": ("DigitalPakt 2.0", "DigitalPakt 2"),
    "county_budget": ("Kreishaushalt", "Eigenmittel", "Schulträger", "Haushalt"),
    "other": ("Sonstige", "Sonstiges", "andere"),
}
