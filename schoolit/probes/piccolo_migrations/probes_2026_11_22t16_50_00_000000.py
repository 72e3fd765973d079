"""Daily rollups by county and day, covering what the county figures read.

The county and arrangement dashboards add up 30 days of daily rollups of every access point and uplink
of their counties, grouped by school (availability, utilisation peak): on the nationwide dataset
~75,000 rows per county. Through (county_id, day) alone each row was a heap fetch (60 ms of a county
dashboard, bench/pages.py); with the figures in the index it is an index-only scan. This index replaces
`probe_rollup_daily_county_day`, whose key it keeps.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T16:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "probe_rollup_daily: (county_id, day) index covering the dashboards' figures"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(sql(
        "CREATE INDEX probe_rollup_daily_county_figures ON probe_rollup_daily (county_id, day) "
        "INCLUDE (school_id, asset_kind, samples, up_samples, utilisation_max)",
        "DROP INDEX probe_rollup_daily_county_day",
    ))
    return manager
