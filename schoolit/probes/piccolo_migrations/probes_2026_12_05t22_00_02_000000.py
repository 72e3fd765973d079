"""Day partitions of probe_sample made and dropped by functions of the owner of the tables.

The app's role owns no table (so it cannot switch off the audit log's trigger), and only the owner of
probe_sample may create, attach or drop its partitions; the maintenance jobs and the app's start call
these two SECURITY DEFINER functions (fixed search_path, names built from the date alone) instead of
running DDL themselves (`schoolit.probes.partitions`). A partition for a day whose rows already sit in
the default partition is built beside it, filled from the default partition and attached.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T22:00:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "probe_sample partitions created and dropped through SECURITY DEFINER functions"

_IS_PARTITION = """EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                           WHERE i.inhparent = 'probe_sample'::regclass AND c.relname = part)"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="probes", description=DESCRIPTION)
    manager.add_raw(
        sql(
            f"""CREATE FUNCTION probe_sample_partition_create(for_day date) RETURNS boolean
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
                DECLARE
                  part text := 'probe_sample_' || to_char(for_day, 'YYYYMMDD');
                  low timestamptz := for_day::timestamp AT TIME ZONE 'UTC';
                  high timestamptz := (for_day + 1)::timestamp AT TIME ZONE 'UTC';
                BEGIN
                  IF {_IS_PARTITION} THEN
                    RETURN false;
                  END IF;
                  IF NOT EXISTS (SELECT 1 FROM probe_sample_default WHERE polled_at >= low AND polled_at < high) THEN
                    EXECUTE format('CREATE TABLE %I PARTITION OF probe_sample FOR VALUES FROM (%L) TO (%L)',
                                   part, low, high);
                    RETURN true;
                  END IF;
                  EXECUTE format('CREATE TABLE %I (LIKE probe_sample INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
                  EXECUTE format('WITH moved AS (DELETE FROM probe_sample_default WHERE polled_at >= $1 '
                                 'AND polled_at < $2 RETURNING *) INSERT INTO %I SELECT * FROM moved', part)
                    USING low, high;
                  EXECUTE format('ALTER TABLE probe_sample ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                                 part, low, high);
                  RETURN true;
                END $$""",
            f"""CREATE FUNCTION probe_sample_partition_drop(for_day date) RETURNS boolean
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
                DECLARE
                  part text := 'probe_sample_' || to_char(for_day, 'YYYYMMDD');
                BEGIN
                  IF NOT {_IS_PARTITION} THEN
                    RETURN false;
                  END IF;
                  EXECUTE format('DROP TABLE %I', part);
                  RETURN true;
                END $$""",
            "REVOKE EXECUTE ON FUNCTION probe_sample_partition_create(date) FROM PUBLIC",
            "REVOKE EXECUTE ON FUNCTION probe_sample_partition_drop(date) FROM PUBLIC",
        )
    )
    return manager
