"""Factories for books and authors (alias app2)."""

import factory

from .models import Author, Book
from .validators import isbn13


class AuthorFactory(factory.django.DjangoModelFactory):
    """An author, written to PostgreSQL."""

    class Meta:
        model = Author
        database = "app2"

    name = factory.Faker("name")


class BookFactory(factory.django.DjangoModelFactory):
    """A book with a unique valid ISBN, written to PostgreSQL; pass authors=[...] to link some."""

    class Meta:
        model = Book
        database = "app2"
        skip_postgeneration_save = True

    title = factory.Faker("bs")
    isbn = factory.Sequence(isbn13)
    published = factory.Faker("date_between", start_date="-80y", end_date="today")
    pages = factory.Faker("random_int", min=50, max=1200)

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if create and extracted:
            self.authors.set(extracted)
