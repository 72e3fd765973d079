"""The finished hours' and days' rollups indexed by period first.

When an hour ends, every access point's first poll of the next one writes the ended hour's row to
`probe_rollup_hourly`: a million rows within a minute, at the start of every hour. Indexed by asset
first (`(asset_kind, asset_id, hour)` and `(school_id, hour)`), each of those rows went into a leaf page
of its own among all assets' rows of the last day, and the first change of a page after a checkpoint
writes the whole page to the WAL: on the nationwide dataset 1.7 GB of WAL for an hour's 960,000 rows
(177,000 full-page images), and the derivation a million samples behind for minutes. Indexed by the hour
first, an hour's rows fill that hour's own new leaf pages at the end of each index (398 MB, 21 images).

Readers ask for the hours of their window (`hour = ANY(…)`, `schoolit.probes.figures.hours_after`),
one index descent per hour. The daily rollups get the same key order for the day's end at midnight; no
reader looks them up by asset (they read by school or county, whose indexes stay).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-06T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hourly and daily rollups indexed by period first"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "DROP INDEX probe_rollup_hourly_asset_hour",
            "DROP INDEX probe_rollup_hourly_school_hour",
            "CREATE UNIQUE INDEX probe_rollup_hourly_hour_asset ON probe_rollup_hourly (hour, asset_kind, asset_id)",
            "CREATE INDEX probe_rollup_hourly_hour_school ON probe_rollup_hourly (hour, school_id)",
            "DROP INDEX probe_rollup_daily_asset_day",
            "CREATE UNIQUE INDEX probe_rollup_daily_day_asset ON probe_rollup_daily (day, asset_kind, asset_id)",
        )
    )
    return manager
