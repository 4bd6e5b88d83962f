"""Top every table up to the requested number of demo rows, in batches, on its own database."""

import random
import time

import factory.random
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import router, transaction
from tqdm import tqdm

from app1.factories import DirectorFactory, FilmFactory
from app1.models import Director, Film
from app2.factories import AuthorFactory, BookFactory, isbn13
from app2.models import Author, Book
from authapp.factories import DEMO_PASSWORD, SharedUserFactory

FILMS_PER_DIRECTOR = 10
BOOKS_PER_AUTHOR = 5


class Command(BaseCommand):
    help = "Add demo users, directors, films, authors and books until each table holds the requested count."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=10)
        parser.add_argument("--films", type=int, default=1000)
        parser.add_argument("--books", type=int, default=1000)
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=42, help="random seed, for repeatable data")

    def handle(self, *args, users, films, books, batch_size, seed, **options):
        factory.random.reseed_random(seed)
        self.random = random.Random(seed)  # noqa: S311 - demo data, not secrets
        self.batch_size = batch_size
        # Hashed once and forced past the factory's per-user hashing, which is slow on purpose.
        password = factory.Transformer.Force(make_password(DEMO_PASSWORD))
        SharedUserFactory.reset_sequence(self.first_free_user_number())
        self.top_up(get_user_model(), users, lambda n: SharedUserFactory.build_batch(n, password=password))

        self.top_up(Director, max(films // FILMS_PER_DIRECTOR, 1), DirectorFactory.build_batch)
        user_ids = list(get_user_model()._default_manager.values_list("pk", flat=True))
        directors = list(Director.objects.only("pk"))
        self.top_up(
            Film,
            films,
            lambda n: [
                FilmFactory.build(director=self.random.choice(directors), added_by_id=self.pick(user_ids))
                for _ in range(n)
            ],
        )

        self.top_up(Author, max(books // BOOKS_PER_AUTHOR, 1), AuthorFactory.build_batch)
        self.author_ids = list(Author.objects.values_list("pk", flat=True))
        self.next_isbn = self.first_free_isbn()
        self.top_up(Book, books, lambda n: self.build_books(n, user_ids), after_batch=self.link_authors)

    def pick(self, ids):
        return self.random.choice(ids) if ids else None

    def top_up(self, model, target, build, after_batch=None):
        """Create target minus existing rows of model in batches, each in one transaction on its alias."""
        alias = router.db_for_write(model)
        missing = max(target - model._default_manager.count(), 0)
        started = time.perf_counter()
        with tqdm(total=missing, desc=f"{alias}: {model._meta.verbose_name_plural}", unit="row", disable=None) as bar:
            for start in range(0, missing, self.batch_size):
                size = min(self.batch_size, missing - start)
                with transaction.atomic(using=alias):
                    created = model._default_manager.bulk_create(build(size))
                    if after_batch:
                        after_batch(created)
                bar.update(size)
        elapsed = time.perf_counter() - started
        rate = f"{missing / elapsed:,.0f} rows/s" if missing else "nothing to add"
        self.stdout.write(
            f"{alias:<8} {model._meta.label:<20} +{missing:>7,} rows in {elapsed:6.2f} s ({rate}); {target:,} wanted"
        )

    def first_free_user_number(self):
        """Return the number after the highest "user<N>" name taken, so new names never collide."""
        names = get_user_model()._default_manager.filter(username__startswith="user").values_list("username", flat=True)
        return max((int(name[4:]) for name in names if name[4:].isdigit()), default=-1) + 1

    def first_free_isbn(self):
        """Return the sequence number after the highest generated ISBN already stored."""
        highest = Book.objects.filter(isbn__startswith="978").order_by("-isbn").values_list("isbn", flat=True).first()
        return int(highest[3:12]) + 1 if highest else 0

    def build_books(self, n, user_ids):
        books = [BookFactory.build(isbn=isbn13(self.next_isbn + i), added_by_id=self.pick(user_ids)) for i in range(n)]
        self.next_isbn += n
        return books

    def link_authors(self, books):
        """Give each new book one to three authors, in one INSERT (bulk_create returns ids on PostgreSQL)."""
        Through = Book.authors.through
        Through.objects.bulk_create(
            Through(book_id=book.pk, author_id=author_id)
            for book in books
            for author_id in self.random.sample(self.author_ids, k=min(len(self.author_ids), self.random.randint(1, 3)))
        )
