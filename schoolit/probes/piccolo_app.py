"""Piccolo app of the probes domain."""

import os

from piccolo.conf.apps import AppConfig

from schoolit.probes.tables import (
    AssetState,
    ControllerState,
    IngestBatch,
    ProbeRun,
    RollupDaily,
    RollupHourly,
)

APP_CONFIG = AppConfig(
    app_name="probes",
    migrations_folder_path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "piccolo_migrations"),
    table_classes=[IngestBatch, AssetState, RollupHourly, RollupDaily, ProbeRun, ControllerState],
    migration_dependencies=["schoolit.inventory.piccolo_app", "schoolit.tickets.piccolo_app"],
    commands=[],
)
