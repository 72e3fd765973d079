"""Notifications, part 2: the dispatcher and the digest find their pending rows by partial indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T18:52:07:000000"
VERSION = "1.38.0"
DESCRIPTION = "notifications: partial indexes on undispatched events and unsent digest items"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(sql(
        "CREATE INDEX notification_event_pending ON notification_event (id) WHERE dispatched_at IS NULL",
        "CREATE INDEX notification_digest_item_pending ON notification_digest_item (user_id) WHERE sent_at IS NULL",
    ))
    return manager
