"""`ticket_audit_pseudonymise(closed_before)`: reporters' e-mail and IP addresses in the audit log
replaced by keyed pseudonyms once their ticket's retention ended (#19 item 6b).

The audit log is append-only, and the app's role may only INSERT and SELECT it; this function, owned by
the owner of the tables (SECURITY DEFINER, fixed search_path), is the one way a row changes. It decides
itself which rows: those of anonymous actors (reporters on the public form and tracking page) on tickets
closed before `closed_before` (a day ago at the latest, the shortest TICKET_RETENTION_DAYS); it writes only pseudonyms made with the key the app cannot read
(`audit_pseudonym_key`): `pseudonym:` and 16 hex digits of SHA-256(key, e-mail) for the label, an
address in 100::/64 from SHA-256(key, address) for the IP. The same e-mail or address gives the same
pseudonym everywhere, so rows of one reporter still belong together. The trigger of audit_log lets
exactly this change through (accounts migration of the same time) and nothing else.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T22:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "ticket_audit_pseudonymise: reporters' e-mail and IP in the audit log at the end of retention"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_raw(
        sql(
            """CREATE FUNCTION ticket_audit_pseudonymise(closed_before timestamptz) RETURNS integer
               LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
               DECLARE
                 secret bytea := (SELECT key FROM audit_pseudonym_key);
                 changed integer;
               BEGIN
                 IF closed_before IS NULL OR closed_before > now() - interval '1 day' THEN
                   RAISE EXCEPTION 'a ticket''s retention ends a day after it was closed at the earliest'
                     USING ERRCODE = 'invalid_parameter_value';
                 END IF;
                 PERFORM set_config('schoolit.audit_pseudonymise', 'on', true);
                 UPDATE audit_log a SET
                   actor_label = CASE WHEN a.actor_label LIKE '%@%'
                     THEN 'pseudonym:' || left(encode(sha256(secret || convert_to('mail:' || lower(a.actor_label),
                                                                                   'UTF8')), 'hex'), 16)
                     ELSE a.actor_label END,
                   client_ip = CASE WHEN a.client_ip IS NOT NULL AND NOT a.client_ip <<= '100::/64'::inet
                     THEN (SELECT ('100::' || substr(h, 1, 4) || ':' || substr(h, 5, 4) || ':' || substr(h, 9, 4)
                                   || ':' || substr(h, 13, 4))::inet
                           FROM encode(sha256(secret || convert_to('ip:' || host(a.client_ip), 'UTF8')), 'hex') h)
                     ELSE a.client_ip END
                 FROM ticket t
                 WHERE t.status = 'closed' AND t.closed_at < closed_before
                   AND a.object_type = 'ticket' AND a.object_id = t.id::text
                   AND a.actor_kind = 'anonymous'
                   AND (a.actor_label LIKE '%@%' OR (a.client_ip IS NOT NULL AND NOT a.client_ip <<= '100::/64'::inet));
                 GET DIAGNOSTICS changed = ROW_COUNT;
                 PERFORM set_config('schoolit.audit_pseudonymise', 'off', true);
                 RETURN changed;
               END $$""",
            "REVOKE EXECUTE ON FUNCTION ticket_audit_pseudonymise(timestamptz) FROM PUBLIC",
        )
    )
    return manager
