"""The days whose open rollups were moved to the daily rollups: the move runs once a day.

Derivation writes every day's rollups to `probe_rollup_today`, late samples of finished days
included, and the first pass of a day moves the rows of earlier days to `probe_rollup_daily`. This
table remembers that the move has run today: late samples (a probe's spool replayed after an outage)
then update their open rows in place until the next day's move, instead of an update of the daily
rollups that can never be heap-only (their covering index holds the figures).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T23:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "days whose open rollups were closed"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "CREATE TABLE probe_rollup_close (day date PRIMARY KEY, closed_at timestamptz NOT NULL DEFAULT now())",
        )
    )
    return manager
