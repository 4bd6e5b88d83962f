"""`manage.py routes` and `manage.py migrate_all` against the real test databases."""

import json

import pytest
from django.apps import apps
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

from tests.support.commands import command_failure, command_output
from tests.support.engines import described, engine_name
from tests.support.routing import routing

ALL_MODELS = apps.get_models(include_auto_created=True)


# routes: no test here is marked django_db, so any query would fail it: routes never connects.


def test_routes_table_has_one_aligned_row_per_model():
    header, *rows = command_output("routes").splitlines()
    assert header.split() == ["MODEL", "APP", "READ", "WRITE", "MIGRATE", "ENGINE"]
    assert [row.split()[0] for row in rows] == [model._meta.label for model in ALL_MODELS]
    film = next(row for row in rows if row.startswith("app1.Film "))
    assert film.split() == ["app1.Film", "app1", "app1", "app1", "app1", "MySQL"]
    for column in ("READ", "WRITE", "MIGRATE", "ENGINE"):
        start = header.index(column)
        assert all(row[start - 2 : start] == "  " and row[start] != " " for row in rows), column


def test_routes_json():
    rows = {row["model"]: row for row in json.loads(command_output("routes", "--format", "json"))}
    assert set(rows) == {model._meta.label for model in ALL_MODELS}
    assert rows["app2.Book_authors"] == {
        "model": "app2.Book_authors",
        "app": "app2",
        "read": "app2",
        "replicas": [],
        "write": "app2",
        "migrate": ["app2"],
        "engine": "PostgreSQL",
    }
    assert rows["authapp.SharedUser"]["engine"] == engine_name("default")


def test_routes_shows_a_routing_mistake():
    """With app1 missing from DATABASE_ROUTING, its tables would be created on every alias."""
    with routing(app1=None):
        rows = {row["model"]: row for row in json.loads(command_output("routes", "--format", "json"))}
        table = command_output("routes")
    assert rows["app1.Film"]["read"] == "default"
    assert rows["app1.Film"]["migrate"] == ["default", "app1", "app2"]
    assert "default, app1, app2" in next(line for line in table.splitlines() if line.startswith("app1.Film "))


# migrate_all: each test edits django_migrations inside its test transaction, which rolls it back.

all_databases = pytest.mark.django_db(databases="__all__")


def headings(output):
    return [line for line in output.splitlines() if line.startswith("Migrating ")]


@all_databases
def test_migrate_all_migrates_every_alias_in_order():
    app1 = MigrationRecorder(connections["app1"])
    # Recorded everywhere, created only on default: re-applying it on app1 only records it.
    app1.record_unapplied("sessions", "0001_initial")
    output = command_output("migrate_all")
    assert [heading.split()[1] for heading in headings(output)] == ["'default'", "'app1'", "'app2'"]
    assert output.count("No migrations to apply.") == 2
    assert "Applying sessions.0001_initial... OK" in output.split("Migrating 'app1'")[1].split("Migrating")[0]
    assert ("sessions", "0001_initial") in app1.applied_migrations()


@all_databases
def test_migrate_all_stops_at_the_first_failing_alias():
    # admin.0001 stays applied on app1 while its dependency does not: migrate refuses that history.
    MigrationRecorder(connections["app1"]).record_unapplied("authapp", "0001_initial")
    message, output = command_failure("migrate_all")
    assert message.startswith("Migrating 'app1' (MySQL at ")
    assert "admin.0001_initial is applied before its dependency authapp.0001_initial" in message
    assert message.endswith("Migrated: default. Not attempted: app2.")
    assert [heading.split()[1] for heading in headings(output)] == ["'default'", "'app1'"]


@all_databases
def test_migrate_all_check_passes_when_every_alias_is_up_to_date():
    output = command_output("migrate_all", "--check")
    assert output.count(": up to date") == 3


@all_databases
def test_migrate_all_check_fails_on_any_unapplied_migration():
    MigrationRecorder(connections["app2"]).record_unapplied("sessions", "0001_initial")
    _, output = command_failure(
        "migrate_all", "--check", match=r"^Unapplied migrations on app2: run `manage.py migrate_all`"
    )
    lines = output.splitlines()
    assert lines[0].startswith("'default'")
    assert lines[1].startswith("'app1'")
    assert lines[0].endswith(": up to date")
    assert lines[1].endswith(": up to date")
    assert lines[2].startswith("'app2' (PostgreSQL at ")
    assert lines[2].endswith(": 1 unapplied: sessions.0001_initial")
    # Nothing was applied.
    assert ("sessions", "0001_initial") not in MigrationRecorder(connections["app2"]).applied_migrations()


@all_databases
def test_migrate_all_check_fails_when_a_history_cannot_be_read():
    # admin.0001 applied without its dependency: the history is inconsistent, so nothing can be said.
    MigrationRecorder(connections["default"]).record_unapplied("authapp", "0001_initial")
    _, output = command_failure(
        "migrate_all", "--check", match=r"^Could not read the migration history of default \(see above\)\.$"
    )
    assert output.splitlines()[0].startswith(f"{described('default')}: cannot tell")
    assert ": cannot tell: Migration admin.0001_initial is applied before its dependency" in output
