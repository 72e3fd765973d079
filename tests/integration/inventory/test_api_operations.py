"""The inventory API's operations as its clients know them: every (method, path) with its summary,
success status, answer and body Structs, operation id and query parameters. Pinned before the handlers
became one generic set (`schoolit.inventory.api`), so a refactoring that adds, drops or reshapes an
operation fails here. A list's described filters (its `Listing`) are its query parameters too: a field
added to a description with a filter adds one without touching this pin."""

from __future__ import annotations

import re

import httpx

from schoolit.inventory.resources.access_point import ACCESS_POINTS
from schoolit.inventory.resources.device import DEVICES
from schoolit.inventory.resources.loan import LOANS
from schoolit.inventory.resources.room import BUILDINGS, ROOMS
from schoolit.inventory.resources.school import SCHOOLS
from schoolit.inventory.resources.snmp_profile import SNMP_PROFILES
from schoolit.inventory.resources.uplink import UPLINKS

INVENTORY = re.compile(r"/api/v1/(schools|buildings|rooms|snmp-profiles|uplinks|access-points|devices|loans|lookup)")
REF = re.compile(r"#/components/schemas/([\w.]+)")

# "METHOD path": (summary, success status, answer Struct, body Struct, operation id, query parameters)
OPERATIONS = {
    "DELETE /api/v1/buildings/{building_id}": (
        "Delete a building", 204, None, None, "ApiV1BuildingsBuildingIdDeleteBuilding", ""),
    "DELETE /api/v1/rooms/{room_id}": (
        "Delete a room", 204, None, None, "ApiV1RoomsRoomIdDeleteRoom", ""),
    "DELETE /api/v1/schools/{school_id}": (
        "Delete an empty school", 204, None, None, "ApiV1SchoolsSchoolIdDeleteSchool", ""),
    "DELETE /api/v1/snmp-profiles/{snmp_profile_id}": (
        "Delete an SNMP profile", 204, None, None, "ApiV1SnmpProfilesSnmpProfileIdDeleteProfile", ""),
    "DELETE /api/v1/uplinks/{uplink_id}": (
        "Delete an uplink", 204, None, None, "ApiV1UplinksUplinkIdDeleteUplink", ""),
    "GET /api/v1/access-points": (
        "List access points", 200, "Page_schoolit.inventory.schemas.AccessPointOut_", None,
        "ApiV1AccessPointsListAccessPoints",
        "county_id funding_programme limit model mounting_location offset q room_id school_id sort status supplier vendor"),  # noqa: E501
    "GET /api/v1/access-points/{access_point_id}": (
        "One access point", 200, "AccessPointOut", None, "ApiV1AccessPointsAccessPointIdGetAccessPoint", ""),
    "GET /api/v1/buildings": (
        "List buildings", 200, "Page_schoolit.inventory.schemas.BuildingOut_", None, "ApiV1BuildingsListBuildings",
        "county_id limit offset q school_id sort"),
    "GET /api/v1/buildings/{building_id}": (
        "One building", 200, "BuildingOut", None, "ApiV1BuildingsBuildingIdGetBuilding", ""),
    "GET /api/v1/devices": (
        "List pupil devices", 200, "Page_schoolit.inventory.schemas.DeviceOut_", None, "ApiV1DevicesListDevices",
        "county_id funding_programme kind limit mdm_enrolled mdm_silent model offset q school_id sort status supplier vendor warranty_before"),  # noqa: E501
    "GET /api/v1/devices/{device_id}": (
        "One device", 200, "DeviceOut", None, "ApiV1DevicesDeviceIdGetDevice", ""),
    "GET /api/v1/loans": (
        "List loans", 200, "Page_schoolit.inventory.schemas.LoanOut_", None, "ApiV1LoansListLoans",
        "class_name county_id device_id due_before limit offset q school_id sort state"),
    "GET /api/v1/loans/{loan_id}": (
        "One loan", 200, "LoanOut", None, "ApiV1LoansLoanIdGetLoan", ""),
    "GET /api/v1/lookup": (
        "Find a device or access point by serial, asset tag or MAC", 200, "LookupHit", None, "ApiV1LookupLookupApi",
        "q"),
    "GET /api/v1/rooms": (
        "List rooms", 200, "Page_schoolit.inventory.schemas.RoomOut_", None, "ApiV1RoomsListRooms",
        "building_id county_id is_teaching limit offset q school_id sort"),
    "GET /api/v1/rooms/{room_id}": (
        "One room", 200, "RoomOut", None, "ApiV1RoomsRoomIdGetRoom", ""),
    "GET /api/v1/schools": (
        "List schools", 200, "Page_schoolit.inventory.schemas.SchoolOut_", None, "ApiV1SchoolsListSchools",
        "county_id limit offset q school_type sort uplink_status website"),
    "GET /api/v1/schools/{school_id}": (
        "One school", 200, "SchoolOut", None, "ApiV1SchoolsSchoolIdGetSchool", ""),
    "GET /api/v1/schools/{school_id}/coverage": (
        "Planned WLAN coverage of a school", 200, "inventory_schemas_CoverageOut", None,
        "ApiV1SchoolsSchoolIdCoverageCoverage", ""),
    "GET /api/v1/snmp-profiles": (
        "List SNMP profiles (secrets are never returned)", 200, "Page_schoolit.inventory.schemas.SnmpProfileOut_",
        None, "ApiV1SnmpProfilesListProfiles", "county_id limit offset q sort version"),
    "GET /api/v1/snmp-profiles/{snmp_profile_id}": (
        "One SNMP profile (without its secrets)", 200, "SnmpProfileOut", None,
        "ApiV1SnmpProfilesSnmpProfileIdGetProfile", ""),
    "GET /api/v1/uplinks": (
        "List uplinks", 200, "Page_schoolit.inventory.schemas.UplinkOut_", None, "ApiV1UplinksListUplinks",
        "county_id gigabit_symmetric limit offset q school_id sort status technology"),
    "GET /api/v1/uplinks/{uplink_id}": (
        "One uplink", 200, "UplinkOut", None, "ApiV1UplinksUplinkIdGetUplink", ""),
    "PATCH /api/v1/access-points/{access_point_id}": (
        "Change or move an access point", 200, "AccessPointOut", "AccessPointIn",
        "ApiV1AccessPointsAccessPointIdUpdateAccessPoint", ""),
    "PATCH /api/v1/buildings/{building_id}": (
        "Rename a building", 200, "BuildingOut", "BuildingIn", "ApiV1BuildingsBuildingIdUpdateBuilding", ""),
    "PATCH /api/v1/devices/{device_id}": (
        "Change or move a device", 200, "DeviceOut", "DeviceIn", "ApiV1DevicesDeviceIdUpdateDevice", ""),
    "PATCH /api/v1/loans/{loan_id}": (
        "Correct a loan's terms", 200, "LoanOut", "LoanPatch", "ApiV1LoansLoanIdUpdateLoan", ""),
    "PATCH /api/v1/rooms/{room_id}": (
        "Change a room", 200, "RoomOut", "RoomIn", "ApiV1RoomsRoomIdUpdateRoom", ""),
    "PATCH /api/v1/schools/{school_id}": (
        "Change a school", 200, "SchoolOut", "SchoolIn", "ApiV1SchoolsSchoolIdUpdateSchool", ""),
    "PATCH /api/v1/snmp-profiles/{snmp_profile_id}": (
        "Change an SNMP profile (empty secrets keep the stored)", 200, "SnmpProfileOut", "SnmpProfileIn",
        "ApiV1SnmpProfilesSnmpProfileIdUpdateProfile", ""),
    "PATCH /api/v1/uplinks/{uplink_id}": (
        "Change an uplink", 200, "UplinkOut", "UplinkIn", "ApiV1UplinksUplinkIdUpdateUplink", ""),
    "POST /api/v1/access-points": (
        "Create an access point", 201, "AccessPointOut", "AccessPointIn", "ApiV1AccessPointsCreateAccessPoint", ""),
    "POST /api/v1/access-points/{access_point_id}/disposal": (
        "Request an access point's disposal", 201, "DisposalOut", "DisposalRequestForm",
        "ApiV1AccessPointsAccessPointIdDisposalRequest", ""),
    "POST /api/v1/access-points/{access_point_id}/retire": (
        "Retire an access point", 200, "AccessPointOut", None,
        "ApiV1AccessPointsAccessPointIdRetireRetireAccessPoint", ""),
    "POST /api/v1/buildings": (
        "Create a building", 201, "BuildingOut", "BuildingIn", "ApiV1BuildingsCreateBuilding", ""),
    "POST /api/v1/devices": (
        "Create a device", 201, "DeviceOut", "DeviceIn", "ApiV1DevicesCreateDevice", ""),
    "POST /api/v1/devices/status": (
        "Set the status of several devices (all or nothing)", 200, "DeviceOut", "DeviceStatusIn",
        "ApiV1DevicesStatusSetStatus", ""),
    "POST /api/v1/devices/{device_id}/disposal": (
        "Request a disposal", 201, "DisposalOut", "DisposalRequestForm", "ApiV1DevicesDeviceIdDisposalRequest", ""),
    "POST /api/v1/devices/{device_id}/retire": (
        "Retire a device", 200, "DeviceOut", None, "ApiV1DevicesDeviceIdRetireRetireDevice", ""),
    "POST /api/v1/loans": (
        "Lend a device (409 when it is lent already)", 201, "LoanOut", "LoanIn", "ApiV1LoansLend", ""),
    "POST /api/v1/loans/bulk": (
        "Lend devices to a class (all or nothing)", 201, "LoanOut", "BulkLendIn", "ApiV1LoansBulkBulk", ""),
    "POST /api/v1/loans/return": (
        "Return several loans, e.g. a class's (all or nothing)", 200, "LoanOut", "BulkReturnIn",
        "ApiV1LoansReturnReturnLoans", ""),
    "POST /api/v1/loans/{loan_id}/return": (
        "Return a loan", 200, "LoanOut", "ReturnIn", "ApiV1LoansLoanIdReturnReturnLoan", ""),
    "POST /api/v1/rooms": (
        "Create a room", 201, "RoomOut", "RoomIn", "ApiV1RoomsCreateRoom", ""),
    "POST /api/v1/schools": (
        "Create a school", 201, "SchoolOut", "SchoolIn", "ApiV1SchoolsCreateSchool", ""),
    "POST /api/v1/snmp-profiles": (
        "Create an SNMP profile", 201, "SnmpProfileOut", "SnmpProfileIn", "ApiV1SnmpProfilesCreateProfile", ""),
    "POST /api/v1/uplinks": (
        "Create an uplink", 201, "UplinkOut", "UplinkIn", "ApiV1UplinksCreateUplink", ""),
}


LISTINGS = {"GET /api/v1/schools": SCHOOLS, "GET /api/v1/buildings": BUILDINGS, "GET /api/v1/rooms": ROOMS,
            "GET /api/v1/snmp-profiles": SNMP_PROFILES, "GET /api/v1/uplinks": UPLINKS,
            "GET /api/v1/access-points": ACCESS_POINTS, "GET /api/v1/devices": DEVICES, "GET /api/v1/loans": LOANS}


def _expected(key: str) -> tuple[object, ...]:
    """The pinned operation, its query parameters joined by its listing's described filters."""
    *rest, query = OPERATIONS[key]
    listing = LISTINGS.get(key)
    if listing is not None:
        query = " ".join(sorted(set(query.split()) | set(listing.filters)))
    return (*rest, query)


def _refs(part: object) -> str | None:
    found = REF.findall(str(part))
    return found[0] if found else None


async def test_the_inventory_operations_are_the_ones_clients_know(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    found = {}
    for path, item in paths.items():
        for method, op in item.items():
            if not INVENTORY.match(path):
                continue
            success = next(code for code in op["responses"] if code != "400")
            query = " ".join(sorted(p["name"] for p in op.get("parameters", []) if p["in"] == "query"))
            found[f"{method.upper()} {path}"] = (
                op["summary"], int(success), _refs(op["responses"][success].get("content")),
                _refs(op.get("requestBody")), op["operationId"], query)
            assert op["tags"] == ["inventory"], (method, path)
    assert sorted(found) == sorted(OPERATIONS)
    for key in OPERATIONS:
        assert found[key] == _expected(key), key
