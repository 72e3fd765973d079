"""Tickets by county and school, covering what the county figures read.

The dashboards count open and breaching tickets and the median time to resolve over 90 days, per
school of a county. Through `ticket_county_id` every one of a county's tickets was a heap fetch on its
own page (tickets of a county are spread over the whole table by time): 2,500 random reads, 66 ms of
a county dashboard on the nationwide dataset (bench/pages.py). With status, times and the SLA flag in
the index it is an index-only scan.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T16:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ticket: (county_id, school_id) index covering the dashboards' figures"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(sql("CREATE INDEX ticket_county_figures ON ticket (county_id, school_id) "
                        "INCLUDE (status, sla_breached, created_at, resolved_at)"))
    return manager
