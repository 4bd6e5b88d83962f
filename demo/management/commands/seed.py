"""Top every table up to the requested number of demo rows, in batches, on its own database.

Each batch is one bulk_create inside transaction.atomic(using=<the model's alias>): a bare
atomic() would guard only default. Films and books are built directly with Faker rather than
through their factory_boy factories, whose per-object declaration resolving made building,
not inserting, the bottleneck (about 3,000 rows/s against the ORM's 10,000 rows/s inserts).
"""

import datetime
import random
import time
from collections import defaultdict

import factory.random
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import router, transaction
from faker import Faker
from tqdm import tqdm

from app1.models import Director, Film
from app2.models import Author, Book
from app2.validators import isbn13
from authapp.factories import DEMO_PASSWORD, SharedUserFactory

FILMS_PER_DIRECTOR = 10
# Faker's name() weighs every call by name frequency (~5,000 names/s); names are drawn from
# pools built once instead: 1,000 first names x 1,000 last names.
NAME_POOL_SIZE = 1000
BOOKS_PER_AUTHOR = 5
# Fixed bounds, not "today": the same seed gives the same rows whenever it runs.
FIRST_PUBLISHED = datetime.date(1945, 1, 1)
PUBLISHED_DAYS = (datetime.date(2024, 12, 31) - FIRST_PUBLISHED).days


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
        self.fake = Faker()
        self.fake.seed_instance(seed)
        self.first_names = [self.fake.first_name() for _ in range(NAME_POOL_SIZE)]
        self.last_names = [self.fake.last_name() for _ in range(NAME_POOL_SIZE)]
        self.batch_size = batch_size
        self.written = defaultdict(lambda: [0, 0.0])  # alias -> [rows, seconds]

        # Hashed once and forced past the factory's per-user hashing, which is slow on purpose.
        password = factory.Transformer.Force(make_password(DEMO_PASSWORD))
        SharedUserFactory.reset_sequence(self.first_free_user_number())
        self.top_up(get_user_model(), users, lambda n: SharedUserFactory.build_batch(n, password=password))
        self.user_ids = list(get_user_model()._default_manager.values_list("pk", flat=True))

        self.top_up(Director, max(films // FILMS_PER_DIRECTOR, 1), self.build_directors)
        self.director_ids = list(Director.objects.values_list("pk", flat=True))
        self.top_up(Film, films, self.build_films)

        self.top_up(Author, max(books // BOOKS_PER_AUTHOR, 1), self.build_authors)
        self.author_ids = list(Author.objects.values_list("pk", flat=True))
        self.next_isbn = self.first_free_isbn()
        self.top_up(Book, books, self.build_books, after_batch=self.link_authors)

        for alias, (rows, seconds) in self.written.items():
            rate = f"{rows / seconds:,.0f} rows/s" if rows else "nothing added"
            self.stdout.write(f"{alias:<8} {'all tables':<20} +{rows:>7,} rows in {seconds:6.2f} s ({rate})")

    def top_up(self, model, target, build, after_batch=None):
        """Create target minus existing rows of model in batches, each in one transaction on its alias."""
        alias = router.db_for_write(model)
        missing = max(target - model._default_manager.count(), 0)
        linked = 0
        started = time.perf_counter()
        with tqdm(total=missing, desc=f"{alias}: {model._meta.verbose_name_plural}", unit="row", disable=None) as bar:
            for start in range(0, missing, self.batch_size):
                size = min(self.batch_size, missing - start)
                with transaction.atomic(using=alias):
                    created = model._default_manager.bulk_create(build(size))
                    if after_batch:
                        linked += after_batch(created)
                bar.update(size)
        elapsed = time.perf_counter() - started
        self.written[alias][0] += missing + linked
        self.written[alias][1] += elapsed
        rate = f"{missing / elapsed:,.0f} rows/s" if missing else "nothing to add"
        extra = f", +{linked:,} links" if linked else ""
        self.stdout.write(
            f"{alias:<8} {model._meta.label:<20} +{missing:>7,} rows in {elapsed:6.2f} s ({rate}); "
            f"{target:,} wanted{extra}"
        )

    def pick(self, ids):
        return self.random.choice(ids) if ids else None

    def first_free_user_number(self):
        """Return the number after the highest "user<N>" name taken, so new names never collide."""
        names = get_user_model()._default_manager.filter(username__startswith="user").values_list("username", flat=True)
        return max((int(name[4:]) for name in names if name[4:].isdigit()), default=-1) + 1

    def first_free_isbn(self):
        """Return the sequence number after the highest generated ISBN already stored."""
        highest = Book.objects.filter(isbn__startswith="978").order_by("-isbn").values_list("isbn", flat=True).first()
        return int(highest[3:12]) + 1 if highest else 0

    def name(self):
        return f"{self.random.choice(self.first_names)} {self.random.choice(self.last_names)}"

    def build_directors(self, n):
        return [Director(name=self.name(), birth_year=self.random.randint(1880, 2000)) for _ in range(n)]

    def build_films(self, n):
        return [
            Film(
                title=self.fake.catch_phrase(),
                director_id=self.random.choice(self.director_ids),
                year=self.random.randint(1920, 2025),
                runtime_minutes=self.random.randint(70, 200),
                added_by_id=self.pick(self.user_ids),
            )
            for _ in range(n)
        ]

    def build_authors(self, n):
        return [Author(name=self.name()) for _ in range(n)]

    def build_books(self, n):
        books = [
            Book(
                title=self.fake.bs(),
                isbn=isbn13(self.next_isbn + i),
                published=FIRST_PUBLISHED + datetime.timedelta(days=self.random.randrange(PUBLISHED_DAYS)),
                pages=self.random.randint(50, 1200),
                added_by_id=self.pick(self.user_ids),
            )
            for i in range(n)
        ]
        self.next_isbn += n
        return books

    def link_authors(self, books):
        """Give each new book one to three authors in one INSERT (bulk_create returned their ids)."""
        Through = Book.authors.through
        links = Through.objects.bulk_create(
            [
                Through(book_id=book.pk, author_id=author_id)
                for book in books
                for author_id in self.random.sample(
                    self.author_ids, k=min(len(self.author_ids), self.random.randint(1, 3))
                )
            ]
        )
        return len(links)
