"""Inbound mail, part 2: what Piccolo cannot declare: a mailbox belongs to an arrangement or a county,
a sender's school and county agree, outcomes are known words, and the triage is found by an index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T21:45:07:000000"
VERSION = "1.38.0"
DESCRIPTION = "inbound mail: constraints, composite school key, triage index"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(sql(
        "ALTER TABLE mailbox ADD CONSTRAINT mailbox_one_owner CHECK (num_nonnulls(arrangement_id, county_id) = 1)",
        "ALTER TABLE mailbox ADD CONSTRAINT mailbox_tls_mode CHECK (tls IN ('tls', 'starttls', 'off'))",
        "ALTER TABLE mailbox ADD CONSTRAINT mailbox_port_range CHECK (port BETWEEN 1 AND 65535)",
        "ALTER TABLE inbound_mail ADD CONSTRAINT inbound_mail_outcome CHECK (outcome IN ('ticket', 'comment', "
        "'triage', 'ignored'))",
        "CREATE INDEX inbound_mail_triage ON inbound_mail (mailbox_id, id) WHERE outcome = 'triage'",
        "ALTER TABLE mail_sender ADD CONSTRAINT mail_sender_school_county_fkey FOREIGN KEY (school_id, county_id) "
        "REFERENCES school (id, county_id) ON DELETE CASCADE",
    ))
    return manager
