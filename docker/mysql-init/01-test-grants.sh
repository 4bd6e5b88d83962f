#!/usr/bin/env bash
# Run once by the MySQL image when it initialises an empty data directory (as root, after it
# created MYSQL_USER with rights on MYSQL_DATABASE only). The test suite, run inside the stack,
# creates test_<name> databases (test_<name>_gw0... under pytest-xdist): grant those too.
# `\_` makes the underscore literal; `%` matches the rest of the name.
set -o errexit -o nounset
MYSQL_PWD="${MYSQL_ROOT_PASSWORD}" mysql --user=root --execute="
  GRANT ALL PRIVILEGES ON \`test\\_%\`.* TO '${MYSQL_USER}'@'%';
  FLUSH PRIVILEGES;"
