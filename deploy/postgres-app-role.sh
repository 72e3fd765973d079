#!/bin/sh
# The app's own database role for docker-compose.yml (docs/operations.md, "Install with Docker").
# The postgres image runs this once, on an empty data volume, from /docker-entrypoint-initdb.d; on an
# existing volume run it by hand: docker compose exec db sh /docker-entrypoint-initdb.d/10-schoolit-app-role.sh
# The image's POSTGRES_USER owns the tables and runs the migrations; the app logs in as schoolit_app,
# which owns nothing and may only append to the audit log (`schoolit migrate` grants its privileges).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     --set=app_password="$SCHOOLIT_APP_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE schoolit_app LOGIN PASSWORD %L', :'app_password')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'schoolit_app')
\gexec
SQL
