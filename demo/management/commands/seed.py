"""Top every table up to the requested number of demo rows, in batches, on its own database.

Each batch is one bulk statement inside transaction.atomic(using=<the model's alias>): a bare
atomic() would guard only default. On PostgreSQL that statement is COPY ... FROM STDIN, the
engine's bulk load path; elsewhere (MySQL) one multi-row INSERT. Rows are plain tuples built
directly with Faker: model instances, and the factory_boy factories' per-object declaration
resolving even more so, cost more to build than the database takes to store them.
With -v 2, each table's time is split into building the rows, writing them and the commit.
"""

import contextlib
import datetime
import random
import time
from collections import defaultdict

import factory.random
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import connections, router, transaction
from django.utils import timezone
from faker import Faker
from faker.providers.company.en_US import Provider as CompanyWords
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

    def handle(self, *args, users, films, books, batch_size, seed, verbosity, **options):
        self.verbosity = verbosity
        factory.random.reseed_random(seed)
        self.random = random.Random(seed)  # noqa: S311 - demo data, not secrets
        self.fake = Faker()
        self.fake.seed_instance(seed)
        self.first_names = [self.fake.first_name() for _ in range(NAME_POOL_SIZE)]
        self.last_names = [self.fake.last_name() for _ in range(NAME_POOL_SIZE)]
        self.batch_size = batch_size
        self.written = defaultdict(lambda: [0, 0.0])  # alias -> [rows, seconds]

        # Hashed once and forced past the factory's per-user hashing, which is slow on purpose.
        self.password = factory.Transformer.Force(make_password(DEMO_PASSWORD))
        SharedUserFactory.reset_sequence(self.first_free_user_number())
        self.top_up(get_user_model(), users, self.build_users, self.write_users)
        self.user_ids = list(get_user_model()._default_manager.values_list("pk", flat=True))

        directors = max(films // FILMS_PER_DIRECTOR, 1)
        self.top_up(Director, directors, self.build_directors, write_to(Director, DIRECTOR_FIELDS))
        self.director_ids = list(Director.objects.values_list("pk", flat=True))
        self.added_at = now(Film)
        self.top_up(Film, films, self.build_films, write_to(Film, FILM_FIELDS))

        self.top_up(Author, max(books // BOOKS_PER_AUTHOR, 1), self.build_authors, write_to(Author, AUTHOR_FIELDS))
        self.author_ids = list(Author.objects.values_list("pk", flat=True))
        self.next_isbn = self.first_free_isbn()
        self.added_at = now(Book)
        self.top_up(Book, books, self.build_books, write_books)

        for alias, (rows, seconds) in self.written.items():
            rate = f"{rows / seconds:,.0f} rows/s" if rows else "nothing added"
            self.stdout.write(f"{alias:<8} {'all tables':<20} +{rows:>7,} rows in {seconds:6.2f} s ({rate})")

    def top_up(self, model, target, build_batch, write_batch):
        """Create target minus existing rows of model in batches, each in one transaction on its alias."""
        alias = router.db_for_write(model)
        missing = max(target - model._default_manager.count(), 0)
        linked = 0
        spent = dict.fromkeys(("build", "write", "commit"), 0.0)
        with tqdm(total=missing, desc=f"{alias}: {model._meta.verbose_name_plural}", unit="row", disable=None) as bar:
            for start in range(0, missing, self.batch_size):
                size = min(self.batch_size, missing - start)
                began = time.perf_counter()
                batch = build_batch(size)
                built = time.perf_counter()
                with transaction.atomic(using=alias):
                    linked += write_batch(batch) - size  # writers return every row written, links included
                    written = time.perf_counter()
                spent["build"] += built - began
                spent["write"] += written - built
                spent["commit"] += time.perf_counter() - written  # PostgreSQL checks deferred foreign keys here
                bar.update(size)
        elapsed = sum(spent.values())
        self.written[alias][0] += missing + linked
        self.written[alias][1] += elapsed
        rate = f"{(missing + linked) / elapsed:,.0f} rows/s" if missing else "nothing to add"
        extra = f", +{linked:,} links (counted in the rate)" if linked else ""
        self.stdout.write(
            f"{alias:<8} {model._meta.label:<20} +{missing:>7,} rows in {elapsed:6.2f} s ({rate}); "
            f"{target:,} wanted{extra}"
        )
        if missing and self.verbosity > 1:
            self.stdout.write(f"{'':<29} " + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in spent.items()))

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

    def phrase(self, word_lists):
        """Return one word from each list, as Faker's catch_phrase() and bs() do, at a fraction of their cost."""
        return " ".join([self.random.choice(words) for words in word_lists])

    def build_users(self, n):
        return SharedUserFactory.build_batch(n, password=self.password)

    def write_users(self, users):
        return len(get_user_model()._default_manager.bulk_create(users))

    def build_directors(self, n):
        return [(self.name(), self.random.randint(1880, 2000)) for _ in range(n)]

    def build_films(self, n):
        return [
            (
                self.phrase(CompanyWords.catch_phrase_words),
                self.random.choice(self.director_ids),
                self.random.randint(1920, 2025),
                self.random.randint(70, 200),
                self.pick(self.user_ids),
                self.added_at,
            )
            for _ in range(n)
        ]

    def build_authors(self, n):
        return [(self.name(),) for _ in range(n)]

    def build_books(self, n):
        """Return n (book row without its id, its one to three author ids) pairs."""
        books = [
            (
                (
                    self.phrase(CompanyWords.bsWords),
                    isbn13(self.next_isbn + i),
                    FIRST_PUBLISHED + datetime.timedelta(days=self.random.randrange(PUBLISHED_DAYS)),
                    self.random.randint(50, 1200),
                    self.pick(self.user_ids),
                    self.added_at,
                ),
                self.random.sample(self.author_ids, k=min(len(self.author_ids), self.random.randint(1, 3))),
            )
            for i in range(n)
        ]
        self.next_isbn += n
        return books


DIRECTOR_FIELDS = ("name", "birth_year")
AUTHOR_FIELDS = ("name",)
FILM_FIELDS = ("title", "director_id", "year", "runtime_minutes", "added_by_id", "added_at")
BOOK_FIELDS = ("id", "title", "isbn", "published", "pages", "added_by_id", "added_at")


def write_to(model, fields):
    """Return a batch writer for model's rows, given as tuples in fields' order."""
    return lambda rows: write_rows(model, fields, rows)


def write_books(books):
    """Write (book row, author ids) pairs and their author links; return the number of rows written."""
    pairs = list(zip(reserve_ids(Book, len(books)), books, strict=True))
    written = write_rows(Book, BOOK_FIELDS, [(book_id, *row) for book_id, (row, _) in pairs])
    links = [(book_id, author_id) for book_id, (_, author_ids) in pairs for author_id in author_ids]
    return written + write_rows(Book.authors.through, ("book_id", "author_id"), links)


def now(model):
    """Return the current time as model's auto_now_add added_at column stores it on its database."""
    connection = connections[router.db_for_write(model)]
    return model._meta.get_field("added_at").get_db_prep_save(timezone.now(), connection)


def reserve_ids(model, n):
    """Take n ids from model's PostgreSQL id sequence in one query, in ascending order."""
    # COPY returns no ids and the author links need them: ids drawn from the sequence first are
    # written explicitly, which stays right whoever else inserts meanwhile, with no read-back.
    with connections[router.db_for_write(model)].cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, n],
        )
        return sorted(row[0] for row in cursor.fetchall())


def write_rows(model, fields, rows):
    """Store rows (tuples in fields' order) in model's table with one bulk statement; return len(rows)."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY {table} ({columns}) FROM STDIN"
            # Logged like any statement while queries are recorded (DEBUG, CaptureQueriesContext).
            logged = getattr(cursor, "debug_sql", contextlib.nullcontext)
            with logged(sql), cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            values = ", ".join([f"({', '.join(['%s'] * len(fields))})"] * len(rows))
            sql = f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608 - quoted model names; values are parameters
            cursor.execute(sql, [value for row in rows for value in row])
    return len(rows)
