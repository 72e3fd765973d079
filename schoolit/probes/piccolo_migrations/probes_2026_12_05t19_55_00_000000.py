"""probe_sample.counter_bits: 32 where a router's octets are its 32-bit counters (no HC counters)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T19:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "probe_sample.counter_bits (32-bit counter fallback of the agent)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(sql("ALTER TABLE probe_sample ADD COLUMN counter_bits smallint"))
    return manager
