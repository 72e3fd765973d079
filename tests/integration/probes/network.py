"""Network inventory for the probe tests: per school a room set, an SNMP profile, access points
covering rooms, and a live uplink. Written with the tables directly (inventory services are not
what these tests are about)."""

from __future__ import annotations

from dataclasses import dataclass, field

from schoolit.accounts.probes import scope_for_probe
from schoolit.accounts.scope import Scope
from schoolit.inventory.secrets import encrypt
from schoolit.inventory.services import upsert_school
from schoolit.inventory.tables import AccessPoint, AccessPointRoom, Room, SnmpProfile, Uplink
from schoolit.sql import fetch
from tests.integration.world import World


@dataclass
class Network:
    access_points: dict[str, list[int]] = field(default_factory=dict)  # school key -> AP ids
    uplinks: dict[str, int] = field(default_factory=dict)
    rooms: dict[str, list[int]] = field(default_factory=dict)  # teaching rooms


async def probe_scope(world: World) -> Scope:
    """The scope the world's probe posts its samples with, made as the server makes it from its token."""
    probe = (await fetch("SELECT id, name, county_id, school_id FROM probe WHERE id = {}", world.probe_id))[0]
    return scope_for_probe(probe, None)


async def fresh_school(world: World, key: str = "probe-school") -> dict[str, int]:
    """A Donnersbergkreis school holding nothing but what a probe test puts there."""
    school_id = await upsert_school(county_id=world.counties["donnersbergkreis"], school_number="41099",
                                    name="Testschule Sonde", school_type="igs", city="Göllheim", pupils=400)
    world.schools[key] = {"id": school_id, "number": "41099", "name": "Testschule Sonde",
                          "county_id": world.counties["donnersbergkreis"]}
    return world.schools[key]


async def build_network(world: World, *, port: int = 161, aps_per_school: int = 2,
                        only: tuple[str, ...] | None = None) -> Network:
    network = Network()
    for key, school in world.schools.items():
        if only is not None and key not in only:
            continue
        county, school_id = school["county_id"], school["id"]
        profile = (await SnmpProfile.insert(SnmpProfile(
            county_id=county, name=f"v2c {key}", version="2c", community_encrypted=encrypt(f"community-{key}"),
        )).returning(SnmpProfile.id))[0]["id"]
        rooms = []
        for name, teaching in (("A 1.01", True), ("A 1.02", True), ("A 1.03", True), ("Lehrerzimmer", False)):
            rooms.append((await Room.insert(Room(county_id=county, school_id=school_id, name=name,
                                                 is_teaching=teaching)).returning(Room.id))[0]["id"])
        network.rooms[key] = rooms[:3]
        network.access_points[key] = []
        for index in range(aps_per_school):
            ap = (await AccessPoint.insert(AccessPoint(
                county_id=county, school_id=school_id, name=f"AP {key} {index}", vendor="aruba",
                serial=f"CN{key.upper()}{index:04d}", mac=f"00:1a:1e:{school_id % 256:02x}:00:{index:02x}",
                management_ip="127.0.0.1", snmp_port=port, snmp_profile_id=profile, status="active",
            )).returning(AccessPoint.id))[0]["id"]
            network.access_points[key].append(ap)
            # AP 0 covers rooms 1 and 2, AP 1 covers room 2: room 3 has no WLAN at all.
            for room in rooms[:2] if index == 0 else rooms[1:2]:
                await AccessPointRoom.insert(AccessPointRoom(county_id=county, access_point_id=ap, room_id=room))
        network.uplinks[key] = (await Uplink.insert(Uplink(
            county_id=county, school_id=school_id, provider="Deutsche Glasfaser", line_id=f"DG-{key}",
            technology="fttb", down_mbps=1000, up_mbps=1000, status="live", router_ip="127.0.0.1",
            router_if_index=1, snmp_port=port, snmp_profile_id=profile,
        )).returning(Uplink.id))[0]["id"]
    return network
