"""The audit log's browsing index: scoped by county, newest first."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T15:34:14:220341"
VERSION = "1.38.0"
DESCRIPTION = "audit log index (county_id, id)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_raw(sql("CREATE INDEX audit_log_county_newest ON audit_log (county_id, id)"))
    return manager
