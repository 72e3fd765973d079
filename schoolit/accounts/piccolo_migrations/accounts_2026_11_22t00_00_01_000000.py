"""Baseline of the accounts domain, part 2: the rules Piccolo cannot declare.

Piccolo runs a migration's raw steps before its table changes, so the SQL that needs the tables
lives in this second file after `accounts_2026_11_22t00_00_00_000000` (the tables). Together they
replace the chain of 2026-11-22 (see `schoolit.migrations.SQUASHED` for databases that ran it).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T00:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "baseline: check constraints, append-only audit log, indexes"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "ALTER TABLE county ADD CONSTRAINT county_ags_format CHECK (ags ~ '^[0-9]{5}$')",
            "ALTER TABLE app_user ADD CONSTRAINT app_user_email_lower CHECK (email = lower(email))",
            """ALTER TABLE app_user ADD CONSTRAINT app_user_role_scope CHECK (
                (role = 'admin' AND county_id IS NULL AND arrangement_id IS NULL AND school_id IS NULL)
             OR (role = 'supporter' AND school_id IS NULL AND ((county_id IS NULL) <> (arrangement_id IS NULL)))
             OR (role = 'authority' AND county_id IS NOT NULL AND arrangement_id IS NULL AND school_id IS NULL)
             OR (role = 'school' AND county_id IS NOT NULL AND school_id IS NOT NULL AND arrangement_id IS NULL))""",
            "ALTER TABLE api_token ADD CONSTRAINT api_token_one_owner CHECK ((user_id IS NULL) <> (probe_id IS NULL))",
            # BSI OPS.1.1.5: administrators cannot delete logs. The app's own role cannot change a row.
            """CREATE FUNCTION audit_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN
                 RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
                   USING ERRCODE = 'insufficient_privilege';
               END $$""",
            """CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
               FOR EACH ROW EXECUTE FUNCTION audit_log_reject_change()""",
            """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
               FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change()""",
            # The audit log's one index beyond the key: browsing is scoped by county, newest first,
            # and every audited write (a ticket claim among them) pays for each index.
            "CREATE INDEX audit_log_county_newest ON audit_log (county_id, id)",
        )
    )
    return manager
