#!/usr/bin/env bash
# Container entrypoint (also used by `make serve`): wait for every database alias, migrate
# each one, then run the command given (gunicorn by default).
# Never flushes: on a restart migrate applies only what is new, so the data stays.
set -o errexit -o pipefail -o nounset
cd "$(dirname "$0")/.."

python manage.py wait_for_databases --timeout "${DB_WAIT_TIMEOUT:-60}"

# migrate touches one database at a time: migrate_all runs `migrate --database=<alias>` for each
# alias in turn, in one process (one Django start-up, not three), and stops at the first failure.
# Only default's post_migrate writes content types and permissions: the router keeps them there.
python manage.py migrate_all --noinput

exec "$@"
