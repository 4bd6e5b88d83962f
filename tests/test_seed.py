"""`manage.py seed`: counts, top-ups, repeatable data, and batches that land on their own database."""

import math
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from app1.models import Director, Film
from app2.models import Author, Book
from tests.support.commands import command_output

pytestmark = pytest.mark.django_db(databases="__all__")

SMALL = {"users": 3, "films": 25, "books": 15, "batch_size": 10}


def seed(**options):
    """Run `manage.py seed` at SMALL's sizes unless told otherwise; return what it printed."""
    return command_output("seed", **{**SMALL, **options})


def counts():
    return {
        "users": get_user_model()._default_manager.count(),
        "directors": Director.objects.count(),
        "films": Film.objects.count(),
        "authors": Author.objects.count(),
        "books": Book.objects.count(),
    }


def test_seed_creates_the_requested_counts():
    output = seed()
    # Ten films per director, five books per author.
    assert counts() == {"users": 3, "directors": 2, "films": 25, "authors": 3, "books": 15}
    user_ids = set(get_user_model()._default_manager.values_list("pk", flat=True))
    assert set(Film.objects.values_list("added_by_id", flat=True)) <= user_ids
    authors_per_book = Book.objects.annotate(n=Count("authors")).values_list("n", flat=True)
    assert set(authors_per_book) <= {1, 2, 3}
    assert min(authors_per_book) >= 1
    for alias in ("default", "app1", "app2"):
        assert any(line.startswith(alias) and "all tables" in line for line in output.splitlines())
    assert "app1     app1.Film            +     25 rows in" in output
    assert "rows/s" in output


def test_verbose_seed_splits_each_tables_time_into_build_write_and_commit():
    lines = seed(verbosity=2).splitlines()
    for label in ("authapp.SharedUser", "app1.Director", "app1.Film", "app2.Author", "app2.Book"):
        table = next(index for index, line in enumerate(lines) if label in line)
        split = re.fullmatch(r" +build (\S+) s, write (\S+) s, commit (\S+) s", lines[table + 1])
        assert split, lines[table + 1]
        total = float(re.search(r"rows in +(\S+) s", lines[table]).group(1))
        assert sum(map(float, split.groups())) == pytest.approx(total, abs=0.02)
    assert "build" not in seed()  # nothing added: no split


def test_seed_is_safe_to_repeat_and_tops_up():
    seed()
    before = counts()
    output = seed()
    assert counts() == before
    assert output.count("nothing to add") == 5
    seed(films=40, books=31)
    assert counts() == {**before, "directors": 4, "films": 40, "authors": 6, "books": 31}
    # Generated usernames and ISBNs never collide with the ones already there.
    assert Book.objects.values("isbn").distinct().count() == 31


def test_same_seed_gives_the_same_rows():
    def snapshot():
        return (
            list(Film.objects.order_by("pk").values_list("title", "year", "runtime_minutes")),
            list(Book.objects.order_by("pk").values_list("title", "isbn", "published", "pages")),
            list(Director.objects.order_by("pk").values_list("name", flat=True)),
        )

    seed()
    first = snapshot()
    for model in (Film, Director, Book, Author):
        model.objects.all().delete()
    seed()
    assert snapshot() == first
    seed(seed=7)  # tops nothing up: the counts are reached, whatever the seed
    assert snapshot() == first


def test_each_batch_is_one_bulk_statement_in_a_transaction_on_its_own_database():
    """One multi-row INSERT per batch on MySQL and SQLite, one COPY per batch on PostgreSQL."""
    with (
        CaptureQueriesContext(connections["default"]) as default,
        CaptureQueriesContext(connections["app1"]) as app1,
        CaptureQueriesContext(connections["app2"]) as app2,
    ):
        seed()

    def statements(captured, prefix):
        return [query["sql"] for query in captured.captured_queries if query["sql"].startswith(prefix)]

    film_batches = math.ceil(SMALL["films"] / SMALL["batch_size"])
    book_batches = math.ceil(SMALL["books"] / SMALL["batch_size"])
    assert len(statements(app1, "INSERT INTO `app1_film`")) == film_batches
    assert len(statements(app1, "INSERT INTO `app1_director`")) == 1
    assert len(statements(app2, 'COPY "app2_book" ')) == book_batches
    assert len(statements(app2, 'COPY "app2_book_authors" ')) == book_batches
    assert len(statements(app2, 'COPY "app2_author" ')) == 1
    assert statements(app2, "INSERT") == []
    assert len(statements(default, 'INSERT INTO "authapp_shareduser"')) == 1
    # Nothing lands on another database.
    assert statements(default, 'INSERT INTO "app') == []
    assert statements(app1, "INSERT INTO `app2") == []
    assert statements(app1, "INSERT INTO `authapp") == []
    assert statements(app2, 'INSERT INTO "app1') == []
    assert statements(app2, 'INSERT INTO "authapp') == []
    assert statements(default, "COPY") == []
    # One transaction per batch, on the batch's own database (a savepoint inside the test's transaction).
    assert len(statements(app1, "SAVEPOINT")) == 1 + film_batches
    assert len(statements(app2, "SAVEPOINT")) == 1 + book_batches
