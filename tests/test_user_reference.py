"""Films (MySQL) and books (PostgreSQL) point at a SharedUser (SQLite) by id."""

from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import NotSupportedError, OperationalError, ProgrammingError, connections, transaction
from django.db.models import QuerySet
from django.test.utils import override_settings

from app1.factories import FilmFactory
from app1.models import Director, Film
from app2.factories import BookFactory
from app2.models import Book
from authapp.factories import SharedUserFactory
from authapp.models import SharedUser
from routers import checks
from routers.references import ReferencesNotCleared, clear_references, references_to

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


@pytest.mark.parametrize("label", ["app1.Film", "app1.film", "app1.Film.added_by", "app1.Film.added_by_id"])
def test_history_named_in_any_spelling_django_accepts_is_kept(user, label):
    """DATABASE_REFERENCES_KEEP resolves its labels as the check does: every accepted spelling keeps the ids."""
    film, book, user_id = FilmFactory(added_by=user), BookFactory(added_by=user), user.pk
    with override_settings(DATABASE_REFERENCES_KEEP=[label]):
        assert checks.check_declared_references() == []
        user.delete()
    film.refresh_from_db()
    book.refresh_from_db()
    assert (film.added_by_id, book.added_by_id) == (user_id, None)


def test_a_declared_reference_that_names_nothing_fails_with_the_setting_named(user):
    with (
        override_settings(DATABASE_REFERENCES={"app1.Director": "authapp.SharedUser"}),
        pytest.raises(ImproperlyConfigured, match=r"settings\.DATABASE_REFERENCES: 'app1\.Director'"),
    ):
        user.delete()
    assert SharedUser.objects.filter(pk=user.pk).exists()


def test_a_declared_reference_is_cleared_checked_and_counted(user):
    """Director.birth_year stands in for an integer user id (simple_history's history_user_id)."""
    director = Director.objects.create(name="Stand-in", birth_year=user.pk)
    with override_settings(DATABASE_REFERENCES={"app1.Director.birth_year": "authapp.SharedUser"}):
        assert [str(r) for r in references_to(SharedUser)] == [
            "app1.Film.added_by -> authapp.SharedUser",
            "app2.Book.added_by -> authapp.SharedUser",
            "app1.Director.birth_year -> authapp.SharedUser",
        ]
        user.delete()
    director.refresh_from_db()
    assert director.birth_year is None


def test_clearing_on_postgresql_leaves_the_callers_lock_timeout_as_it_was(user):
    """Inside a caller's transaction on app2 (this test's), the clearing's 2 s lock wait does not stay behind."""
    BookFactory(added_by=user)

    def lock_timeout():
        with connections["app2"].cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            return cursor.fetchone()[0]

    before = lock_timeout()
    clear_references(SharedUser, [user.pk])
    assert lock_timeout() == before


@pytest.mark.django_db(databases="__all__", transaction=True)  # outside any transaction, as a view runs
def test_a_select_for_update_delete_clears_then_deletes():
    """Django drops select_for_update from a delete; the clearing's read must too (users on PostgreSQL)."""
    user = SharedUserFactory()
    film = FilmFactory(added_by=user)
    SharedUser.objects.select_for_update().filter(pk=user.pk).delete()
    film.refresh_from_db()
    assert film.added_by_id is None
