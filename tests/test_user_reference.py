"""Films (MySQL) and books (PostgreSQL) point at a SharedUser (SQLite) by id."""

from unittest import mock

import pytest
from django.db import NotSupportedError, OperationalError, ProgrammingError, connections, transaction
from django.db.models import QuerySet

from app1.factories import FilmFactory
from app1.models import Film
from app2.factories import BookFactory
from app2.models import Book
from authapp.factories import SharedUserFactory
from authapp.models import SharedUser
from routers.references import ReferencesNotCleared

pytestmark = pytest.mark.django_db(databases="__all__")


def test_reading_added_by_queries_the_default_database(user, django_assert_num_queries):
    film = FilmFactory(added_by=user)
    film = Film.objects.get(pk=film.pk)
    with django_assert_num_queries(1, connection=connections["default"]):
        assert film.added_by == user
    assert film.added_by._state.db == "default"


def test_reverse_accessors_read_each_app_database(user):
    films = FilmFactory.create_batch(2, added_by=user)
    book = BookFactory(added_by=user)
    assert set(user.films.all()) == set(films)
    assert list(user.books.all()) == [book]
    assert user.films.all().db == "app1"
    assert user.books.all().db == "app2"


def test_assigning_a_user_stores_its_id(user):
    book = BookFactory()
    book.added_by = user
    book.save()
    assert Book.objects.filter(added_by=user).get() == book
    assert Book.objects.values_list("added_by_id", flat=True).get(pk=book.pk) == user.pk


def test_prefetch_related_crosses_databases_in_one_query(django_assert_num_queries):
    users = SharedUserFactory.create_batch(3)
    for user in users:
        FilmFactory(added_by=user)
    with django_assert_num_queries(1, connection=connections["default"]):
        films = list(Film.objects.prefetch_related("added_by"))
        assert {film.added_by for film in films} == set(users)


def test_joins_do_not_cross_databases(user):
    """select_related and filters through the user need a join that no server can do."""
    FilmFactory(added_by=user)
    with pytest.raises(ProgrammingError, match="authapp_shareduser"):
        list(Film.objects.filter(added_by__username=user.username))


@pytest.mark.parametrize(("model", "factory"), [(Film, FilmFactory), (Book, BookFactory)])
def test_a_subquery_on_users_runs_on_the_outer_database_so_read_the_ids_first(model, factory):
    """A queryset of users inside a filter becomes a subquery on MySQL or PostgreSQL, where no user table is."""
    staff, other = SharedUserFactory(is_staff=True), SharedUserFactory()
    kept = factory(added_by=staff)
    factory(added_by=other)
    # A savepoint: PostgreSQL refuses every later statement of a transaction that saw an error.
    with pytest.raises(ProgrammingError, match="authapp_shareduser"), transaction.atomic(using=model.objects.db):
        list(model.objects.filter(added_by__in=SharedUser.objects.filter(is_staff=True)))
    staff_ids = list(SharedUser.objects.filter(is_staff=True).values_list("pk", flat=True))  # read on default
    assert list(model.objects.filter(added_by__in=staff_ids)) == [kept]


def test_deleting_a_user_clears_its_films_and_books(user):
    film = FilmFactory(added_by=user)
    book = BookFactory(added_by=user)
    other_film = FilmFactory(added_by=SharedUserFactory())

    user.delete()

    film.refresh_from_db()
    book.refresh_from_db()
    other_film.refresh_from_db()
    assert film.added_by_id is None
    assert book.added_by_id is None
    assert other_film.added_by_id is not None
    assert not SharedUser.objects.filter(username=user.username).exists()


def test_bulk_deleting_users_clears_every_reference():
    users = SharedUserFactory.create_batch(3)
    for user in users:
        FilmFactory(added_by=user)
        BookFactory(added_by=user)

    SharedUser.objects.filter(pk__in=[u.pk for u in users]).delete()

    assert not Film.objects.filter(added_by_id__in=[u.pk for u in users]).exists()
    assert not Book.objects.filter(added_by_id__in=[u.pk for u in users]).exists()


@pytest.mark.parametrize(
    "select",
    [
        lambda users: users[:1],
        lambda users: users.values("pk"),
        lambda users: users.values_list("pk"),
        lambda users: users.union(SharedUser.objects.none()),
    ],
    ids=["sliced", "values", "values_list", "union"],
)
def test_a_delete_django_refuses_clears_nothing(user, select):
    """Django refuses these deletes with TypeError or NotSupportedError: the references must survive it."""
    film = FilmFactory(added_by=user)
    with pytest.raises((TypeError, NotSupportedError), match="delete"):
        select(SharedUser.objects.filter(pk=user.pk)).delete()
    film.refresh_from_db()
    assert film.added_by_id == user.pk
    assert SharedUser.objects.filter(pk=user.pk).exists()


def test_no_dangling_ids_when_the_second_database_write_fails(user):
    """The app2 write fails: the delete is aborted, the user stays, app1 is already cleared."""
    film = FilmFactory(added_by=user)
    book = BookFactory(added_by=user)
    real_update = QuerySet.update

    def update_failing_on_app2(queryset, **kwargs):
        if queryset.db == "app2":
            raise OperationalError("server closed the connection unexpectedly")
        return real_update(queryset, **kwargs)

    # atomic() stands in for autocommit: the test's own transaction wraps everything here.
    with (
        mock.patch.object(QuerySet, "update", update_failing_on_app2),
        pytest.raises(ReferencesNotCleared, match=r"app2\.Book\.added_by on 'app2' \(PostgreSQL\).*server closed"),
        transaction.atomic(using="default"),
    ):
        user.delete()

    assert SharedUser.objects.filter(pk=user.pk).exists()  # the user was not deleted
    film.refresh_from_db()
    book.refresh_from_db()
    assert film.added_by_id is None  # cleared before the failure: attribution lost, nothing dangles
    assert book.added_by_id == user.pk  # still points at a user that exists

    user.delete()  # retrying finishes the job
    book.refresh_from_db()
    assert book.added_by_id is None
    assert not SharedUser.objects.filter(pk=user.pk).exists()
