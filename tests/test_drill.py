"""The fault drill, short: MySQL, PostgreSQL, then its replica cut off under load, SQLite under concurrent writers.

tests/load/drill.py with a second or two of load per phase: films on a throwaway MySQL database
test_<name>_drill that it creates (and this test drops), books on a private PostgreSQL primary and
standby that the drill builds and removes. When MySQL is down, create_databases fails and so does
the test.
"""

from django.db import connections

from tests.load.drill import run_drill
from tests.support.databases import database_url, drop_database, throwaway_name


def drill_name(alias):
    return throwaway_name(alias, "drill")


def test_outages_and_sqlite_writers_lose_nothing(tmp_path, django_db_blocker, production_static):
    try:
        result = run_drill(
            phase_seconds=0.75,
            logins=2,  # each login is a deliberately slow PBKDF2 hash: two threads prove the point in CI
            sqlite_path=tmp_path / "users.sqlite3",
            static_root=production_static,
            app1_url=database_url(connections.settings["app1"], drill_name("app1")),
            log=lambda line: None,
        )
    finally:
        with django_db_blocker.unblock():  # the drill's own databases, not the test databases
            drop_database("app1", drill_name("app1"))  # app2 ran on a private server, removed already
    failed = [f"{check['check']}: {check['detail']}" for check in result["checks"] if not check["ok"]]
    assert failed == []
    assert result["lost"] == 0
    assert result["locked"] == 0
    assert result["wrong_authors"] == 0
    assert all(row["acknowledged"] == row["found"] for row in result["table"])
