#!/usr/bin/env bash
# Run once by the PostgreSQL image when it initialises an empty data directory (as the postgres
# user, beside its temporary server). Creates the role the replica streams as, and lets it connect
# for replication from the stack's network: `all` in pg_hba.conf does not cover replication.
set -o errexit -o nounset
psql --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --set ON_ERROR_STOP=1 \
  --set password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
