"""Room on the pages of the state and hourly rollups, so their updates stay on the row's page (HOT)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T20:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "fillfactor of asset state and hourly rollups"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(
        sql(
            # Every derivation pass rewrites the state row of every asset it saw, and the current hour's
            # rollup row. On full pages each new row version went to another page and into every index
            # (four on the state): the state of 2,000 access points grew to 11 MB in 60 passes. With free
            # room on the page the update is heap-only and the old versions are pruned in place: 0.5 MB,
            # and a pass over one poll of each of 2,000 access points 170 -> 130 ms. (The daily rollups
            # gain nothing: their covering index holds updated figures, so no update of theirs is HOT.)
            # Existing pages get the room as vacuum frees them.
            "ALTER TABLE probe_asset_state SET (fillfactor = 50)",
            "ALTER TABLE probe_rollup_hourly SET (fillfactor = 70)",
        )
    )
    return manager
