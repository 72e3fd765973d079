"""The probes as the accounts domain publishes them for other domains' SQL: registration and last contact.

Probes are registered in accounts (with their tokens); the probes domain joins its run reports with them
(silent probes, metrics) through this view, never the table. `PUBLISHED_VIEWS` in
schoolit/accounts/tables.py names it for the domain-wall test.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T19:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "published view probe_directory"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_raw(sql(
        "CREATE VIEW probe_directory AS SELECT id, name, county_id, school_id, active, last_seen_at FROM probe",
    ))
    return manager
