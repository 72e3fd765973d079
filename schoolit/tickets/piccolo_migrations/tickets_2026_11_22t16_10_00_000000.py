"""Timeline rows reference their ticket once: the composite (ticket_id, county_id) key.

The single-column foreign keys of `ticket_event` to `ticket` and to `county` said nothing the composite
key does not (the ticket's own county key covers the county), and the one to `county` made every
timeline write share-lock the county's row: with a team claiming tickets of one county at once, all of
them queued on that single hot row (bench/claim.py).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T16:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ticket_event: only the composite ticket key"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(sql(
        "ALTER TABLE ticket_event DROP CONSTRAINT ticket_event_county_id_fkey",
        "ALTER TABLE ticket_event DROP CONSTRAINT ticket_event_ticket_id_fkey",
    ))
    return manager
