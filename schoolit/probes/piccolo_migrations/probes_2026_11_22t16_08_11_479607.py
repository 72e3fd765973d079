from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-22T16:08:11:479607"
VERSION = "1.38.0"
DESCRIPTION = "ingest batches: when state and rollups took them in"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="probes", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="IngestBatch",
        tablename="probe_ingest_batch",
        column_name="derived_at",
        db_column_name="derived_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
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
