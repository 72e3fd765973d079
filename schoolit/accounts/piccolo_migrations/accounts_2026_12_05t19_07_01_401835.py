"""Database-enforced rules of single sign-on: one account per identity at a provider, no local
password on accounts a provider signs in, provider names fit for addresses, mapping scopes that fit
their role."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from schoolit.migrations import sql

ID = "2026-12-05T19:07:01:401835"
VERSION = "1.38.0"
DESCRIPTION = "sign-in constraints"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    # Piccolo runs raw steps before table changes, so rules on new tables need a migration of their own.
    manager.add_raw(
        sql(
            "CREATE UNIQUE INDEX app_user_source_external_id ON app_user (source, external_id) "
            "WHERE external_id IS NOT NULL",
            "ALTER TABLE app_user ADD CONSTRAINT app_user_external_has_no_password "
            "CHECK (source = 'local' OR password_hash IS NULL)",
            "ALTER TABLE sign_in_provider ADD CONSTRAINT sign_in_provider_name_format "
            "CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,39}$')",
            "ALTER TABLE sign_in_mapping ADD CONSTRAINT sign_in_mapping_scope_fits_role CHECK ("
            " (role = 'admin' AND county_id IS NULL AND arrangement_id IS NULL AND school_id IS NULL)"
            " OR (role = 'supporter' AND school_id IS NULL AND (county_id IS NULL) <> (arrangement_id IS NULL))"
            " OR (role = 'authority' AND county_id IS NOT NULL AND arrangement_id IS NULL AND school_id IS NULL)"
            " OR (role = 'school' AND school_id IS NOT NULL AND county_id IS NOT NULL AND arrangement_id IS NULL))",
        )
    )
    return manager
