"""The open hour's and the open day's rollups live in the state row of their asset.

A derivation pass used to upsert three rows per asset it saw: the state, the current hour's rollup
and today's rollup — on the nationwide dataset two thirds of a pass's writes. Now it writes one: the
state row carries the figures of the asset's open hour (`hour_at`, `hour_*`) and open day (`day`,
`day_*`), and a pass writes to `probe_rollup_hourly` and `probe_rollup_daily` only when an asset's hour
or day has ended (or for late samples of an hour or day already closed). Readers see the finished rows
and the open ones together through the views `probe_rollup_hours` and `probe_rollup_days`; rollups merge
by addition, so a period found both in a table and in a state row sums up.

The rows of the former `probe_rollup_today` are merged into `probe_rollup_daily` here.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-06T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "open hour and open day rollups in probe_asset_state; probe_rollup_today merged into daily"

_FIGURES = ("samples", "up_samples", "clients_sum", "clients_max", "rate_samples", "in_mbps_sum", "out_mbps_sum",
            "in_mbps_max", "out_mbps_max", "utilisation_max")
_TYPES = ("integer NOT NULL DEFAULT 0", "integer NOT NULL DEFAULT 0", "bigint NOT NULL DEFAULT 0", "integer",
          "integer NOT NULL DEFAULT 0", "real NOT NULL DEFAULT 0", "real NOT NULL DEFAULT 0", "real", "real", "real")


def _open(period: str) -> str:
    """The state's open `period` ("hour" or "day") as rollup rows."""
    figures = ", ".join(f"{period}_{name} AS {name}" for name in _FIGURES)
    key = "hour_at AS hour" if period == "hour" else "day"
    column = "hour_at" if period == "hour" else "day"
    return (f"SELECT asset_kind, asset_id, {key}, county_id, school_id, {figures} "
            f"FROM probe_asset_state WHERE {column} IS NOT NULL")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    figures = ", ".join(_FIGURES)
    columns = ", ".join(f"ADD COLUMN {period}_{name} {kind}" for period in ("hour", "day")
                        for name, kind in zip(_FIGURES, _TYPES, strict=True))
    manager.add_raw(
        sql(
            f"ALTER TABLE probe_asset_state ADD COLUMN hour_at timestamptz, ADD COLUMN day date, {columns}",
            "DROP VIEW probe_rollup_days",
            f"""INSERT INTO probe_rollup_daily AS r (asset_kind, asset_id, day, county_id, school_id, {figures})
                SELECT asset_kind, asset_id, day, county_id, school_id, {figures} FROM probe_rollup_today
                ON CONFLICT (asset_kind, asset_id, day) DO UPDATE SET
                    samples = r.samples + EXCLUDED.samples, up_samples = r.up_samples + EXCLUDED.up_samples,
                    clients_sum = r.clients_sum + EXCLUDED.clients_sum,
                    clients_max = GREATEST(r.clients_max, EXCLUDED.clients_max),
                    rate_samples = r.rate_samples + EXCLUDED.rate_samples,
                    in_mbps_sum = r.in_mbps_sum + EXCLUDED.in_mbps_sum,
                    out_mbps_sum = r.out_mbps_sum + EXCLUDED.out_mbps_sum,
                    in_mbps_max = GREATEST(r.in_mbps_max, EXCLUDED.in_mbps_max),
                    out_mbps_max = GREATEST(r.out_mbps_max, EXCLUDED.out_mbps_max),
                    utilisation_max = GREATEST(r.utilisation_max, EXCLUDED.utilisation_max)""",
            "DROP TABLE probe_rollup_today",
            "DROP TABLE probe_rollup_close",
            f"""CREATE VIEW probe_rollup_days AS
                SELECT asset_kind, asset_id, day, county_id, school_id, {figures} FROM probe_rollup_daily
                UNION ALL {_open("day")}""",
            f"""CREATE VIEW probe_rollup_hours AS
                SELECT asset_kind, asset_id, hour, county_id, school_id, {figures} FROM probe_rollup_hourly
                UNION ALL {_open("hour")}""",
            # The hourly rows are written once (when the hour has ended), no longer rewritten by every pass.
            "ALTER TABLE probe_rollup_hourly RESET (fillfactor)",
        )
    )
    return manager
