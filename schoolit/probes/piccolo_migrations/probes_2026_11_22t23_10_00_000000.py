"""The current day's rollups in a table of their own, so that their updates stay heap-only.

Every derivation pass merged into each polled asset's daily row. The daily table's covering index
for the county dashboards holds the figures the merge changes, so none of these updates could be
heap-only: each wrote a new row version on another page and into all three indexes, the largest part
of a pass over one poll per asset. Days still open (today, Europe/Berlin) now go to
`probe_rollup_today`, whose indexes hold no figures; the first pass after midnight moves the finished
days into `probe_rollup_daily` (see the next migration for late samples). Readers see both through
the view `probe_rollup_days` (rollups merge by addition, so a day in both tables sums up right).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T23:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "open days' rollups apart from the finished days'"

_FIGURES = ("samples, up_samples, clients_sum, clients_max, rate_samples, in_mbps_sum, out_mbps_sum, in_mbps_max, "
            "out_mbps_max, utilisation_max")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(
        sql(
            """CREATE TABLE probe_rollup_today (
                asset_kind smallint NOT NULL,
                asset_id integer NOT NULL,
                day date NOT NULL,
                county_id integer NOT NULL,
                school_id integer NOT NULL,
                samples integer NOT NULL DEFAULT 0,
                up_samples integer NOT NULL DEFAULT 0,
                clients_sum bigint NOT NULL DEFAULT 0,
                clients_max integer,
                rate_samples integer NOT NULL DEFAULT 0,
                in_mbps_sum real NOT NULL DEFAULT 0,
                out_mbps_sum real NOT NULL DEFAULT 0,
                in_mbps_max real,
                out_mbps_max real,
                utilisation_max real,
                PRIMARY KEY (asset_kind, asset_id, day)
            ) WITH (fillfactor = 50)""",
            # Keys that no pass changes: every update of the figures stays on the row's page.
            "CREATE INDEX probe_rollup_today_school_day ON probe_rollup_today (school_id, day)",
            "CREATE INDEX probe_rollup_today_county_day ON probe_rollup_today (county_id, day)",
            "CREATE INDEX probe_rollup_today_day ON probe_rollup_today (day)",  # the days to close
            f"""CREATE VIEW probe_rollup_days AS
                SELECT asset_kind, asset_id, day, county_id, school_id, {_FIGURES} FROM probe_rollup_daily
                UNION ALL
                SELECT asset_kind, asset_id, day, county_id, school_id, {_FIGURES} FROM probe_rollup_today""",
        )
    )
    return manager
