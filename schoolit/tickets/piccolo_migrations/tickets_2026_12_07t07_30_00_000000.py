"""The county dashboard's ticket figures stay an index-only scan now that "past their SLA" is worked out from
the due times (`schoolit.tickets.overdue.past_sla`) instead of the stored flag alone: `ticket_county_figures`
carries the first response and both due times too."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-07T07:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tickets: the dashboards' covering index carries the due times"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(sql(
        "DROP INDEX ticket_county_figures",
        "CREATE INDEX ticket_county_figures ON ticket (county_id, school_id) INCLUDE (status, sla_breached, "
        "created_at, resolved_at, first_response_at, response_due_at, resolution_due_at)",
    ))
    return manager
