"""Each alias runs on the engine its URL names, with the options the settings ship, in the tests too.

The engine is read from the connection, so the suite passes with users on SQLite (the default) or
on PostgreSQL (`DATABASE_URL=postgres://...`): an engine-specific check asserts what the engine
that is there must do; none is skipped.
"""

import os
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import environ
import pytest
from django.db import connections

from authapp.factories import SharedUserFactory
from authapp.models import SharedUser

# A URL's scheme (as django-environ reads it) to the vendor Django reports for it.
URL_VENDORS = {"sqlite": "sqlite", "mysql": "mysql", "postgres": "postgresql", "postgresql": "postgresql"}


def test_engines_behind_each_alias():
    """Users on the engine DATABASE_URL names (SQLite without it); films on MySQL; books on PostgreSQL."""
    # The test settings ignore .env, not the environment: CI runs the suite once per users engine.
    users_url = os.environ.get("DATABASE_URL", "sqlite:///")
    assert connections["default"].vendor == URL_VENDORS[urlsplit(users_url).scheme]
    assert connections["app1"].vendor == "mysql"
    assert connections["app2"].vendor == "postgresql"


def pragma(cursor, name):
    cursor.execute(f"PRAGMA {name}")
    return cursor.fetchone()[0]


def sqlite_options_in_effect(connection):
    options = connection.settings_dict["OPTIONS"]
    with connection.cursor() as cursor:
        assert pragma(cursor, "journal_mode") == "wal"  # a database in memory would answer "memory"
        assert pragma(cursor, "synchronous") == 1  # NORMAL
        assert pragma(cursor, "busy_timeout") == options["timeout"] * 1000
    # The test runs inside a transaction that has written nothing. IMMEDIATE took the write lock at
    # its BEGIN (DEFERRED would take it at the first write), so a second writer must wait for it.
    assert connection.in_atomic_block
    with (
        closing(sqlite3.connect(connection.settings_dict["NAME"], timeout=0)) as other,
        pytest.raises(sqlite3.OperationalError, match="database is locked"),
    ):
        other.execute("BEGIN IMMEDIATE")


def mysql_options_in_effect(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@sql_mode, @@character_set_connection, @@character_set_database")
        sql_mode, connection_charset, database_charset = cursor.fetchone()
    assert "STRICT_TRANS_TABLES" in sql_mode  # too-long values are refused, never truncated
    assert (connection_charset, database_charset) == ("utf8mb4", "utf8mb4")


def postgresql_options_in_effect(connection):
    connection.ensure_connection()
    parameters = connection.connection.info.get_parameters()
    # A server that neither answers nor refuses costs at most this long, not the OS's minutes.
    assert parameters["connect_timeout"] == str(connection.settings_dict["OPTIONS"]["connect_timeout"])
    assert parameters["client_encoding"] == "UTF8"
    # DB_PREPARED_STATEMENTS=true: a statement run a 6th time on a connection runs prepared, planned
    # once by the server; off (Django's default), nothing is ever prepared. CI runs the suite both ways.
    with connection.cursor() as cursor:
        for _ in range(6):
            cursor.execute("SELECT %s::int + 1", [1])
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["SELECT $1::int + 1"])
        prepared = cursor.fetchone()[0] == 1
    assert prepared == environ.Env().bool("DB_PREPARED_STATEMENTS", default=False)


OPTIONS_IN_EFFECT = {
    "sqlite": sqlite_options_in_effect,
    "mysql": mysql_options_in_effect,
    "postgresql": postgresql_options_in_effect,
}


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize("alias", ["default", "app1", "app2"])
def test_engine_options_are_in_effect_on_the_test_connection(alias):
    """The options of config/settings/base.py, for the engine behind the alias, on the tests' own connection."""
    OPTIONS_IN_EFFECT[connections[alias].vendor](connections[alias])


@pytest.mark.django_db(transaction=True)
def test_a_second_connection_sees_the_users_the_tests_commit(tmp_path_factory):
    """The users' test database is a real one; on SQLite, a file in this run's own temporary directory."""
    user = SharedUserFactory()
    settings_dict = connections["default"].settings_dict
    if connections["default"].vendor == "sqlite":
        name = Path(settings_dict["NAME"])
        assert name.parent == tmp_path_factory.getbasetemp()  # new for every run and every xdist worker
        assert name.is_file()
        assert Path(f"{name}-wal").is_file()  # journal_mode=WAL on disk: commits go to the write-ahead log
    other = connections.create_connection("default")  # not the test's: its own connection to the same database
    try:
        with other.cursor() as cursor:
            cursor.execute(f"SELECT username FROM {SharedUser._meta.db_table} WHERE id = %s", [user.pk])  # noqa: S608
            assert cursor.fetchall() == [(user.username,)]
    finally:
        other.close()
