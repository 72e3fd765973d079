"""Piccolo app of the accounts domain."""

import os

from piccolo.conf.apps import AppConfig

from schoolit.accounts.tables import Arrangement, ArrangementMember, County

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"),
    table_classes=[County, Arrangement, ArrangementMember],
    migration_dependencies=[],
    commands=[],
)
