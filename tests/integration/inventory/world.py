"""The inventory's part of the test world: for every school a building, rooms, an uplink, an SNMP
profile, an access point covering a room, a device in stock (whose disposal awaits approval) and a lent one
with an open loan.

Created through the services (as the system), so the world also exercises them; recorded in
`world.by_school` for the access matrix.
"""

from __future__ import annotations

import datetime as dt

from schoolit.accounts.scope import Scope
from schoolit.inventory import disposals, services
from tests.integration.world import SCHOOLS, World

SYSTEM = Scope.system("test world")


async def inventory_world(world: World) -> None:
    for index, key in enumerate(SCHOOLS, start=1):
        school = world.schools[key]
        await services.update_school(SYSTEM, school["id"], {"management_prefix": f"10.{index}.0.0/24"})
        building = await services.create_building(SYSTEM, {"school_id": school["id"], "name": "Hauptgebäude"})
        rooms = [await services.create_room(SYSTEM, {"school_id": school["id"], "building_id": building["id"],
                                                     "name": name, "is_teaching": teaching})
                 for name, teaching in (("A 101", True), ("A 102", True), ("Lehrerzimmer", False))]
        uplink = await services.create_uplink(SYSTEM, {
            "school_id": school["id"], "provider": "Pfalzwerke Netz", "line_id": f"LINE-{key.upper()}",
            "technology": "fttb", "down_mbps": 1000, "up_mbps": 1000, "status": "live",
            "live_since": dt.date(2024, 3, 1)})
        profile = await services.create_snmp_profile(SYSTEM, {
            "county_id": school["county_id"], "name": f"Profil {key}", "version": "3", "v3_user": f"mon-{key}",
            "auth_protocol": "SHA-256", "auth_key": f"auth-secret-{key}", "priv_protocol": "AES",
            "priv_key": f"priv-secret-{key}"})
        ap = await services.create_access_point(SYSTEM, {
            "school_id": school["id"], "room_id": rooms[0]["id"], "name": f"AP {key} A101", "vendor": "aruba",
            "model": "AP-515", "serial": f"CNKEY{key.upper()}01", "mac": f"00:1a:1e:00:0{index}:01",
            "management_ip": f"10.{index}.0.11", "snmp_profile_id": profile["id"], "status": "active",
            "funding_programme": "digitalpakt_basis", "covered_room_ids": [rooms[0]["id"]]})
        device = await services.create_device(SYSTEM, {
            "school_id": school["id"], "kind": "tablet", "vendor": "Apple", "model": "iPad 10", "serial":
            f"DMPX{key.upper()}0001", "asset_tag": f"INV-{key.upper()}-1", "status": "stock",
            "funding_programme": "digitalpakt_sofortausstattung"})
        lent = await services.create_device(SYSTEM, {
            "school_id": school["id"], "kind": "laptop", "vendor": "Lenovo", "model": "ThinkPad L13", "serial":
            f"PF{key.upper()}0002", "status": "stock", "funding_programme": "digitalpakt_sofortausstattung"})
        loan = await services.lend_device(SYSTEM, {"device_id": lent["id"], "pupil_ref": f"7b-{index:02d}",
                                                   "class_name": "7b", "lent_on": dt.date(2026, 9, 1)})
        disposal = await disposals.request_disposal(SYSTEM, "device", device["id"], {"reason": "obsolete"},
                                                    "loeschung.pdf", b"%PDF-1.4 Loeschprotokoll " + key.encode())
        for kind, row in (("building", building), ("room", rooms[0]), ("uplink", uplink), ("snmp_profile", profile),
                          ("access_point", ap), ("device", device), ("loan", loan), ("disposal", disposal)):
            world.by_school.setdefault(kind, {})[key] = row["id"]
