"""The MySQL init script, run for real: its grant lets the app user create test_* databases only.

The MySQL image runs docker/mysql-init/*.sh as root on first start. Here the script runs
against the local server as its root (the app1 URL's user), for a throwaway user. Needs an
account that may CREATE USER, which the compose stack's app user deliberately is not: inside the
stack deselect it with -m "not mysql_admin" (the suite creating test_* databases there is the
same check).
"""

import os
import secrets

import MySQLdb
import pytest
from django.db import connections

from tests.support.processes import BASE_DIR, run

SCRIPT = BASE_DIR / "docker" / "mysql-init" / "01-test-grants.sh"
pytestmark = pytest.mark.mysql_admin


@pytest.fixture
def server():
    return connections.settings["app1"]


@pytest.fixture
def app_user(server):
    """A user with no rights at all, as MYSQL_USER is before the script (minus MYSQL_DATABASE)."""
    name = f"wt_init_{os.getpid()}"
    password = secrets.token_urlsafe(12)
    root = MySQLdb.connect(
        host=server["HOST"], port=int(server["PORT"]), user=server["USER"], password=server["PASSWORD"]
    )
    cursor = root.cursor()
    cursor.execute("DROP USER IF EXISTS %s@'%%'", [name])
    cursor.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", [name, password])
    yield name, password
    for database in (f"test_{name}", f"test_{name}_gw0", f"testx{name}", name):
        cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
    cursor.execute("DROP USER IF EXISTS %s@'%%'", [name])
    root.close()


def test_init_script_grants_test_databases_and_nothing_else(server, app_user):
    name, password = app_user
    env = {
        **os.environ,
        "MYSQL_USER": name,
        "MYSQL_ROOT_PASSWORD": server["PASSWORD"] or "",
        # The image's temporary server listens on its socket; the local one is reached over TCP.
        "MYSQL_HOST": server["HOST"] or "127.0.0.1",
        "MYSQL_TCP_PORT": str(server["PORT"]),
    }
    if server["USER"] != "root":
        pytest.fail(f"The script runs as MySQL root; the app1 URL's user is {server['USER']!r}.", pytrace=False)
    result = run(SCRIPT, env=env, timeout=30)
    assert result.returncode == 0, result.stderr

    user = MySQLdb.connect(host=server["HOST"], port=int(server["PORT"]), user=name, password=password)
    cursor = user.cursor()
    cursor.execute(f"CREATE DATABASE `test_{name}`")  # pytest-django's test database
    cursor.execute(f"CREATE DATABASE `test_{name}_gw0`")  # and pytest-xdist's
    # `\_` is a literal underscore: "testx..." and other names stay out of reach.
    for refused in (f"testx{name}", name):
        with pytest.raises(MySQLdb.OperationalError, match="Access denied"):
            cursor.execute(f"CREATE DATABASE `{refused}`")
    user.close()
