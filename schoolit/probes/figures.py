"""Figures derived from probe data: availability, live WLAN coverage, uplink utilisation.

Availability is up samples / samples over a window, from hourly rollups (24 h) or daily ones (7 d and
30 d, Europe/Berlin days including today; `probe_rollup_days`, finished and open days): access points
keep hourly rollups only a day (PROBE_AP_HOURLY_RETENTION_DAYS), so anything longer has to come from
the daily ones.

Live coverage counts teaching rooms covered by an access point that answered its latest poll, and
only while that poll is recent (older state is "unknown", not "up").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from schoolit.accounts.scope import Scope
from schoolit.db import fetch
from schoolit.inventory import services as inventory
from schoolit.probes.choices import AssetKind

STALE_AFTER = dt.timedelta(minutes=30)  # probes run every 5 minutes; three missed runs is stale
WINDOWS = {"24h": dt.timedelta(hours=24), "7d": dt.timedelta(days=7), "30d": dt.timedelta(days=30)}
DAILY_WINDOWS = {"7d": 7, "30d": 30}  # windows answered from daily rollups: the last N days
# Availability of the rollup rows summed: up samples / samples (None without samples).
SHARE = "sum(up_samples)::float / nullif(sum(samples), 0)"
# The last `days` days of daily rollups (days are Europe/Berlin dates): `{}` is now, then the days.
DAYS_WINDOW = "day > ({}::timestamptz AT TIME ZONE 'Europe/Berlin')::date - {}::int"
# An access point (alias `a`, its state `s`) gives working WLAN when it is active and answered its latest
# poll, and that poll is recent: `{}` is the moment after which a poll counts (now - STALE_AFTER).
AP_COVERS_LIVE = "a.status = 'active' AND s.reachable AND s.last_polled_at > {}"
# A room (alias `r`) has working WLAN when such an access point covers it.
LIVE_COVERED = ("EXISTS (SELECT 1 FROM access_point_room c JOIN access_point a ON a.id = c.access_point_id "  # noqa: S608
                f"JOIN probe_asset_state s ON s.asset_kind = {int(AssetKind.ACCESS_POINT)} AND s.asset_id = a.id "
                f"WHERE c.room_id = r.id AND {AP_COVERS_LIVE})")


async def availability(school_id: int, asset_kind: AssetKind, now: dt.datetime) -> dict[int, dict[str, float | None]]:
    """Per asset of one school: availability (0..1, None without samples) over 24 h, 7 d and 30 d."""
    result: dict[int, dict[str, float | None]] = {}
    for window, length in WINDOWS.items():
        if window in DAILY_WINDOWS:
            rows = await fetch(
                f"SELECT asset_id, {SHARE} AS share FROM probe_rollup_days "  # noqa: S608 (constants)
                f"WHERE school_id = {{}} AND asset_kind = {{}} AND {DAYS_WINDOW} GROUP BY asset_id",
                school_id, int(asset_kind), now, DAILY_WINDOWS[window])
        else:
            rows = await fetch(
                f"SELECT asset_id, {SHARE} AS share FROM probe_rollup_hourly "  # noqa: S608 (constants)
                "WHERE school_id = {} AND asset_kind = {} AND hour > {} GROUP BY asset_id",
                school_id, int(asset_kind), now - length)
        for row in rows:
            result.setdefault(row["asset_id"], {w: None for w in WINDOWS})[window] = row["share"]
    return result


async def school_network(scope: Scope, school_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """Live status of a school's access points and uplink, coverage planned and live."""
    # The inventory's planned coverage also checks permission and scope (404 outside it).
    planned = await inventory.school_coverage(scope, school_id)
    now = now or dt.datetime.now(dt.UTC)
    fresh_after = now - STALE_AFTER
    access_points = await fetch(
        "SELECT ap.id, ap.name, ap.vendor, ap.status, s.reachable, s.last_polled_at, s.clients, s.reboots, "
        "s.last_reboot_at, s.down_since, (s.reachable AND s.last_polled_at > {}) AS live "
        "FROM access_point ap LEFT JOIN probe_asset_state s ON s.asset_kind = {} AND s.asset_id = ap.id "
        "WHERE ap.school_id = {} AND ap.status <> 'retired' ORDER BY ap.name, ap.id",
        fresh_after, int(AssetKind.ACCESS_POINT), school_id)
    shares = await availability(school_id, AssetKind.ACCESS_POINT, now)
    for ap in access_points:
        ap["live"] = bool(ap["live"])
        ap["availability"] = shares.get(ap["id"], {w: None for w in WINDOWS})
    # Planned coverage is the inventory's figure (one definition); live coverage adds the probes' view.
    coverage = (await fetch(
        f"SELECT count(*) FILTER (WHERE r.is_teaching AND {LIVE_COVERED}) AS live "  # noqa: S608 (constants)
        "FROM room r WHERE r.school_id = {}", fresh_after, school_id))[0]
    rooms_without_wlan = await fetch(
        f"SELECT r.id, r.name FROM room r WHERE r.school_id = {{}} AND r.is_teaching AND NOT {LIVE_COVERED} "  # noqa: S608
        "ORDER BY r.name", school_id, fresh_after)
    teaching = planned["teaching_rooms"]
    uplinks = await fetch(
        "SELECT u.id, u.provider, u.down_mbps, u.up_mbps, u.status, s.reachable, s.last_polled_at, s.in_mbps, "
        "s.out_mbps, s.utilisation, (s.reachable AND s.last_polled_at > {}) AS live, "
        "(SELECT max(h.utilisation_max) FROM probe_rollup_hourly h WHERE h.asset_kind = {} AND h.asset_id = u.id "
        " AND h.hour > {}) AS utilisation_peak_7d "
        "FROM uplink u LEFT JOIN probe_asset_state s ON s.asset_kind = {} AND s.asset_id = u.id "
        "WHERE u.school_id = {} ORDER BY u.id",
        fresh_after, int(AssetKind.UPLINK), now - WINDOWS["7d"], int(AssetKind.UPLINK), school_id)
    uplink_shares = await availability(school_id, AssetKind.UPLINK, now)
    for uplink in uplinks:
        uplink["live"] = bool(uplink["live"])
        uplink["availability"] = uplink_shares.get(uplink["id"], {w: None for w in WINDOWS})
    return {
        "school_id": school_id,
        "access_points": access_points,
        "uplinks": uplinks,
        "coverage": {
            "teaching_rooms": teaching,
            "planned": planned["planned_coverage"],
            "live": coverage["live"] / teaching if teaching else None,
            "rooms_without_working_wlan": rooms_without_wlan,
        },
    }
