"""Disposal (Aussonderung) of access points beside devices: one disposal record names its asset.

`device_disposal` becomes `disposal`, renamed in place rather than copied into a new table: every request
keeps its id (the certificate's link `/disposals/{id}/certificate` and the `disposal_id` the audit log
recorded stay right), its state, its certificate and its people. A record names exactly one asset: its
`device_id` (every existing row) or its new `access_point_id` (`(access_point_id, county_id)` follows the
access point to another county, as the device's does), one pending request per asset. The access point
gets the day and reason of its disposal, set by an approved one, as the device has them
(`schoolit.inventory.disposals`). The constraints and indexes are renamed after the table they belong to.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-07T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "disposal of devices and access points: device_disposal -> disposal with access_point_id"

# Old name -> new name of the constraints the device's disposals were created with.
_CONSTRAINTS = {
    "device_disposal_county_id_fkey": "disposal_county_id_fkey",
    "device_disposal_device_id_county_id_fkey": "disposal_device_fkey",
    "device_disposal_reason_check": "disposal_reason_check",
    "device_disposal_state_check": "disposal_state_check",
    "device_disposal_check": "disposal_decided_unless_pending",
    "device_disposal_check1": "disposal_day_when_approved",
    "device_disposal_check2": "disposal_four_eyes",
}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(sql(
        "ALTER TABLE device_disposal RENAME TO disposal",
        "ALTER SEQUENCE device_disposal_id_seq RENAME TO disposal_id_seq",
        "ALTER INDEX device_disposal_pkey RENAME TO disposal_pkey",
        "ALTER INDEX device_disposal_one_pending RENAME TO disposal_one_pending_device",
        "ALTER INDEX device_disposal_county_state RENAME TO disposal_county_state",
        *(f"ALTER TABLE disposal RENAME CONSTRAINT {old} TO {new}" for old, new in _CONSTRAINTS.items()),
        """ALTER TABLE disposal
             ALTER COLUMN device_id DROP NOT NULL,
             ADD COLUMN access_point_id integer NULL,
             ADD CONSTRAINT disposal_access_point_fkey FOREIGN KEY (access_point_id, county_id)
                 REFERENCES access_point (id, county_id) ON UPDATE CASCADE ON DELETE RESTRICT,
             ADD CONSTRAINT disposal_one_asset CHECK (num_nonnulls(device_id, access_point_id) = 1)""",
        "CREATE UNIQUE INDEX disposal_one_pending_access_point ON disposal (access_point_id) WHERE state = 'pending'",
        "ALTER TABLE access_point ADD COLUMN disposed_on date NULL, ADD COLUMN disposal_reason varchar(20) NULL",
    ))
    return manager
