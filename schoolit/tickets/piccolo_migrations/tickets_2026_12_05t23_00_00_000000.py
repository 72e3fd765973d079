"""`ticket.reporter_erased_at`: when the retention job erased the reporter's traces from a ticket (its
events, attachments, mails, notification events, webhook deliveries and inbound mails), so each ticket
is erased once and the job stays cheap however many old tickets there are."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T23:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tickets: reporter_erased_at (end of retention done)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(sql(
        "ALTER TABLE ticket ADD COLUMN reporter_erased_at timestamptz",
        "CREATE INDEX ticket_retention_due ON ticket (closed_at) WHERE status = 'closed' AND reporter_erased_at IS NULL",
        "CREATE INDEX inbound_mail_ticket ON inbound_mail (ticket_id)",
        "CREATE INDEX outbox_mail_ticket ON outbox_mail (ticket_id)",
    ))
    return manager
