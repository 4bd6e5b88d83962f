"""The public pages: what they show, and a constant number of queries per alias whatever the row count."""

import re
from urllib.parse import urljoin

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from app1.factories import FilmFactory
from app2.factories import AuthorFactory, BookFactory
from authapp.factories import SharedUserFactory
from pages.pagination import MAX_PAGE, PER_PAGE
from tests.support.engines import engine_name
from tests.support.queries import offset_windows

pytestmark = pytest.mark.django_db(databases="__all__")


def seed(rows):
    users = SharedUserFactory.create_batch(2)
    authors = AuthorFactory.create_batch(3)
    for index in range(rows):
        FilmFactory(added_by=users[index % 2])
        BookFactory(added_by=users[index % 2], authors=authors[: 1 + index % 3])


def test_home_shows_each_alias_engine_and_counts(client):
    seed(3)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    databases = {database["alias"]: database for database in response.context["databases"]}
    assert list(databases) == ["default", "app1", "app2"]
    assert databases["default"]["engine"] == engine_name("default")
    assert databases["app1"]["engine"] in ("MySQL", "MariaDB")
    assert databases["app2"]["engine"] == "PostgreSQL"
    counts = {model["name"]: model["rows"] for database in databases.values() for model in database["models"]}
    assert counts == {"shared users": 2, "directors": 3, "films": 3, "authors": 3, "books": 3}


def home_queries(alias):
    """Small tables: the planner's estimates in one query where the engine keeps them, then one query of COUNT(*)s."""
    return 1 + (0 if connections[alias].vendor == "sqlite" else 1)  # SQLite keeps no row estimate


QUERIES_PER_ALIAS = {
    # page name: (default, app1, app2)
    "home": (home_queries, home_queries, home_queries),
    "app1:film_list": (0, 2, 0),  # the page's keys, then its films with their directors' names
    "app2:book_list": (0, 0, 1),  # the page's keys in a subquery, its books with author names as arrays
}


@pytest.mark.parametrize("rows", [3, PER_PAGE + 5])
@pytest.mark.parametrize("name", list(QUERIES_PER_ALIAS))
def test_list_pages_query_count_per_alias_is_constant(name, rows, client, django_assert_num_queries):
    seed(rows)
    client.get(reverse(name))  # warm up: the first request connects and checks the server version
    default, app1, app2 = (
        count(alias) if callable(count) else count
        for alias, count in zip(("default", "app1", "app2"), QUERIES_PER_ALIAS[name], strict=True)
    )
    with (
        django_assert_num_queries(default, connection=connections["default"]),
        django_assert_num_queries(app1, connection=connections["app1"]),
        django_assert_num_queries(app2, connection=connections["app2"]),
    ):
        response = client.get(reverse(name))
    assert response.status_code == 200


def test_home_uses_the_server_estimate_for_big_tables(client, monkeypatch):
    """Past the threshold the page reads the planner's statistics instead of scanning the table."""
    seed(3)
    monkeypatch.setattr("pages.row_counts.EXACT_BELOW", -1)  # every table counts as big
    with (
        CaptureQueriesContext(connections["app1"]) as app1,
        CaptureQueriesContext(connections["app2"]) as app2,
    ):
        response = client.get(reverse("home"))
    statements = [query["sql"] for query in app1.captured_queries + app2.captured_queries]
    assert len(statements) == 2  # one statistics lookup per database, for all its tables
    assert not [sql for sql in statements if "COUNT(" in sql.upper()]
    assert "about" in response.text


@pytest.mark.parametrize("rows", [1, 5])
def test_detail_pages_query_count_per_alias_is_constant(rows, client, django_assert_num_queries):
    user = SharedUserFactory()
    film = FilmFactory(added_by=user)
    book = BookFactory(added_by=user, authors=AuthorFactory.create_batch(rows))
    with (
        django_assert_num_queries(1, connection=connections["default"]),
        django_assert_num_queries(1, connection=connections["app1"]),
    ):
        response = client.get(reverse("app1:film_detail", args=[film.pk]))
    assert film.title in response.text
    assert user.username in response.text
    with (
        django_assert_num_queries(1, connection=connections["default"]),
        django_assert_num_queries(1, connection=connections["app2"]),
    ):
        response = client.get(reverse("app2:book_detail", args=[book.pk]))
    assert book.isbn in response.text
    assert user.username in response.text


def test_book_pages_show_authors_in_name_order_and_books_without_any(client):
    zoe, adam = AuthorFactory(name="Zoe Zed"), AuthorFactory(name="Adam Ant")
    book = BookFactory(title="A book", authors=[zoe, adam])
    lonely = BookFactory(title="B book", authors=[])
    listing = client.get(reverse("app2:book_list")).text
    assert "Adam Ant, Zoe Zed" in listing
    assert f'href="{lonely.pk}/">B book</a></td><td></td>' in listing
    assert "Adam Ant, Zoe Zed" in client.get(reverse("app2:book_detail", args=[book.pk])).text
    assert "<dt>Authors</dt><dd>unknown</dd>" in client.get(reverse("app2:book_detail", args=[lonely.pk])).text


@pytest.mark.parametrize("url_name", ["app1:film_list", "app2:book_list"])
def test_list_pages_page_through_rows(client, url_name):
    seed(PER_PAGE + 2)
    first = client.get(reverse(url_name))
    second = client.get(reverse(url_name), {"page": 2})
    assert len(first.context["page"].rows) == PER_PAGE
    assert first.context["page"].has_next
    assert len(second.context["page"].rows) == 2
    assert not second.context["page"].has_next
    assert client.get(reverse(url_name), {"page": 3}).status_code == 404
    if url_name == "app2:book_list":  # the authors come with the page's rows, deep pages included
        assert all(book["author_names"] for book in second.context["page"].rows)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", str(MAX_PAGE + 1), "9" * 30])
def test_bad_page_numbers_are_404_not_500(client, page):
    assert client.get(reverse("app2:book_list"), {"page": page}).status_code == 404


def test_detail_of_a_missing_or_huge_id_is_404(client):
    assert client.get("/films/999999/").status_code == 404
    assert client.get("/books/" + "9" * 25 + "/").status_code == 404


def test_film_without_a_user_says_so(client):
    film = FilmFactory(added_by=None)
    response = client.get(reverse("app1:film_detail", args=[film.pk]))
    assert "nobody recorded" in response.text


def test_user_text_is_escaped(client):
    film = FilmFactory(title="<script>alert(1)</script>")
    book = BookFactory(authors=[AuthorFactory(name="<b>Ann</b>"), AuthorFactory(name="Bob & Co")])
    pages = [
        reverse("app1:film_list"),
        reverse("app1:film_detail", args=[film.pk]),
        reverse("app2:book_list"),
        reverse("app2:book_detail", args=[book.pk]),
    ]
    for url in pages:
        text = client.get(url).text
        assert "<script>" not in text
        assert "<b>Ann" not in text
    assert "&lt;script&gt;" in client.get(pages[1]).text
    assert "&lt;b&gt;Ann&lt;/b&gt;, Bob &amp; Co" in client.get(pages[3]).text


@pytest.mark.parametrize(
    ("url_name", "detail_name"), [("app1:film_list", "app1:film_detail"), ("app2:book_list", "app2:book_detail")]
)
def test_list_links_lead_to_each_rows_detail_page(client, url_name, detail_name):
    """The links are relative to the list's URL, on every page of it."""
    seed(PER_PAGE + 2)
    for page in (1, 2):
        response = client.get(reverse(url_name), {"page": page})
        links = re.findall(r'<td><a href="([^"]+)">', response.text)
        rows = response.context["page"].rows
        assert len(links) == len(rows)
        for row, link in zip(rows, links, strict=True):
            assert urljoin(response.wsgi_request.get_full_path(), link) == reverse(detail_name, args=[row["pk"]])
    detail = client.get(urljoin(reverse(url_name), links[-1]))
    assert detail.status_code == 200
    assert escape(rows[-1]["title"]) in detail.text


@pytest.mark.parametrize(("url_name", "alias"), [("app1:film_list", "app1"), ("app2:book_list", "app2")])
def test_list_pages_skip_rows_as_keys_only(client, url_name, alias):
    """The OFFSET runs over the primary key alone, with no join: see pages/pagination.py."""
    seed(PER_PAGE + 2)
    with CaptureQueriesContext(connections[alias]) as captured:
        response = client.get(reverse(url_name), {"page": 2})
    assert response.status_code == 200
    assert offset_windows(captured) == [(PER_PAGE + 1, PER_PAGE)]


class FakeMySQL8:
    vendor = "mysql"
    mysql_is_mariadb = False

    def __init__(self):
        self.statements = []

    def cursor(self):
        fake = self

        class Cursor:
            def __enter__(self):
                return self

            def __exit__(self, *exc_info):
                return False

            def execute(self, sql):
                fake.statements.append(sql)

        return Cursor()


def test_mysql_8_connections_read_current_table_statistics():
    """MySQL 8 caches information_schema.TABLES for a day; MariaDB (this machine's server) does not."""
    from django.db.backends.signals import connection_created

    mysql8 = FakeMySQL8()
    connection_created.send(sender=type(mysql8), connection=mysql8)
    assert mysql8.statements == ["SET SESSION information_schema_stats_expiry = 0"]


@pytest.mark.parametrize("page", ["list", "detail"])
def test_film_years_are_never_grouped_like_quantities(client, settings, page):
    """A year is a label: with thousand separators on, 1999 must not become 1,999."""
    settings.USE_THOUSAND_SEPARATOR = True
    film = FilmFactory(year=1999)
    url = reverse("app1:film_list") if page == "list" else reverse("app1:film_detail", args=[film.pk])
    text = client.get(url).text
    assert "1999" in text
    assert "1,999" not in text
