"""Hand-built schools on the edges of the traffic lights, in Donnersbergkreis next to the test world's.

Written with the tables directly (plus the tickets service for tickets): what is under test is how the
dashboards read this data, not how the inventory writes it. Figures that depend on time are placed
relative to `NOW`, which the tests pass to the services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from schoolit.accounts.scope import Scope
from schoolit.inventory.services import upsert_school
from schoolit.inventory.tables import AccessPoint, AccessPointRoom, Device, Loan, Room, Uplink
from schoolit.probes.choices import AssetKind
from schoolit.sql import fetch
from schoolit.tickets import services as tickets
from tests.integration.tickets.world import category_id
from tests.integration.world import World

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TODAY = NOW.astimezone(ZoneInfo("Europe/Berlin")).date()  # rollup days are Berlin dates
SYSTEM = Scope.system("dashboard edges")


@dataclass
class Edges:
    schools: dict[str, int] = field(default_factory=dict)  # school number -> id
    access_points: dict[str, list[int]] = field(default_factory=dict)
    uplinks: dict[str, list[int]] = field(default_factory=dict)
    rooms: dict[str, list[str]] = field(default_factory=dict)


async def _school(world: World, edges: Edges, number: str, name: str, pupils: int = 100) -> int:
    school_id = await upsert_school(county_id=world.counties["donnersbergkreis"], school_number=number, name=name,
                                    school_type="igs", city="Göllheim", pupils=pupils)
    edges.schools[number] = school_id
    return school_id


async def _uplink(world: World, edges: Edges, number: str, down: int, up: int, status: str = "live") -> int:
    uplink_id = (await Uplink.insert(Uplink(
        county_id=world.counties["donnersbergkreis"], school_id=edges.schools[number], provider="Testnetz",
        line_id=f"L-{number}-{down}-{up}-{status}", technology="fttb", down_mbps=down, up_mbps=up, status=status,
    )).returning(Uplink.id))[0]["id"]
    edges.uplinks.setdefault(number, []).append(uplink_id)
    return int(uplink_id)


async def _rooms_and_aps(world: World, edges: Edges, number: str, names: list[str], reachable: bool | None,
                         aps: int = 2) -> None:
    """Teaching rooms all covered by `aps` access points, whose last poll was recent and up (True),
    recent and down (False), or that were never polled (None)."""
    county, school_id = world.counties["donnersbergkreis"], edges.schools[number]
    rooms = [(await Room.insert(Room(county_id=county, school_id=school_id, name=name, is_teaching=True))
              .returning(Room.id))[0]["id"] for name in names]
    edges.rooms[number] = names
    for index in range(aps):
        ap_id = (await AccessPoint.insert(AccessPoint(
            county_id=county, school_id=school_id, name=f"AP {number}-{index}", serial=f"SN{number}{index}",
            status="active")).returning(AccessPoint.id))[0]["id"]
        edges.access_points.setdefault(number, []).append(ap_id)
        for room in rooms[index::aps]:
            await AccessPointRoom.insert(AccessPointRoom(county_id=county, access_point_id=ap_id, room_id=room))
        if reachable is not None:
            await state(world, edges, number, AssetKind.ACCESS_POINT, ap_id, reachable=reachable)


async def state(world: World, edges: Edges, number: str, kind: AssetKind, asset_id: int, *, reachable: bool,
                polled: dt.datetime | None = None) -> None:
    await fetch("INSERT INTO probe_asset_state (asset_kind, asset_id, county_id, school_id, last_polled_at, reachable, "
                "consecutive_failures, reboots, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}, 0, {})",
                int(kind), asset_id, world.counties["donnersbergkreis"], edges.schools[number],
                # The pages read the clock, not NOW: a poll 3 minutes before whichever is later stays live
                # however long after this module's import (NOW) the test runs (a slow machine: 50 minutes).
                polled or max(NOW, dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=3), reachable,
                0 if reachable else 3, NOW)  # down: as many failed polls as open an outage ticket


async def daily(world: World, edges: Edges, number: str, kind: AssetKind, asset_id: int, day: dt.date, *,
                samples: int, up: int, utilisation_max: float | None = None) -> None:
    await fetch("INSERT INTO probe_rollup_daily (asset_kind, asset_id, day, county_id, school_id, samples, up_samples, "
                "clients_sum, rate_samples, in_mbps_sum, out_mbps_sum, utilisation_max) "
                "VALUES ({}, {}, {}, {}, {}, {}, {}, 0, 0, 0, 0, {})",
                int(kind), asset_id, day, world.counties["donnersbergkreis"], edges.schools[number], samples, up,
                utilisation_max)


async def hourly(world: World, edges: Edges, number: str, kind: AssetKind, asset_id: int, hour: dt.datetime, *,
                 utilisation_max: float) -> None:
    await fetch("INSERT INTO probe_rollup_hourly (asset_kind, asset_id, hour, county_id, school_id, samples, "
                "up_samples, clients_sum, rate_samples, in_mbps_sum, out_mbps_sum, utilisation_max) "
                "VALUES ({}, {}, {}, {}, {}, 12, 12, 0, 0, 0, 0, {})",
                int(kind), asset_id, hour, world.counties["donnersbergkreis"], edges.schools[number], utilisation_max)


async def _devices(world: World, edges: Edges, number: str, statuses: list[str]) -> list[int]:
    county, school_id = world.counties["donnersbergkreis"], edges.schools[number]
    return [(await Device.insert(Device(county_id=county, school_id=school_id, serial=f"D{number}-{i}", status=status))
             .returning(Device.id))[0]["id"] for i, status in enumerate(statuses)]


async def _loan(world: World, edges: Edges, number: str, device_id: int, due_on: dt.date,
                returned_on: dt.date | None = None) -> None:
    await Loan.insert(Loan(county_id=world.counties["donnersbergkreis"], school_id=edges.schools[number],
                           device_id=device_id, pupil_ref=f"ref-{device_id}", class_name="7a",
                           lent_on=TODAY - dt.timedelta(days=200), due_on=due_on, returned_on=returned_on))


async def ticket(edges: Edges, number: str, *, status: str = "new", breached: bool = False,
                 created: dt.datetime | None = None, resolved: dt.datetime | None = None) -> int:
    created_ticket, _ = await tickets.create_ticket(SYSTEM, tickets.NewTicket(
        school_id=edges.schools[number], category_id=await category_id(), subject=f"Störung {number}"))
    await fetch("UPDATE ticket SET status = {}, sla_breached = {}, created_at = {}, resolved_at = {} WHERE id = {}",
                status, breached, created or NOW - dt.timedelta(hours=1), resolved, created_ticket["id"])
    return int(created_ticket["id"])


# School numbers of the edges.
GIGABIT = "50001"  # 1,000/1,000 live: green
ALMOST = "50002"  # 999/1,000 live: amber
ASYMMETRIC = "50003"  # 1,000/100 live: amber
NO_UPLINK = "50004"  # red
PLANNED = "50005"  # a planned 1,000/1,000 line only: red
NO_ROOMS = "50006"  # coverage grey
ALL_DOWN = "50007"  # every access point answered "down": live coverage 0 %, red, rooms listed
FULL = "50008"  # everything measured: coverage green, devices, loans, availability, utilisation, tickets
NO_PUPILS = "50009"  # devices grey


async def build_edges(world: World) -> Edges:
    edges = Edges()
    await _school(world, edges, GIGABIT, "Gigabit-Gymnasium")
    await _uplink(world, edges, GIGABIT, 1000, 1000)
    await _uplink(world, edges, GIGABIT, 100, 40)  # a slower second line: the best live one counts
    await _school(world, edges, ALMOST, "Fast-Gigabit-Realschule")
    await _uplink(world, edges, ALMOST, 999, 1000)
    await _school(world, edges, ASYMMETRIC, "Asymmetrie-IGS")
    await _uplink(world, edges, ASYMMETRIC, 1000, 100)
    await _school(world, edges, NO_UPLINK, "Ohne-Anschluss-Förderschule")
    await _school(world, edges, PLANNED, "Geplant-BBS")
    await _uplink(world, edges, PLANNED, 1000, 1000, status="planned")
    await _school(world, edges, NO_ROOMS, "Ohne-Räume-Schule")
    await _school(world, edges, ALL_DOWN, "Alles-aus-Gymnasium")
    await _rooms_and_aps(world, edges, ALL_DOWN, ["B 1.01", "B 1.02", "B 1.03"], reachable=False)
    await _school(world, edges, NO_PUPILS, "Ohne-Schüler-Schule", pupils=0)
    await _devices(world, edges, NO_PUPILS, ["stock"])

    await _school(world, edges, FULL, "Voll-gemessen-Gymnasium", pupils=10)
    await _uplink(world, edges, FULL, 1000, 1000)
    await _rooms_and_aps(world, edges, FULL, ["C 1", "C 2", "C 3", "C 4"], reachable=True)
    # 10 devices: 2 retired and 1 lost do not count -> 7 for 10 pupils = 0.7 (amber).
    devices = await _devices(world, edges, FULL, ["lent", "lent", "lent", "stock", "stock", "repair", "stock",
                                                  "retired", "retired", "lost"])
    await _loan(world, edges, FULL, devices[0], TODAY + dt.timedelta(days=30))
    await _loan(world, edges, FULL, devices[1], TODAY - dt.timedelta(days=2))  # overdue
    await _loan(world, edges, FULL, devices[2], TODAY - dt.timedelta(days=5), returned_on=TODAY)  # returned
    # Access points: 288 + 270 up of 576 samples in the window (96.875 %, amber); older rows do not count.
    first, second = edges.access_points[FULL]
    await daily(world, edges, FULL, AssetKind.ACCESS_POINT, first, TODAY - dt.timedelta(days=1), samples=288, up=288)
    await daily(world, edges, FULL, AssetKind.ACCESS_POINT, second, TODAY - dt.timedelta(days=2), samples=288, up=270)
    await daily(world, edges, FULL, AssetKind.ACCESS_POINT, first, TODAY - dt.timedelta(days=40), samples=288, up=0)
    uplink = edges.uplinks[FULL][0]
    await daily(world, edges, FULL, AssetKind.UPLINK, uplink, TODAY - dt.timedelta(days=3), samples=288, up=288,
                utilisation_max=0.85)
    await daily(world, edges, FULL, AssetKind.UPLINK, uplink, TODAY - dt.timedelta(days=45), samples=288, up=288,
                utilisation_max=0.99)
    # Tickets: 2 open (1 breaching), resolved in 10 h and 30 h and 2 h (median 10 h), 1 resolved too long ago.
    await ticket(edges, FULL, status="new", breached=True)
    await ticket(edges, FULL, status="in_progress")
    for hours, days_ago in ((10, 2), (30, 5), (2, 20)):
        resolved = NOW - dt.timedelta(days=days_ago)
        await ticket(edges, FULL, status="resolved", created=resolved - dt.timedelta(hours=hours), resolved=resolved)
    await ticket(edges, FULL, status="closed", created=NOW - dt.timedelta(days=120),
                 resolved=NOW - dt.timedelta(days=100))
    return edges


def row(body: dict[str, Any], number: str) -> dict[str, Any]:
    """One school's row of a county dashboard's JSON."""
    found = [s for s in body["schools"] if s["school_number"] == number]
    assert len(found) == 1, number
    return found[0]
