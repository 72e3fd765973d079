"""Indexes for the inventory services: an uplink's natural key and the retention job's scan."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T14:23:16:178037"
VERSION = "1.38.0"
DESCRIPTION = "uplink line per school, loan retention index"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(
        sql(
            # A provider's line id names one circuit of one school (the demo and imports match on it).
            "CREATE UNIQUE INDEX uplink_line_per_school ON uplink (school_id, line_id) WHERE line_id <> ''",
            # The retention job looks for ended loans that still carry a pupil reference.
            "CREATE INDEX loan_retention ON loan (returned_on) WHERE pupil_ref IS NOT NULL",
        )
    )
    return manager
