"""Fixtures per alias: `demo.<alias>.json` loads only into its alias, and dumpdata round-trips each alias."""

import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections
from django.utils.dateparse import parse_datetime

from app1.factories import FilmFactory
from app1.models import Director, Film
from app2.factories import AuthorFactory, BookFactory
from app2.models import Author, Book
from authapp.factories import SharedUserFactory
from tests.support.commands import command_output

pytestmark = pytest.mark.django_db(databases="__all__")

DEMO = {
    "default": {"authapp_shareduser": 2},
    "app1": {"app1_director": 2, "app1_film": 3},
    "app2": {"app2_author": 3, "app2_book": 3, "app2_book_authors": 4},
}


def rows_on_server(alias, table):
    """Count a table's rows with plain SQL on the alias's own connection, bypassing the ORM."""
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connections[alias].ops.quote_name(table)}")  # noqa: S608
        return cursor.fetchone()[0]


def test_demo_fixture_loads_each_part_into_its_own_database():
    for alias, tables in DEMO.items():
        objects = sum(count for table, count in tables.items() if not table.endswith("_authors"))
        # One fixture file found per alias: demo.<alias>.json; the others' are not even opened.
        assert command_output("loaddata", "demo", f"--database={alias}").strip() == (
            f"Installed {objects} object(s) from 1 fixture(s)"
        )
        for table, count in tables.items():
            assert rows_on_server(alias, table) == count, (alias, table)
    # Every cross-database id in the demo data points at a real row, and every row is valid.
    for obj in [*get_user_model()._default_manager.all(), *Film.objects.all(), *Book.objects.all()]:
        obj.full_clean()
    assert Book.objects.get(title="Good Omens").authors.count() == 2


def test_a_fixture_loaded_into_the_wrong_alias_loads_nothing():
    """The router's allow_migrate filters every object: app1 rows never reach PostgreSQL or SQLite."""
    for alias in ("app2", "default"):
        fixture = settings.BASE_DIR / "demo" / "fixtures" / "demo.app1.json"
        assert command_output("loaddata", str(fixture), f"--database={alias}").strip() == (
            "Installed 0 object(s) (of 5) from 1 fixture(s)"
        )
    assert Film.objects.count() == 0
    assert Director.objects.count() == 0


def make_rows(alias):
    """Create a few rows of every kind the alias holds, cross-database ids included."""
    users = SharedUserFactory.create_batch(2)
    if alias == "app1":
        FilmFactory.create_batch(3, added_by=users[0])
    if alias == "app2":
        authors = AuthorFactory.create_batch(2)
        BookFactory(authors=authors, added_by=users[1])
        BookFactory(authors=authors[:1])


APP_MODELS = {"default": [get_user_model()], "app1": [Film, Director], "app2": [Book, Author]}


@pytest.mark.parametrize("natural", [[], ["--natural-foreign"]], ids=["ids", "natural-foreign"])
@pytest.mark.parametrize("alias", ["default", "app1", "app2"])
def test_dumpdata_round_trips_each_alias(alias, natural, tmp_path):
    """With --natural-foreign a film names its user by username, which loaddata looks up on default."""
    make_rows(alias)
    dump = tmp_path / f"dump.{alias}.json"
    call_command("dumpdata", f"--database={alias}", f"--output={dump}", "--indent=2", *natural)
    before = json.loads(dump.read_text())
    if natural and alias != "default":
        assert {tuple(obj["fields"]["added_by"] or ()) for obj in before if "added_by" in obj["fields"]} <= {
            (user.username,) for user in get_user_model()._default_manager.all()
        } | {()}
    dumped_apps = {obj["model"].split(".")[0] for obj in before}
    # dumpdata asks the router too: each dump holds its own alias's apps and nothing else.
    expected_apps = {"default": {"auth", "authapp", "contenttypes"}, "app1": {"app1"}, "app2": {"app2"}}
    assert dumped_apps == expected_apps[alias]

    for model in APP_MODELS[alias]:
        model._default_manager.all().delete()
        assert model._default_manager.count() == 0
    loaded = command_output("loaddata", str(dump), f"--database={alias}").strip()
    assert loaded == f"Installed {len(before)} object(s) from 1 fixture(s)"

    again = tmp_path / "again.json"
    call_command("dumpdata", f"--database={alias}", f"--output={again}", "--indent=2", *natural)
    assert comparable(json.loads(again.read_text())) == comparable(before)


def comparable(objects):
    """Parse the dumped datetimes: dumpdata keeps milliseconds, so 12:00:00.000Z comes back as 12:00:00Z."""
    for obj in objects:
        for field, value in obj["fields"].items():
            if isinstance(value, str) and (moment := parse_datetime(value)):
                obj["fields"][field] = moment
    return objects
