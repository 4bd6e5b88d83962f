#!/usr/bin/env bash
# Container entrypoint (also used by `make serve`): wait for every database alias, migrate
# each one, then run the command given (gunicorn by default).
# Never flushes: on a restart migrate applies only what is new, so the data stays.
set -o errexit -o pipefail -o nounset
cd "$(dirname "$0")/../.."

aliases=$(python manage.py wait_for_databases --timeout "${DB_WAIT_TIMEOUT:-60}")

# migrate touches one database at a time; the aliases are independent, so they migrate side
# by side (each line prefixed with its alias). Only default's post_migrate writes content
# types and permissions: the router keeps them in default.
pids=()
for alias in $aliases; do
  python manage.py migrate --database="$alias" --noinput 2>&1 | sed -u "s/^/[$alias] /" &
  pids+=("$!")
done
for pid in "${pids[@]}"; do
  wait "$pid"  # a failed migration stops the start (errexit, pipefail)
done

exec "$@"
