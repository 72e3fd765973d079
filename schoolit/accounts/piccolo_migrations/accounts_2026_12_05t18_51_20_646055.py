from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Numeric
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T18:51:20:646055"
VERSION = "1.38.0"
DESCRIPTION = "Counties can be retired; arrangements name their cost share rule, members a fixed share"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="accounts", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="County",
        tablename="county",
        column_name="retired_at",
        db_column_name="retired_at",
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

    manager.add_column(
        table_class_name="Arrangement",
        tablename="arrangement",
        column_name="share_rule",
        db_column_name="share_rule",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 20,
            "default": "hours",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "ShareRule",
                {
                    "HOURS": "hours",
                    "SCHOOLS": "schools",
                    "PUPILS": "pupils",
                    "FIXED": "fixed",
                },
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ArrangementMember",
        tablename="arrangement_member",
        column_name="share_percent",
        db_column_name="share_percent",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": None,
            "digits": (5, 2),
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
        table_class_name="County",
        tablename="county",
        column_name="state",
        db_column_name="state",
        params={
            "choices": Enum(
                "FederalState",
                {
                    "BW": "BW",
                    "BY": "BY",
                    "BE": "BE",
                    "BB": "BB",
                    "HB": "HB",
                    "HH": "HH",
                    "HE": "HE",
                    "MV": "MV",
                    "NI": "NI",
                    "NW": "NW",
                    "RP": "RP",
                    "SL": "SL",
                    "SN": "SN",
                    "ST": "ST",
                    "SH": "SH",
                    "TH": "TH",
                },
            )
        },
        old_params={
            "choices": Enum(
                "FederalState",
                {"RP": "RP", "BW": "BW", "HE": "HE", "SL": "SL", "NW": "NW"},
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
