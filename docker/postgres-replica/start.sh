#!/usr/bin/env bash
# The replica's entrypoint, as the postgres user: on first start (an empty data directory) clone
# the primary with pg_basebackup --write-recovery-conf, which also makes the copy a streaming
# standby; then run the command given (the server). Later starts keep the copy and catch up.
set -o errexit -o nounset
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready --host "$PRIMARY_HOST" --port "${PRIMARY_PORT:-5432}" --quiet; do sleep 1; done
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup --host "$PRIMARY_HOST" --port "${PRIMARY_PORT:-5432}" \
    --username replicator --pgdata "$PGDATA" --wal-method stream --write-recovery-conf
  chmod 0700 "$PGDATA"
fi
exec "$@"
