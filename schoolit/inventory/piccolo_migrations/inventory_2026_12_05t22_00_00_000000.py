"""WLAN controllers: entered once for a county (school_id empty) or for a school, with their own SNMP
profile and address (`schoolit.inventory.tables.WlanController`)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T22:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "wlan controllers"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inventory", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "CREATE TABLE wlan_controller ("
            " id serial PRIMARY KEY,"
            " county_id integer NOT NULL REFERENCES county (id) ON DELETE RESTRICT,"
            " school_id integer NULL REFERENCES school (id) ON DELETE CASCADE,"
            " name varchar(120) NOT NULL,"
            " profile varchar(30) NOT NULL,"
            " model varchar(120) NOT NULL DEFAULT '',"
            " management_ip inet NOT NULL,"
            " snmp_port integer NOT NULL DEFAULT 161,"
            " snmp_profile_id integer NULL REFERENCES snmp_profile (id) ON DELETE SET NULL,"
            " notes text NOT NULL DEFAULT '',"
            " created_at timestamptz NOT NULL DEFAULT now(),"
            " updated_at timestamptz NOT NULL DEFAULT now(),"
            " CONSTRAINT wlan_controller_school_county_fkey FOREIGN KEY (school_id, county_id)"
            "  REFERENCES school (id, county_id) ON UPDATE CASCADE ON DELETE CASCADE,"
            " CONSTRAINT wlan_controller_address_unique UNIQUE (county_id, management_ip, snmp_port))",
            "CREATE INDEX wlan_controller_county_id ON wlan_controller (county_id)",
            "CREATE INDEX wlan_controller_school_id ON wlan_controller (school_id)",
        )
    )
    return manager
