"""The demo inventory: every demo school has an uplink, rooms, access points, devices and loans, with the
gaps real schools have (no fibre yet, teaching rooms without WLAN); seeding is idempotent (its speed
is a figure for docs/performance.md, not a timed test)."""

from __future__ import annotations

from schoolit.demo import seed_demo
from schoolit.inventory.demo import demo_schools
from schoolit.sql import fetch


async def test_demo_inventory_is_complete_with_realistic_gaps() -> None:
    report = await seed_demo()
    schools = len(demo_schools())
    per_school = await fetch(
        "SELECT s.school_number, (SELECT count(*) FROM uplink u WHERE u.school_id = s.id) AS uplinks, "
        "(SELECT count(*) FROM building b WHERE b.school_id = s.id) AS buildings, "
        "(SELECT count(*) FROM room r WHERE r.school_id = s.id) AS rooms, "
        "(SELECT count(*) FROM access_point a WHERE a.school_id = s.id) AS aps, "
        "(SELECT count(*) FROM device d WHERE d.school_id = s.id) AS devices, "
        "(SELECT count(*) FROM loan l WHERE l.school_id = s.id) AS loans, "
        "EXISTS (SELECT 1 FROM uplink u WHERE u.school_id = s.id AND u.status = 'live' AND u.technology IN "
        "('fttb', 'ftth')) AS fibre FROM school s WHERE s.school_number LIKE '5%'")
    assert len(per_school) == schools
    kinds = ("uplinks", "buildings", "rooms", "aps", "devices", "loans")
    assert all(min(r[kind] for kind in kinds) > 0 for r in per_school)
    without_fibre = sum(not r["fibre"] for r in per_school)
    assert 0.3 * schools < without_fibre < 0.7 * schools  # about half still wait for fibre
    technologies = {r["technology"] for r in await fetch("SELECT DISTINCT technology FROM uplink")}
    assert {"fttb", "vdsl", "cable"} <= technologies
    assert {r["status"] for r in await fetch("SELECT DISTINCT status FROM uplink")} >= {"live", "planned"}
    vendors = {r["vendor"] for r in await fetch("SELECT DISTINCT vendor FROM access_point")}
    assert vendors == {"aruba", "cisco", "unifi", "lancom"}
    uncovered = await fetch("SELECT count(*) AS n FROM room r WHERE r.is_teaching AND NOT EXISTS (SELECT 1 FROM "
                            "access_point_room ar WHERE ar.room_id = r.id)")
    assert uncovered[0]["n"] > 0  # rooms without WLAN
    outside = await fetch("SELECT count(*) AS n FROM access_point a JOIN school s ON s.id = a.school_id "
                          "WHERE NOT (a.management_ip <<= s.management_prefix)")
    assert outside[0]["n"] == 0
    states = await fetch("SELECT count(*) FILTER (WHERE returned_on IS NULL AND due_on < current_date) AS overdue, "
                         "count(*) FILTER (WHERE returned_on IS NOT NULL) AS returned FROM loan")
    assert states[0]["overdue"] > 0 and states[0]["returned"] > 0
    assert report.inventory["access_points"] == sum(r["aps"] for r in per_school)
    again = await seed_demo()
    assert again.inventory == report.inventory  # idempotent by natural keys
