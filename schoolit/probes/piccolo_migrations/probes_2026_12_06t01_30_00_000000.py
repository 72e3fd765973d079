"""probe_controller_state remembers how long a WLAN controller has been silent and its outage ticket:
a controller that stops answering opens a ticket of its own ("WLAN-Controller antwortet nicht") and
resolves it when it answers again (`schoolit.probes.outages.handle_controller_outages`)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-06T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "probe_controller_state: consecutive failures, down since, outage ticket"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "ALTER TABLE probe_controller_state ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0, "
            "ADD COLUMN down_since timestamptz NULL, ADD COLUMN outage_ticket_id integer NULL",
        )
    )
    return manager
