"""The audit log's pseudonym key, and the one change its append-only trigger lets through.

At the end of a ticket's retention the reporter's e-mail address (the label of an anonymous actor) and
IP address in the audit rows of that ticket are replaced by keyed pseudonyms (#19 item 6b). The key is a
random value in a table only the owner of the tables can read (the app's role gets no privilege on it,
`schoolit.migrations.grant_app_role`), so the app can neither compute nor reverse a pseudonym. The
trigger still refuses every DELETE, TRUNCATE and UPDATE, except an UPDATE made while the transaction-
local flag `schoolit.audit_pseudonymise` is on (set only by the owner's SECURITY DEFINER function
`ticket_audit_pseudonymise`, tickets migration of the same time) that changes nothing but an anonymous
actor's label into a pseudonym and their address into one of the discard prefix 100::/64 (RFC 6666).
The app's role has no UPDATE privilege on audit_log at all; the flag alone opens nothing.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T22:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit log: pseudonym key; the trigger lets only the pseudonymisation of reporters through"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_raw(
        sql(
            """CREATE TABLE audit_pseudonym_key (
                   id boolean PRIMARY KEY DEFAULT true CHECK (id),
                   key bytea NOT NULL CHECK (length(key) = 32))""",
            # 244 random bits from two version-4 UUIDs (gen_random_uuid is core, pgcrypto is not needed).
            """INSERT INTO audit_pseudonym_key (key)
               VALUES (sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')))""",
            """CREATE OR REPLACE FUNCTION audit_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN
                 IF TG_OP = 'UPDATE' AND current_setting('schoolit.audit_pseudonymise', true) = 'on'
                    AND OLD.actor_kind = 'anonymous'
                    AND (NEW.id, NEW.at, NEW.actor_kind, NEW.actor_id, NEW.action, NEW.object_type, NEW.object_id,
                         NEW.county_id, NEW.before, NEW.after, NEW.request_id)
                        IS NOT DISTINCT FROM
                        (OLD.id, OLD.at, OLD.actor_kind, OLD.actor_id, OLD.action, OLD.object_type, OLD.object_id,
                         OLD.county_id, OLD.before, OLD.after, OLD.request_id)
                    AND (NEW.actor_label = OLD.actor_label OR NEW.actor_label ~ '^pseudonym:[0-9a-f]{16}$')
                    AND (NEW.client_ip IS NOT DISTINCT FROM OLD.client_ip OR NEW.client_ip <<= '100::/64'::inet)
                 THEN
                   RETURN NEW;
                 END IF;
                 RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
                   USING ERRCODE = 'insufficient_privilege';
               END $$""",
        )
    )
    return manager
