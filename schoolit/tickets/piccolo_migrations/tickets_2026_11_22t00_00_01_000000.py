"""Baseline of the tickets domain, part 2: rules, keys, indexes and the default categories.

Piccolo runs a migration's raw steps before its table changes, so the SQL that needs the tables
lives in this second file after `tickets_2026_11_22t00_00_00_000000` (the tables). Together they
replace the chain of 2026-11-22 (see `schoolit.migrations.SQUASHED` for databases that ran it).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T00:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "baseline: ticket rules, composite keys, indexes and default categories"

CATEGORIES = ("WLAN/Netzwerk", "Internet/Anschluss", "Endgerät", "Präsentationstechnik", "Konto/Passwort",
              "Software", "Sonstiges")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "ALTER TABLE ticket ADD CONSTRAINT ticket_school_county_fkey FOREIGN KEY (school_id, county_id) "
            "REFERENCES school (id, county_id) ON UPDATE CASCADE",
            # Linked assets must be in the ticket's county (the service also checks the school).
            "ALTER TABLE ticket ADD CONSTRAINT ticket_access_point_fkey FOREIGN KEY (access_point_id, county_id) "
            "REFERENCES access_point (id, county_id) ON UPDATE CASCADE ON DELETE SET NULL (access_point_id)",
            "ALTER TABLE ticket ADD CONSTRAINT ticket_device_fkey FOREIGN KEY (device_id, county_id) "
            "REFERENCES device (id, county_id) ON UPDATE CASCADE ON DELETE SET NULL (device_id)",
            "ALTER TABLE ticket ADD CONSTRAINT ticket_room_fkey FOREIGN KEY (room_id, county_id) "
            "REFERENCES room (id, county_id) ON UPDATE CASCADE ON DELETE SET NULL (room_id)",
            "ALTER TABLE ticket ADD CONSTRAINT ticket_uplink_fkey FOREIGN KEY (uplink_id) "
            "REFERENCES uplink (id) ON DELETE SET NULL",
            "ALTER TABLE ticket ADD CONSTRAINT ticket_priority_range CHECK (priority BETWEEN 1 AND 4)",
            "ALTER TABLE ticket ADD CONSTRAINT ticket_number_format CHECK (number ~ '^SIT-[0-9]{4}-[0-9]{5,}$')",
            "ALTER TABLE ticket ADD CONSTRAINT ticket_one_asset CHECK (num_nonnulls(access_point_id, device_id, "
            "uplink_id, room_id) <= 1)",
            "ALTER TABLE ticket ADD CONSTRAINT ticket_id_county UNIQUE (id, county_id)",
            # Timeline rows reference their ticket once, by the composite key. The single-column keys
            # Piccolo creates say nothing more, and the one to `county` made every timeline write
            # share-lock the county's row: a team claiming tickets of one county queued on it
            # (bench/claim.py).
            "ALTER TABLE ticket_event DROP CONSTRAINT ticket_event_county_id_fkey",
            "ALTER TABLE ticket_event DROP CONSTRAINT ticket_event_ticket_id_fkey",
            "ALTER TABLE ticket_event ADD CONSTRAINT ticket_event_ticket_county_fkey FOREIGN KEY (ticket_id, county_id) "
            "REFERENCES ticket (id, county_id) ON UPDATE CASCADE ON DELETE CASCADE",
            "ALTER TABLE time_entry ADD CONSTRAINT time_entry_minutes CHECK (minutes BETWEEN 1 AND 1440)",
            "ALTER TABLE time_entry ADD CONSTRAINT time_entry_ticket_county_fkey FOREIGN KEY (ticket_id, county_id) "
            "REFERENCES ticket (id, county_id) ON UPDATE CASCADE ON DELETE CASCADE",
            "ALTER TABLE ticket_attachment ADD CONSTRAINT ticket_attachment_ticket_county_fkey FOREIGN KEY "
            "(ticket_id, county_id) REFERENCES ticket (id, county_id) ON UPDATE CASCADE ON DELETE CASCADE",
            "ALTER TABLE support_policy ADD CONSTRAINT support_policy_one_owner CHECK "
            "(num_nonnulls(arrangement_id, county_id) = 1)",
            "CREATE UNIQUE INDEX holiday_per_calendar ON holiday (calendar_id, day)",
            "CREATE UNIQUE INDEX ticket_presence_pair ON ticket_presence (ticket_id, user_id)",
            "CREATE UNIQUE INDEX saved_view_name_per_user ON saved_view (user_id, lower(name))",
            # claim-next takes the most urgent unassigned ticket: walk this index in order.
            "CREATE INDEX ticket_claimable ON ticket (priority, resolution_due_at, id) "
            "WHERE status = 'new' AND assignee_id IS NULL",
            "CREATE INDEX ticket_open_by_county ON ticket (county_id, status) WHERE status <> 'closed'",
            "CREATE INDEX ticket_resolved_at ON ticket (resolved_at) WHERE status = 'resolved'",
            "CREATE INDEX ticket_open_asset ON ticket (school_id, access_point_id, device_id, uplink_id, room_id) "
            "WHERE status NOT IN ('resolved', 'closed')",
            # The queue's default view, most urgent first, 50 at a time: walking this index stops after
            # the rows shown instead of sorting every open ticket an admin sees (228 ms nationwide,
            # bench/pages.py). Partial: resolved and closed tickets add nothing to it.
            "CREATE INDEX ticket_open_queue ON ticket (priority, resolution_due_at, id) "
            "WHERE status IN ('new', 'assigned', 'in_progress', 'waiting')",
            # The dashboards' per-school figures of a county (open, breaching, time to resolve) as an
            # index-only scan instead of a heap fetch per ticket (66 ms of a county dashboard nationwide).
            "CREATE INDEX ticket_county_figures ON ticket (county_id, school_id) "
            "INCLUDE (status, sla_breached, created_at, resolved_at)",
            "CREATE INDEX time_entry_month ON time_entry (county_id, worked_on)",
            "CREATE INDEX outbox_due ON outbox_mail (next_attempt_at) WHERE sent_at IS NULL",
            "CREATE INDEX report_attempt_recent ON report_attempt (client_key, at)",
            "INSERT INTO ticket_category (name, position, active) VALUES "
            + ", ".join(f"('{name}', {i}, true)" for i, name in enumerate(CATEGORIES))
            + " ON CONFLICT (name) DO NOTHING",
        )
    )
    return manager
