"""The open queue in its own order: (priority, resolution_due_at, id) over open tickets only.

The queue's default view lists the open tickets most urgent first, 50 at a time. Without an index in
that order, a caller who sees every county (an admin; nationwide ~50,000 open tickets among 1,000,000)
had all open tickets fetched, joined and sorted for each page: 228 ms on the nationwide dataset
(bench/pages.py). Walking this index stops after the 50 rows shown. Partial: the 95 % of tickets that
are resolved or closed add nothing to it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T16:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ticket: index of the open queue in priority order"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(sql("CREATE INDEX ticket_open_queue ON ticket (priority, resolution_due_at, id) "
                        "WHERE status IN ('new', 'assigned', 'in_progress', 'waiting')"))
    return manager
