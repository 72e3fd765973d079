"""Baseline of the inventory domain, part 2: the rules and indexes Piccolo cannot declare.

Piccolo runs a migration's raw steps before its table changes, so the SQL that needs the tables
lives in this second file after `inventory_2026_11_22t00_00_00_000000` (the tables). Together they
replace the chain of 2026-11-22 (see `schoolit.migrations.SQUASHED` for databases that ran it).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T00:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "baseline: county consistency, school keys of accounts rows, rules and indexes"

# Tables whose county_id must equal their school's: a composite key follows the school if it moves.
SCHOOL_BOUND = ("building", "room", "uplink", "access_point", "device", "loan")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "ALTER TABLE school ADD CONSTRAINT school_number_format CHECK (school_number ~ '^[0-9]{5}$')",
            "ALTER TABLE school ADD CONSTRAINT school_pupils_not_negative CHECK (pupils >= 0)",
            # Foreign keys from accounts rows to schools: accounts migrates first, so inventory adds them.
            "ALTER TABLE app_user ADD CONSTRAINT app_user_school_id_fkey "
            "FOREIGN KEY (school_id) REFERENCES school (id) ON DELETE RESTRICT",
            "ALTER TABLE probe ADD CONSTRAINT probe_school_id_fkey "
            "FOREIGN KEY (school_id) REFERENCES school (id) ON DELETE RESTRICT",
            "ALTER TABLE school ADD CONSTRAINT school_id_county UNIQUE (id, county_id)",
            *(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_school_county_fkey FOREIGN KEY (school_id, county_id) "
                f"REFERENCES school (id, county_id) ON UPDATE CASCADE ON DELETE CASCADE"
                for table in SCHOOL_BOUND
            ),
            "ALTER TABLE access_point ADD CONSTRAINT access_point_id_county UNIQUE (id, county_id)",
            "ALTER TABLE room ADD CONSTRAINT room_id_county UNIQUE (id, county_id)",
            "ALTER TABLE device ADD CONSTRAINT device_id_county UNIQUE (id, county_id)",
            "ALTER TABLE access_point_room ADD CONSTRAINT access_point_room_ap_county_fkey FOREIGN KEY "
            "(access_point_id, county_id) REFERENCES access_point (id, county_id) ON UPDATE CASCADE ON DELETE CASCADE",
            "ALTER TABLE access_point_room ADD CONSTRAINT access_point_room_room_county_fkey FOREIGN KEY "
            "(room_id, county_id) REFERENCES room (id, county_id) ON UPDATE CASCADE ON DELETE CASCADE",
            "ALTER TABLE loan ADD CONSTRAINT loan_device_county_fkey FOREIGN KEY (device_id, county_id) "
            "REFERENCES device (id, county_id) ON UPDATE CASCADE",
            "CREATE UNIQUE INDEX access_point_room_pair ON access_point_room (access_point_id, room_id)",
            # At most one open loan per device, whoever writes the row.
            "CREATE UNIQUE INDEX loan_one_open_per_device ON loan (device_id) WHERE returned_on IS NULL",
            "ALTER TABLE loan ADD CONSTRAINT loan_dates CHECK (due_on >= lent_on "
            "AND (returned_on IS NULL OR returned_on >= lent_on))",
            # Pseudonymous references only: no spaces, so no "Vorname Nachname".
            "ALTER TABLE loan ADD CONSTRAINT loan_pupil_ref_format CHECK (pupil_ref ~ '^[A-Za-z0-9._/-]{1,40}$')",
            "ALTER TABLE uplink ADD CONSTRAINT uplink_bandwidth_positive CHECK (down_mbps > 0 AND up_mbps > 0)",
            "ALTER TABLE uplink ADD CONSTRAINT uplink_contract_after_live CHECK "
            "(contract_end IS NULL OR live_since IS NULL OR contract_end >= live_since)",
            "ALTER TABLE access_point ADD CONSTRAINT access_point_price CHECK (price_cents IS NULL OR price_cents >= 0)",
            "ALTER TABLE device ADD CONSTRAINT device_price CHECK (price_cents IS NULL OR price_cents >= 0)",
            "CREATE UNIQUE INDEX building_name_per_school ON building (school_id, lower(name))",
            "CREATE UNIQUE INDEX room_name_per_building ON room (school_id, coalesce(building_id, 0), lower(name))",
            "CREATE UNIQUE INDEX device_asset_tag_per_county ON device (county_id, asset_tag) "
            "WHERE asset_tag IS NOT NULL",
            "CREATE UNIQUE INDEX snmp_profile_name_per_county ON snmp_profile (county_id, lower(name))",
            "CREATE INDEX access_point_management_ip ON access_point USING gist (management_ip inet_ops)",
            "CREATE INDEX device_status ON device (county_id, status)",
            "CREATE INDEX loan_open_due ON loan (county_id, due_on) WHERE returned_on IS NULL",
            # A provider's line id names one circuit of one school (the demo and imports match on it).
            "CREATE UNIQUE INDEX uplink_line_per_school ON uplink (school_id, line_id) WHERE line_id <> ''",
            # The retention job looks for ended loans that still carry a pupil reference.
            "CREATE INDEX loan_retention ON loan (returned_on) WHERE pupil_ref IS NOT NULL",
            # The school page counts each building's rooms; without this index that scanned every room
            # in the database per building (114 ms of a 145 ms school page nationwide, bench/pages.py).
            # It also serves the ON DELETE SET NULL of the building key.
            "CREATE INDEX room_building ON room (building_id)",
        )
    )
    return manager
