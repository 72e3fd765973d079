"""A covering index for the county dashboards' 30-day figures from the daily rollups."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T16:32:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "covering index of daily rollups by county and day"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(
        sql(
            # The county dashboard sums 30 days of every access point and uplink of a county (~75,000 rows
            # for 2,500 access points), grouped by school: with the figures in the index it reads them in
            # index order without visiting the table, whose rows of a county lie scattered among all
            # counties' rows of the day. It replaces the plain (county_id, day) index, whose queries it serves.
            "CREATE INDEX probe_rollup_daily_county_day_figures ON probe_rollup_daily (county_id, day) "
            "INCLUDE (school_id, asset_kind, samples, up_samples, utilisation_max)",
            "DROP INDEX IF EXISTS probe_rollup_daily_county_day",
        )
    )
    return manager
