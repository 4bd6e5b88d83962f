"""Factories for films and directors (alias app1)."""

import factory

from .models import Director, Film


class DirectorFactory(factory.django.DjangoModelFactory):
    """A director, written to MySQL."""

    class Meta:
        model = Director
        database = "app1"

    name = factory.Faker("name")
    birth_year = factory.Faker("random_int", min=1880, max=2000)


class FilmFactory(factory.django.DjangoModelFactory):
    """A film with its director, written to MySQL; added_by is left to the caller."""

    class Meta:
        model = Film
        database = "app1"

    title = factory.Faker("catch_phrase")
    director = factory.SubFactory(DirectorFactory)
    year = factory.Faker("random_int", min=1920, max=2025)
    runtime_minutes = factory.Faker("random_int", min=70, max=200)
