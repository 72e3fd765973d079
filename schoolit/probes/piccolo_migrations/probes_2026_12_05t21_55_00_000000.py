"""probe_run.spool_replayed: how many spooled batches the probe's last run delivered late (its spool state)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T21:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "probe_run.spool_replayed (batches of earlier runs delivered by the last run)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_column(
        table_class_name="ProbeRun",
        tablename="probe_run",
        column_name="spool_replayed",
        db_column_name="spool_replayed",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
