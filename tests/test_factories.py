"""Factories declare the database the router writes their model to, and create rows there."""

import pytest
from django.db import router

from app1.factories import DirectorFactory, FilmFactory
from app2.factories import AuthorFactory, BookFactory, isbn13
from app2.models import Book
from app2.validators import validate_isbn13
from authapp.factories import SharedUserFactory

FACTORIES = [SharedUserFactory, DirectorFactory, FilmFactory, AuthorFactory, BookFactory]


@pytest.mark.parametrize("factory_class", FACTORIES, ids=lambda f: f.__name__)
def test_factory_database_matches_the_router(factory_class):
    model = factory_class._meta.model
    assert factory_class._meta.database == router.db_for_write(model)


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize("factory_class", FACTORIES, ids=lambda f: f.__name__)
def test_factory_creates_on_its_database(factory_class):
    obj = factory_class()
    assert obj._state.db == factory_class._meta.database
    assert factory_class._meta.model._default_manager.filter(pk=obj.pk).exists()


@pytest.mark.django_db(databases="__all__")
def test_user_factory_sets_a_usable_password():
    user = SharedUserFactory()
    assert user.check_password("demo-password")


@pytest.mark.parametrize("n", [0, 1, 123456789])
def test_generated_isbns_are_valid(n):
    validate_isbn13(isbn13(n))


def test_factories_build_without_a_database():
    """build() touches no database, so seeding can batch the inserts itself."""
    film = FilmFactory.build()
    assert film.pk is None
    assert film.director.pk is None
    assert isinstance(BookFactory.build(), Book)
