"""Figures derived from probe data: availability, live WLAN coverage, uplink utilisation.

Availability is up samples / samples over a window, from hourly rollups (24 h) or daily ones (7 d and
30 d, Europe/Berlin days including today; `probe_rollup_days`, finished and open days): access points
keep hourly rollups only a day (PROBE_AP_HOURLY_RETENTION_DAYS), so anything longer has to come from
the daily ones.

Hourly rollups are read by `hour = ANY(the window's hours)`: their indexes lead with the hour, because
each hour's rows of every asset are written together when it has ended (see `hours_after`).

Live coverage counts teaching rooms covered by an access point that answered its latest poll, and
only while that poll is recent (older state is "unknown", not "up").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from schoolit.accounts.scope import Scope
from schoolit.inventory import services as inventory
from schoolit.probes.choices import AssetKind
from schoolit.settings import get_settings
from schoolit.sql import fetch

STALE_AFTER = dt.timedelta(minutes=30)  # probes run every 5 minutes; three missed runs is stale
WINDOWS = {"24h": dt.timedelta(hours=24), "7d": dt.timedelta(days=7), "30d": dt.timedelta(days=30)}
HOUR = dt.timedelta(hours=1)
DAILY_WINDOWS = {"7d": 7, "30d": 30}  # windows answered from daily rollups: the last N days
# Availability of the rollup rows summed: up samples / samples (None without samples).
SHARE = "sum(up_samples)::float / nullif(sum(samples), 0)"
# The last `days` days of daily rollups (days are Europe/Berlin dates): `{}` is now, then the days.
DAYS_WINDOW = "day > ({}::timestamptz AT TIME ZONE 'Europe/Berlin')::date - {}::int"
# An access point (alias `a`, its state `s`) gives working WLAN when it is active, its latest poll is
# recent, it has not failed as many polls in a row as open an outage ticket (OUTAGE_AFTER_FAILURES: one
# lost poll does not flip a room), and its radios are not all down (the figure of its latest answer).
# `{}`: the moment after which a poll counts (now - STALE_AFTER), then the failure threshold.
AP_COVERS_LIVE = ("a.status = 'active' AND s.last_polled_at > {} AND (s.reachable OR s.consecutive_failures < {}) "
                  "AND s.radio_up IS NOT FALSE")
# A room (alias `r`) has working WLAN when such an access point covers it.
LIVE_COVERED = ("EXISTS (SELECT 1 FROM access_point_room c JOIN access_point a ON a.id = c.access_point_id "  # noqa: S608
                f"JOIN probe_asset_state s ON s.asset_kind = {int(AssetKind.ACCESS_POINT)} AND s.asset_id = a.id "
                f"WHERE c.room_id = r.id AND {AP_COVERS_LIVE})")


# Per teaching room whether an access point covers it as planned (the inventory's condition) and with working
# WLAN, as joins restricted to the counties rather than a subquery per room. (The county conditions on the
# joined tables are implied — their rows carry their room's county — but let the planner read only the
# counties' rows through their county_id indexes.) `{}`: the moment after which a poll counts, the failure
# threshold, then the counties four times.
_ROOM_COVERAGE = (
    "SELECT school_id, count(*) AS teaching, count(*) FILTER (WHERE planned) AS planned, "  # noqa: S608 (constants)
    "count(*) FILTER (WHERE live) AS live, count(*) FILTER (WHERE measured) AS measured, "
    "coalesce(array_agg(name ORDER BY name) FILTER (WHERE NOT live), ARRAY[]::text[]) AS without_wlan "
    f"FROM (SELECT r.school_id, r.name, coalesce(bool_or({inventory.AP_COVERS_AS_PLANNED}), false) AS planned, "
    f"      coalesce(bool_or({AP_COVERS_LIVE}), false) AS live, bool_or(s.asset_id IS NOT NULL) AS measured "
    "      FROM room r "
    "      LEFT JOIN access_point_room ar ON ar.room_id = r.id AND ar.county_id = ANY({}) "
    "      LEFT JOIN access_point a ON a.id = ar.access_point_id AND a.county_id = ANY({}) "
    # The state rows restricted by county too: for several counties (an arrangement) the planner otherwise
    # hashes all ~1,000,000 state rows of the country (190 of 340 ms, bench/pages.py).
    f"     LEFT JOIN probe_asset_state s ON s.asset_kind = {int(AssetKind.ACCESS_POINT)} AND s.asset_id = a.id "
    "      AND s.county_id = ANY({}) "
    "      WHERE r.county_id = ANY({}) AND r.is_teaching GROUP BY r.id, r.school_id, r.name) AS rooms "
    "GROUP BY school_id")
_ROLLUPS = (f"SELECT school_id, asset_kind, {SHARE} AS share, sum(up_samples)::bigint AS up, "  # noqa: S608
            "sum(samples)::bigint AS samples, max(utilisation_max) AS peak FROM probe_rollup_days "
            f"WHERE county_id = ANY({{}}) AND {DAYS_WINDOW} GROUP BY school_id, asset_kind")


# When the device last started: its sysUpTime (1/100 s) back from the poll that read it, while it answers.
_UP_SINCE = "CASE WHEN s.reachable THEN s.last_polled_at - s.uptime_ticks * interval '10 milliseconds' END AS up_since"


def hours_after(since: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
    """The hours after `since` up to the one holding `until` and the next (a probe whose clock runs a little
    ahead files its samples there), as derivation bins samples (UTC hours).

    Readers ask the hourly rollups for exactly these (`hour = ANY(…)`: one descent per hour into an index
    that leads with the hour) instead of a range `hour > since`, which such an index could only answer by
    scanning every asset's rows of the window. The indexes lead with the hour because a million access
    points end an hour within a minute: led by the asset, each of those rows went into a random leaf page
    (a full-page image in the WAL apiece); led by the hour, they fill the hour's own new pages.
    """
    first = since.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0) + HOUR
    count = int((until - first) // HOUR) + 2
    return [first + i * HOUR for i in range(max(count, 0))]


def _failures() -> int:
    """Failed polls in a row that make an access point's WLAN count as gone (as for outage tickets)."""
    return get_settings().outage_after_failures


def _visible(scope: Scope, county_ids: Sequence[int]) -> list[int]:
    """The counties asked for that the scope sees."""
    return sorted(c for c in county_ids if scope.sees_county(c))


async def room_coverage(scope: Scope, county_ids: Sequence[int], now: dt.datetime) -> dict[int, dict[str, Any]]:
    """Per school of the counties: `teaching` rooms, how many are covered as `planned` and `live`, how many
    have an access point a probe has `measured` at all (none: live coverage is not known yet), and the names
    of teaching rooms `without_wlan` now."""
    ids = _visible(scope, county_ids)
    rows = await fetch(_ROOM_COVERAGE, now - STALE_AFTER, _failures(), ids, ids, ids, ids)
    return {row["school_id"]: row for row in rows}


async def rollup_figures(scope: Scope, county_ids: Sequence[int], now: dt.datetime,
                         days: int) -> dict[tuple[int, int], dict[str, Any]]:
    """Per (school, asset kind) over the last `days` days: availability `share`, `up` and all `samples`,
    and the `peak` utilisation."""
    rows = await fetch(_ROLLUPS, _visible(scope, county_ids), now, days)
    return {(row["school_id"], row["asset_kind"]): row for row in rows}


async def daily_availability(school_id: int, asset_kind: AssetKind, now: dt.datetime,
                             days: int) -> dict[int, dict[dt.date, float | None]]:
    """Per asset of one school its availability on each of the last `days` days (the caller checked the
    school's scope)."""
    result: dict[int, dict[dt.date, float | None]] = defaultdict(dict)
    for row in await fetch(
            f"SELECT asset_id, day, {SHARE} AS share FROM probe_rollup_days "  # noqa: S608 (constants)
            f"WHERE school_id = {{}} AND asset_kind = {{}} AND {DAYS_WINDOW} GROUP BY asset_id, day",
            school_id, int(asset_kind), now, days):
        result[row["asset_id"]][row["day"]] = row["share"]
    return result


async def hourly_peaks(school_id: int, asset_kind: AssetKind, since: dt.datetime,
                       until: dt.datetime) -> list[tuple[dt.datetime, Any]]:
    """(hour, peak utilisation) of one school's assets of a kind after a moment up to another, oldest first."""
    rows = await fetch(
        "SELECT hour, max(utilisation_max) AS peak FROM probe_rollup_hours WHERE school_id = {} "
        "AND asset_kind = {} AND hour = ANY({}) GROUP BY hour ORDER BY hour",
        school_id, int(asset_kind), hours_after(since, until))
    return [(row["hour"], row["peak"]) for row in rows]


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
                f"SELECT asset_id, {SHARE} AS share FROM probe_rollup_hours "  # noqa: S608 (constants)
                "WHERE school_id = {} AND asset_kind = {} AND hour = ANY({}) GROUP BY asset_id",
                school_id, int(asset_kind), hours_after(now - length, now))
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
        "s.last_reboot_at, s.down_since, (s.reachable AND s.last_polled_at > {}) AS live, " + _UP_SINCE + " "
        "FROM access_point ap LEFT JOIN probe_asset_state s ON s.asset_kind = {} AND s.asset_id = ap.id "
        f"WHERE ap.school_id = {{}} AND {inventory.ap_counted('ap')} ORDER BY ap.name, ap.id",
        fresh_after, int(AssetKind.ACCESS_POINT), school_id)
    shares = await availability(school_id, AssetKind.ACCESS_POINT, now)
    for ap in access_points:
        ap["live"] = bool(ap["live"])
        ap["availability"] = shares.get(ap["id"], {w: None for w in WINDOWS})
    # Planned coverage is the inventory's figure (one definition); live coverage adds the probes' view.
    coverage = (await fetch(
        f"SELECT count(*) FILTER (WHERE r.is_teaching AND {LIVE_COVERED}) AS live "  # noqa: S608 (constants)
        "FROM room r WHERE r.school_id = {}", fresh_after, _failures(), school_id))[0]
    rooms_without_wlan = await fetch(
        f"SELECT r.id, r.name FROM room r WHERE r.school_id = {{}} AND r.is_teaching AND NOT {LIVE_COVERED} "  # noqa: S608
        "ORDER BY r.name", school_id, fresh_after, _failures())
    teaching = planned["teaching_rooms"]
    uplinks = await fetch(
        "SELECT u.id, u.provider, u.down_mbps, u.up_mbps, u.status, s.reachable, s.last_polled_at, s.in_mbps, "  # noqa: S608
        "s.out_mbps, s.utilisation, (s.reachable AND s.last_polled_at > {}) AS live, " + _UP_SINCE + ", "
        "(SELECT max(h.utilisation_max) FROM probe_rollup_hours h WHERE h.asset_kind = {} AND h.asset_id = u.id "
        " AND h.hour = ANY({})) AS utilisation_peak_7d "
        "FROM uplink u LEFT JOIN probe_asset_state s ON s.asset_kind = {} AND s.asset_id = u.id "
        "WHERE u.school_id = {} ORDER BY u.id",
        fresh_after, int(AssetKind.UPLINK), hours_after(now - WINDOWS["7d"], now), int(AssetKind.UPLINK), school_id)
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
