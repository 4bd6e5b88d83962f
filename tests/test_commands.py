"""make's building blocks: create_databases, demo_superuser, and failing loudly on a server that is down."""

import os

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import override_settings

from authapp.models import SharedUser
from tests.support.commands import command_output
from tests.support.databases import drop_database, throwaway_name
from tests.support.engines import described
from tests.support.processes import local_environ, manage, python

UNREACHABLE_MYSQL = "mysql://root:hunter2-secret@127.0.0.1:1/films"


@pytest.fixture
def scratch_databases(monkeypatch, tmp_path):
    """Point every alias at a database no other test uses; the server databases are dropped afterwards."""
    names = {
        alias: str(tmp_path / "sub" / "users.sqlite3")
        if connections[alias].vendor == "sqlite"
        else throwaway_name(alias, "scratch")
        for alias in ("default", "app1", "app2")
    }
    originals = {alias: connections[alias] for alias in names}  # the test's own, set aside
    for alias, name in names.items():
        monkeypatch.setitem(connections.settings, alias, {**connections.settings[alias], "NAME": name})
        connections[alias] = connections.create_connection(alias)
    yield names
    for alias, original in originals.items():
        connections[alias].close()
        connections[alias] = original
    for alias, name in names.items():
        if connections[alias].vendor != "sqlite":
            drop_database(alias, name)


@pytest.mark.django_db(databases="__all__")
def test_create_databases_creates_then_reports_existing(scratch_databases, tmp_path):
    first = command_output("create_databases")
    second = command_output("create_databases")
    for alias, name in scratch_databases.items():
        if connections[alias].vendor == "sqlite":
            # SQLite creates the file itself; it needs the directory (for the file and its WAL files).
            assert f"{described(alias)}: file will be created by migrate" in first
            assert (tmp_path / "sub").is_dir()
        else:
            assert f"{described(alias)}: database '{name}' created" in first
            assert f"{described(alias)}: database '{name}' exists" in second
    with connections["app1"]._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME=%s",
            [scratch_databases["app1"]],
        )
        assert cursor.fetchone() == ("utf8mb4",)


def test_create_databases_names_the_unreachable_alias_without_the_password(tmp_path):
    # default comes first: a throwaway file, so the run never creates the developer's users database.
    users = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    result = manage("create_databases", env=local_environ(DATABASE_URL=users, APP1_DATABASE_URL=UNREACHABLE_MYSQL))
    assert result.returncode == 1
    assert "Database 'app1' (MySQL at 127.0.0.1:1) is unreachable" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_test_suite_fails_not_skips_when_a_server_is_down():
    pytest_args = ("-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_factories.py")
    result = python(*pytest_args, env={**os.environ, "APP1_DATABASE_URL": UNREACHABLE_MYSQL}, timeout=120)
    assert result.returncode != 0
    assert "Database 'app1' (MySQL at 127.0.0.1:1) is unreachable" in result.stdout
    assert "hunter2" not in result.stdout
    assert "skipped" not in result.stdout
    assert " passed" in result.stdout  # tests that need no database still run


@pytest.mark.django_db(databases=["default"])
def test_demo_superuser_creates_then_resets(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "demo-admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "first")
    with override_settings(DEBUG=True):
        command_output("demo_superuser")
        monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "second")
        command_output("demo_superuser")
    user = SharedUser.objects.get(username="demo-admin")
    assert user.is_superuser
    assert user.is_staff
    assert user.check_password("second")


@pytest.mark.django_db(databases=["default"])
def test_demo_superuser_refuses_outside_local_development(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "demo-admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "pw")
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="local development only"):
        call_command("demo_superuser")
    assert not SharedUser.objects.filter(username="demo-admin").exists()
