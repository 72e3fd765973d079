from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar

ID = "2026-12-05T21:58:05:663678"
VERSION = "1.38.0"
DESCRIPTION = "ticket source: e-mail (the inbound mail channel)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="tickets", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Ticket",
        tablename="ticket",
        column_name="source",
        db_column_name="source",
        params={
            "choices": Enum(
                "Source",
                {
                    "WEB_FORM": "web_form",
                    "UI": "ui",
                    "API": "api",
                    "PROBE": "probe",
                    "EMAIL": "email",
                },
            )
        },
        old_params={
            "choices": Enum(
                "Source",
                {
                    "WEB_FORM": "web_form",
                    "UI": "ui",
                    "API": "api",
                    "PROBE": "probe",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
