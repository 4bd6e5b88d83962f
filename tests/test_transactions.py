"""transaction.atomic guards one alias: the one it is given (default when none is)."""

import pytest
from django.db import IntegrityError, transaction

from app1.factories import FilmFactory
from app1.models import Film
from app2.factories import BookFactory
from app2.models import Book
from authapp.factories import SharedUserFactory
from authapp.models import SharedUser

pytestmark = pytest.mark.django_db(databases="__all__")


class Boom(Exception):
    pass


def test_rollback_on_app1_leaves_default_and_app2_untouched():
    user = SharedUserFactory()
    book = BookFactory()
    with pytest.raises(Boom), transaction.atomic(using="app1"):
        FilmFactory(title="Rolled back", added_by=user)
        raise Boom
    assert not Film.objects.filter(title="Rolled back").exists()
    assert SharedUser.objects.filter(pk=user.pk).exists()
    assert Book.objects.filter(pk=book.pk).exists()


def test_atomic_without_using_does_not_guard_app1():
    """The pitfall: a bare atomic() is a transaction on default only."""
    with pytest.raises(Boom), transaction.atomic():
        FilmFactory(title="Not rolled back")
        SharedUserFactory(username="rolled-back")
        raise Boom
    assert Film.objects.filter(title="Not rolled back").exists()
    assert not SharedUser.objects.filter(username="rolled-back").exists()


def test_nested_atomics_roll_back_each_alias_independently():
    with transaction.atomic(using="app2"):
        BookFactory(title="Kept")
        with pytest.raises(Boom), transaction.atomic(using="app1"):
            FilmFactory(title="Dropped")
            raise Boom
    assert Book.objects.filter(title="Kept").exists()
    assert not Film.objects.filter(title="Dropped").exists()


def test_integrity_error_on_app2_leaves_no_partial_book():
    BookFactory(isbn="9780306406157")
    with pytest.raises(IntegrityError), transaction.atomic(using="app2"):
        BookFactory(isbn="9780306406157")
    assert Book.objects.filter(isbn="9780306406157").count() == 1


def test_on_commit_fires_for_its_own_alias_only(django_capture_on_commit_callbacks):
    fired = []
    with (
        django_capture_on_commit_callbacks(using="app1", execute=True) as app1_callbacks,
        django_capture_on_commit_callbacks(using="default", execute=True) as default_callbacks,
    ):
        transaction.on_commit(lambda: fired.append("app1 committed"), using="app1")
        # A callback registered in a block that rolls back is dropped with it.
        with pytest.raises(RuntimeError), transaction.atomic(using="app1"):
            transaction.on_commit(lambda: fired.append("app1 rolled back"), using="app1")
            raise RuntimeError
    assert fired == ["app1 committed"]
    assert len(app1_callbacks) == 1
    assert default_callbacks == []
