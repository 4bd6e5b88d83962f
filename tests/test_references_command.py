"""`manage.py references` finds the ids that still dangle, and --fix clears them and protects the ids still held."""

import threading
import time
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connections, transaction

from app1.factories import FilmFactory
from app1.models import Film
from app2.factories import BookFactory
from app2.models import Book
from authapp.factories import SharedUserFactory
from authapp.models import SharedUser
from routers import references
from routers.management.commands.references import move_past
from tests.support.commands import command_failure, command_output

pytestmark = pytest.mark.django_db(databases="__all__")

FILM_LINE = "app1.Film.added_by -> authapp.SharedUser: "
BOOK_LINE = "app2.Book.added_by -> authapp.SharedUser: "


def line(output, start):
    """The report line for one reference."""
    return next(text for text in output.splitlines() if text.startswith(start))


def test_a_clean_database_passes_the_check(user):
    FilmFactory(added_by=user)
    BookFactory(added_by=user)
    output = command_output("references")
    assert line(output, FILM_LINE).startswith(
        f"{FILM_LINE}0 rows (0 ids) point at no row; highest id referenced: {user.pk}"
    )
    assert line(output, BOOK_LINE).startswith(f"{BOOK_LINE}0 rows (0 ids) point at no row")


def test_a_rolled_back_clearing_leaves_ids_the_check_finds_and_the_fix_clears(user):
    """An outer atomic() on app1 rolls the clearing back after the user is gone (finding 2)."""
    FilmFactory.create_batch(2, added_by=user)
    BookFactory(added_by=user)
    user_id = user.pk  # delete() sets it to None
    with pytest.raises(RuntimeError), transaction.atomic(using="app1"):
        user.delete()
        raise RuntimeError("the request failed after the user was deleted")
    assert not SharedUser.objects.filter(pk=user_id).exists()
    assert Film.objects.filter(added_by_id=user_id).count() == 2  # rolled back with app1's block

    _, output = command_failure("references", match="references --fix")
    assert line(output, FILM_LINE).startswith(f"{FILM_LINE}2 rows (1 ids) point at no row")
    assert line(output, BOOK_LINE).startswith(f"{BOOK_LINE}0 rows (0 ids) point at no row")

    assert line(command_output("references", "--fix"), FILM_LINE).startswith(f"{FILM_LINE}2 rows (1 ids) cleared")
    assert not Film.objects.filter(added_by_id=user_id).exists()
    command_output("references")  # clean again: no CommandError


def test_a_film_added_while_its_user_is_deleted_dangles_until_the_fix(user):
    """The form validated the user, the film committed after the clearing, the user went (finding 2)."""
    clear = references.clear_references

    def clear_then_race(model, pks, **kwargs):
        clear(model, pks, **kwargs)
        FilmFactory(added_by=user)  # another request's INSERT lands between the clearing and the delete

    user_id = user.pk  # delete() sets it to None
    with mock.patch("routers.references.clear_references", clear_then_race):
        user.delete()

    message, output = command_failure("references", match="references --fix")
    assert line(output, FILM_LINE).startswith(f"{FILM_LINE}1 rows (1 ids) point at no row")
    assert "app1.Film.added_by" in message
    assert "app2.Book.added_by" not in message

    output = command_output("references", "--fix")
    assert line(output, FILM_LINE).startswith(f"{FILM_LINE}1 rows (1 ids) cleared")
    assert not Film.objects.filter(added_by_id=user_id).exists()
    command_output("references")  # clean again: no CommandError


def test_after_a_flush_of_default_new_users_cannot_take_over_old_references():
    """flush resets the user id sequence: without the fix, the next user would be the author of every old film."""
    users = SharedUserFactory.create_batch(3)
    film = FilmFactory(added_by=users[-1])
    BookFactory(added_by=users[0])
    call_command("flush", database="default", interactive=False, verbosity=0)

    _, output = command_failure("references", match="references --fix")
    assert f"the next new row gets id 1, which is still referenced (up to {users[-1].pk})" in output

    command_output("references", "--fix")
    assert Film.objects.get(pk=film.pk).added_by_id is None
    assert Book.objects.filter(added_by__isnull=False).count() == 0
    newcomer = SharedUserFactory()
    assert newcomer.pk > users[-1].pk
    assert SharedUser.objects.count() == 1


def test_batches_walk_every_id_in_order():
    users = SharedUserFactory.create_batch(5)
    for user in users:
        FilmFactory(added_by=user)
    SharedUser.objects.filter(pk__in=[users[1].pk, users[3].pk])._raw_delete("default")  # gone, not cleared
    _, output = command_failure("references", "--batch-size", "2", match="references --fix")
    assert line(output, FILM_LINE).startswith(
        f"{FILM_LINE}2 rows (2 ids) point at no row; highest id referenced: {users[-1].pk}"
    )


@pytest.mark.django_db(databases="__all__", transaction=True)  # MySQL's ALTER TABLE commits
@pytest.mark.parametrize(
    "factory", [SharedUserFactory, FilmFactory, BookFactory], ids=["SQLite", "MySQL", "PostgreSQL"]
)
def test_moving_a_sequence_past_an_id_never_moves_it_back(factory):
    """Rows inserted since the check read the sequence may have taken it past the highest reference already."""
    first, *newer = factory.create_batch(3)
    model = type(first)
    model.objects.filter(pk__in=[row.pk for row in newer]).delete()  # gone, but their ids were handed out
    move_past(model, model.objects.db, first.pk)
    assert factory().pk > newer[-1].pk


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_moving_a_sequence_while_rows_are_inserted_hands_no_id_out_twice():
    """Inserts on another connection while --fix moves PostgreSQL's sequence: each must get a new id."""
    deadline = time.monotonic() + 3
    failures = []

    def insert():
        try:
            while time.monotonic() < deadline:
                BookFactory()
        except IntegrityError as exc:  # a duplicate primary key
            failures.append(exc)
        finally:
            connections.close_all()

    inserter = threading.Thread(target=insert, daemon=True)
    inserter.start()
    while time.monotonic() < deadline:
        move_past(Book, "app2", 1)
    inserter.join(timeout=10)
    assert failures == []
