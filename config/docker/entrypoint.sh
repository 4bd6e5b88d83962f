#!/usr/bin/env bash
# Container entrypoint (also used by `make serve`): wait for every database alias, migrate
# each one, then run the command given (gunicorn by default).
# Never flushes: on a restart migrate applies only what is new, so the data stays.
set -o errexit -o pipefail -o nounset
cd "$(dirname "$0")/../.."

aliases=$(python manage.py wait_for_databases --timeout "${DB_WAIT_TIMEOUT:-60}")
for alias in $aliases; do
  # migrate touches one database at a time; the router keeps each app's tables on its alias.
  python manage.py migrate --database="$alias" --noinput
done

exec "$@"
