from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.indexes import IndexMethod
from schoolit.columns import MacAddr

ID = "2026-11-22T14:23:15:178037"
VERSION = "1.38.0"
DESCRIPTION = "device mac"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="inventory", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Device",
        tablename="device",
        column_name="mac",
        db_column_name="mac",
        column_class_name="MacAddr",
        column_class=MacAddr,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
