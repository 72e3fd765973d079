"""Baseline of the probes domain, part 2: raw samples, today's rollups, keys and storage settings.

Piccolo runs a migration's raw steps before its table changes, so the SQL that needs the tables
lives in this second file after `probes_2026_11_22t00_00_00_000000` (the tables). Together they
replace the chain of 2026-11-22 (see `schoolit.migrations.SQUASHED` for databases that ran it).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T00:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "baseline: partitioned samples, open days' rollups, rollup keys, fillfactors"

_FIGURES = ("samples, up_samples, clients_sum, clients_max, rate_samples, in_mbps_sum, out_mbps_sum, in_mbps_max, "
            "out_mbps_max, utilisation_max")


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
                error text,
                batch_id bigint
            ) PARTITION BY RANGE (polled_at)""",
            "CREATE TABLE probe_sample_default PARTITION OF probe_sample DEFAULT",
            "CREATE INDEX probe_sample_asset_time ON probe_sample (asset_kind, asset_id, polled_at)",
            # A derivation pass reads its batches' rows and nothing else. Batch ids only grow, so the
            # b-tree takes each row at its rightmost page. (A BRIN index skips only page ranges vacuum
            # has summarised; the newest pages, where a pass's batches lie, never are.)
            "CREATE INDEX probe_sample_batch_id ON probe_sample (batch_id)",
            "CREATE INDEX probe_ingest_batch_pending ON probe_ingest_batch (id) WHERE derived_at IS NULL",
            "CREATE UNIQUE INDEX probe_asset_state_asset ON probe_asset_state (asset_kind, asset_id)",
            "CREATE UNIQUE INDEX probe_rollup_hourly_asset_hour ON probe_rollup_hourly (asset_kind, asset_id, hour)",
            "CREATE INDEX probe_rollup_hourly_school_hour ON probe_rollup_hourly (school_id, hour)",
            "CREATE UNIQUE INDEX probe_rollup_daily_asset_day ON probe_rollup_daily (asset_kind, asset_id, day)",
            "CREATE INDEX probe_rollup_daily_school_day ON probe_rollup_daily (school_id, day)",
            # The county dashboard sums 30 days of every access point and uplink of a county (~75,000 rows
            # for 2,500 access points), grouped by school: with the figures in the index it reads them in
            # index order without visiting the table, whose rows of a county lie scattered among all
            # counties' rows of the day.
            "CREATE INDEX probe_rollup_daily_county_day_figures ON probe_rollup_daily (county_id, day) "
            "INCLUDE (school_id, asset_kind, samples, up_samples, utilisation_max)",
            # Every derivation pass rewrites the state row of every asset it saw, and the current hour's
            # rollup row. With free room on the page the update is heap-only and old versions are pruned
            # in place (the state of 2,000 access points: 11 MB after 60 passes on full pages, 0.5 MB).
            "ALTER TABLE probe_asset_state SET (fillfactor = 50)",
            "ALTER TABLE probe_rollup_hourly SET (fillfactor = 70)",
            # The open days' rollups apart from the finished days': the daily table's covering index
            # holds the figures a pass changes, so no update there can be heap-only. Derivation writes
            # every day's rollups here, late samples included; the first pass of a day moves the rows
            # of earlier days to probe_rollup_daily. Indexes hold only keys no pass changes.
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
            "CREATE INDEX probe_rollup_today_school_day ON probe_rollup_today (school_id, day)",
            "CREATE INDEX probe_rollup_today_county_day ON probe_rollup_today (county_id, day)",
            "CREATE INDEX probe_rollup_today_day ON probe_rollup_today (day)",  # the days to close
            # Readers see both tables through one view (rollups merge by addition, so a day in both sums up).
            f"""CREATE VIEW probe_rollup_days AS
                SELECT asset_kind, asset_id, day, county_id, school_id, {_FIGURES} FROM probe_rollup_daily
                UNION ALL
                SELECT asset_kind, asset_id, day, county_id, school_id, {_FIGURES} FROM probe_rollup_today""",
            # The days whose open rollups were moved: the move runs once a day, and late samples (a
            # probe's spool replayed after an outage) update open rows in place until the next move.
            "CREATE TABLE probe_rollup_close (day date PRIMARY KEY, closed_at timestamptz NOT NULL DEFAULT now())",
        )
    )
    return manager
