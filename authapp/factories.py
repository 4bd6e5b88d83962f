"""Factories for shared users (default database)."""

import factory
from django.contrib.auth import get_user_model

DEMO_PASSWORD = "demo-password"  # noqa: S105 - demo data only


class SharedUserFactory(factory.django.DjangoModelFactory):
    """A user with a usable password, written to the default database."""

    class Meta:
        model = get_user_model()
        database = "default"
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(DEMO_PASSWORD)
