"""Database-enforced rules of users and tokens, and the append-only audit log trigger."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-11-22T14:05:38:943385"
VERSION = "1.38.0"
DESCRIPTION = "user scope rules, token owner rule, append-only audit log"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_raw(
        sql(
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
        )
    )
    return manager
