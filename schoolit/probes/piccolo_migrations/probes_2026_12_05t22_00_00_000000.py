"""probe_controller_state: the last poll of each WLAN controller and the access points it lists that the
inventory does not know (the adoption list)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T22:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "probe_controller_state"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "CREATE TABLE probe_controller_state ("
            " id serial PRIMARY KEY,"
            " controller_id integer NOT NULL UNIQUE,"
            " county_id integer NOT NULL,"
            " probe_id integer NULL,"
            " polled_at timestamptz NOT NULL,"
            " reachable boolean NOT NULL,"
            " error text NULL,"
            " listed integer NOT NULL DEFAULT 0,"
            " matched integer NOT NULL DEFAULT 0,"
            " unknown jsonb NOT NULL DEFAULT '[]',"
            " updated_at timestamptz NOT NULL DEFAULT now())",
            "CREATE INDEX probe_controller_state_county_id ON probe_controller_state (county_id)",
        )
    )
    return manager
