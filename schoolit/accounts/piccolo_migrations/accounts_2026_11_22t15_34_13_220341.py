from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar

ID = "2026-11-22T15:34:13:220341"
VERSION = "1.38.0"
DESCRIPTION = "audit log: single-column indexes replaced by (county_id, id)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="accounts", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="AuditEvent",
        tablename="audit_log",
        column_name="at",
        db_column_name="at",
        params={"index": False},
        old_params={"index": True},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AuditEvent",
        tablename="audit_log",
        column_name="action",
        db_column_name="action",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AuditEvent",
        tablename="audit_log",
        column_name="county_id",
        db_column_name="county_id",
        params={"index": False},
        old_params={"index": True},
        column_class=Integer,
        old_column_class=Integer,
        schema=None,
    )

    return manager
