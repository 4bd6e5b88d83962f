"""Concurrent writers on the SQLite file queue up instead of failing with "database is locked"."""

import sqlite3
from contextlib import closing

from tests.support.processes import checked, local_environ, manage, module_json


def test_concurrent_read_then_write_transactions_never_see_database_is_locked(tmp_path):
    """With SQLite's default DEFERRED mode most of these fail at once with "database is locked"."""
    env = local_environ(DATABASE_URL=f"sqlite:///{tmp_path / 'users.sqlite3'}")
    checked(manage("migrate", "--database=default", "-v0", env=env, timeout=180), "migrate")
    arguments = ("--processes", "4", "--transactions", "30")
    figures = module_json("tests.load.sqlite_writers", *arguments, env=env, timeout=180)
    assert figures == {**figures, "attempted": 120, "committed": 120, "locked": 0, "other_errors": 0}
    with closing(sqlite3.connect(tmp_path / "users.sqlite3")) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)  # persistent, set by init_command
