"""Disposal (Aussonderung) of devices (#22 item 4): the device's disposal day and reason, and the requests
with their data-wipe certificate, requester and the approver's decision (`schoolit.inventory.disposals`).
One pending request per device; a decided one names who decided (never the requester, checked by the
service: people are accounts' rows, named here by id and label as the audit log names them). A request
follows its device (its school is the device's; `(device_id, county_id)` cascades a move to another county)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-06T02:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "device disposal: device.disposed_on and disposal_reason, device_disposal requests"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(sql(
        "ALTER TABLE device ADD COLUMN disposed_on date NULL, ADD COLUMN disposal_reason varchar(20) NULL",
        """CREATE TABLE device_disposal (
            id serial PRIMARY KEY,
            county_id integer NOT NULL REFERENCES county (id) ON DELETE RESTRICT,
            device_id integer NOT NULL,
            reason varchar(20) NOT NULL CHECK (reason IN ('defective', 'obsolete', 'lost', 'lease_return', 'other')),
            note text NOT NULL DEFAULT '',
            state varchar(10) NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
            certificate_name varchar(200) NOT NULL,
            certificate_type varchar(40) NOT NULL,
            certificate_size integer NOT NULL,
            certificate_sha256 varchar(64) NOT NULL,
            requested_by integer NULL,
            requested_by_label varchar(254) NOT NULL DEFAULT '',
            requested_at timestamptz NOT NULL DEFAULT now(),
            decided_by integer NULL,
            decided_by_label varchar(254) NOT NULL DEFAULT '',
            decided_at timestamptz NULL,
            decision_note text NOT NULL DEFAULT '',
            disposed_on date NULL,
            FOREIGN KEY (device_id, county_id) REFERENCES device (id, county_id) ON UPDATE CASCADE ON DELETE RESTRICT,
            CHECK ((state = 'pending') = (decided_at IS NULL)),
            CHECK ((state = 'approved') = (disposed_on IS NOT NULL)),
            CHECK (decided_by IS NULL OR requested_by IS NULL OR decided_by <> requested_by)
        )""",
        "CREATE UNIQUE INDEX device_disposal_one_pending ON device_disposal (device_id) WHERE state = 'pending'",
        "CREATE INDEX device_disposal_county_state ON device_disposal (county_id, state)",
    ))
    return manager
