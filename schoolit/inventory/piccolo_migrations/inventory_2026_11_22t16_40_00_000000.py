"""An index on room.building_id.

The school page lists a school's buildings with their room counts (`count(*) FROM room WHERE
building_id = b.id`); without an index that is a scan of every room in the database per building —
114 ms of a 145 ms school page on the nationwide dataset (bench/pages.py). It also serves the
ON DELETE SET NULL of the building key when a building is deleted.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T16:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "room: index on building_id"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(sql("CREATE INDEX room_building ON room (building_id)"))
    return manager
