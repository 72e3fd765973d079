from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T18:57:01:141694"
VERSION = "1.38.0"
DESCRIPTION = "ticket.sla_warned_at (the 80 % SLA warning recorded) and the sla_warning event kind"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="tickets", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Ticket",
        tablename="ticket",
        column_name="sla_warned_at",
        db_column_name="sla_warned_at",
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

    manager.alter_column(
        table_class_name="TicketEvent",
        tablename="ticket_event",
        column_name="kind",
        db_column_name="kind",
        params={
            "choices": Enum(
                "EventKind",
                {
                    "CREATED": "created",
                    "COMMENT": "comment",
                    "NOTE": "note",
                    "REPLY": "reply",
                    "STATUS": "status",
                    "ASSIGNMENT": "assignment",
                    "PRIORITY": "priority",
                    "ATTACHMENT": "attachment",
                    "TIME": "time",
                    "SLA_WARNING": "sla_warning",
                },
            )
        },
        old_params={
            "choices": Enum(
                "EventKind",
                {
                    "CREATED": "created",
                    "COMMENT": "comment",
                    "NOTE": "note",
                    "REPLY": "reply",
                    "STATUS": "status",
                    "ASSIGNMENT": "assignment",
                    "PRIORITY": "priority",
                    "ATTACHMENT": "attachment",
                    "TIME": "time",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
