"""The day-partitioned raw sample table, and the keys of state and rollups."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T14:32:53:926743"
VERSION = "1.38.0"
DESCRIPTION = "partitioned probe samples; state and rollup keys"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(
        sql(
            # Raw samples, partitioned by day so that retention drops whole partitions (no DELETE
            # bloat). Partitions are created ahead by `schoolit maintenance partitions` and at start;
            # the default partition catches anything outside them.
            """CREATE TABLE probe_sample (
                polled_at timestamptz NOT NULL,
                asset_kind smallint NOT NULL,
                asset_id integer NOT NULL,
                county_id integer NOT NULL,
                probe_id integer NOT NULL,
                reachable boolean NOT NULL,
                response_ms real,
                uptime_ticks bigint,
                clients integer,
                radio_up boolean,
                in_octets numeric(20, 0),
                out_octets numeric(20, 0),
                if_speed_mbps integer,
                oper_status smallint,
                error text
            ) PARTITION BY RANGE (polled_at)""",
            "CREATE TABLE probe_sample_default PARTITION OF probe_sample DEFAULT",
            "CREATE INDEX probe_sample_asset_time ON probe_sample (asset_kind, asset_id, polled_at)",
            "CREATE UNIQUE INDEX probe_asset_state_asset ON probe_asset_state (asset_kind, asset_id)",
            "CREATE UNIQUE INDEX probe_rollup_hourly_asset_hour ON probe_rollup_hourly (asset_kind, asset_id, hour)",
            "CREATE INDEX probe_rollup_hourly_school_hour ON probe_rollup_hourly (school_id, hour)",
            "CREATE UNIQUE INDEX probe_rollup_daily_asset_day ON probe_rollup_daily (asset_kind, asset_id, day)",
            "CREATE INDEX probe_rollup_daily_school_day ON probe_rollup_daily (school_id, day)",
            "CREATE INDEX probe_rollup_daily_county_day ON probe_rollup_daily (county_id, day)",
        )
    )
    return manager
