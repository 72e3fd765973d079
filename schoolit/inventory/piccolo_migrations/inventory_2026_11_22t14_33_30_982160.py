from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-22T14:33:30:982160"
VERSION = "1.38.0"
DESCRIPTION = "SNMP port of access points and uplink routers"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="inventory", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Uplink",
        tablename="uplink",
        column_name="snmp_port",
        db_column_name="snmp_port",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 161,
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

    manager.add_column(
        table_class_name="AccessPoint",
        tablename="access_point",
        column_name="snmp_port",
        db_column_name="snmp_port",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 161,
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
