"""Hostile and awkward input through the public pages and the admin: a message or a 4xx, never a 500,
and never a partial row on any server."""

import pytest
from django.db import DataError, connections, transaction
from django.urls import reverse

from app1.factories import DirectorFactory, FilmFactory
from app1.models import Director, Film
from app2.factories import AuthorFactory, BookFactory
from app2.models import Author, Book
from authapp.models import SharedUser

pytestmark = pytest.mark.django_db(databases="__all__")

FOUR_BYTE_TEXT = "Amélie 🎬🍿 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🇫🇷"
SQL_LOOKING = "Robert'); DROP TABLE app1_film;--"
HTML_LOOKING = '<img src=x onerror="alert(1)">'


def form_errors(response):
    assert response.status_code == 200, "expected the form again, with errors"
    return response.context["adminform"].form.errors


def nothing_written():
    return not (Director.objects.exists() or Film.objects.exists() or Author.objects.exists() or Book.objects.exists())


class TestFourByteUtf8:
    def test_emoji_in_mysql_fields_round_trip_exactly(self, admin_client):
        director = DirectorFactory(name=FOUR_BYTE_TEXT)
        data = {"title": FOUR_BYTE_TEXT, "director": director.pk, "year": "2001"}
        assert admin_client.post(reverse("admin:app1_film_add"), data).status_code == 302
        film = Film.objects.get()
        assert film.title == FOUR_BYTE_TEXT
        with connections["app1"].cursor() as cursor:
            cursor.execute("SELECT HEX(title) FROM app1_film WHERE id = %s", [film.pk])
            assert bytes.fromhex(cursor.fetchone()[0]).decode("utf-8") == FOUR_BYTE_TEXT
        assert FOUR_BYTE_TEXT in admin_client.get(reverse("app1:film_detail", args=[film.pk])).text

    def test_emoji_in_postgresql_fields_round_trip_exactly(self, admin_client):
        author = AuthorFactory()
        data = {"title": FOUR_BYTE_TEXT, "isbn": "9780306406157", "authors": [author.pk]}
        assert admin_client.post(reverse("admin:app2_book_add"), data).status_code == 302
        assert Book.objects.get().title == FOUR_BYTE_TEXT


class TestTooLong:
    @pytest.mark.parametrize(
        ("url", "data", "field"),
        [
            ("admin:app1_film_add", {"title": "x" * 201, "year": "2000"}, "title"),
            (
                "admin:app1_director_add",
                {"name": "x" * 201, "films-TOTAL_FORMS": "0", "films-INITIAL_FORMS": "0"},
                "name",
            ),
            ("admin:app2_book_add", {"title": "x" * 301, "isbn": "9780306406157"}, "title"),
            ("admin:app2_author_add", {"name": "x" * 201}, "name"),
        ],
    )
    def test_form_rejects_values_over_max_length(self, admin_client, url, data, field):
        errors = form_errors(admin_client.post(reverse(url), data))
        assert "Ensure this value has at most" in str(errors[field])
        assert nothing_written()

    def test_mysql_refuses_instead_of_truncating(self):
        """Strict sql_mode: bypassing the form still cannot store a truncated title."""
        director = DirectorFactory()
        with pytest.raises(DataError, match="too long"), transaction.atomic(using="app1"):
            Film.objects.create(title="x" * 201, director=director, year=2000)
        with connections["app1"].cursor() as cursor:
            cursor.execute("SELECT @@SESSION.sql_mode")
            assert "STRICT_TRANS_TABLES" in cursor.fetchone()[0]
        assert not Film.objects.exists()

    def test_postgresql_refuses_too(self):
        with pytest.raises(DataError, match="too long"), transaction.atomic(using="app2"):
            Book.objects.create(title="x" * 301, isbn="9780306406157")
        assert not Book.objects.exists()


class TestOutOfRange:
    @pytest.mark.parametrize("year", ["1500", "2101", "-5", "99999", "abc", "1e3", ""])
    def test_film_year(self, admin_client, year):
        director = DirectorFactory()
        errors = form_errors(
            admin_client.post(reverse("admin:app1_film_add"), {"title": "T", "director": director.pk, "year": year})
        )
        assert "year" in errors
        assert not Film.objects.exists()

    @pytest.mark.parametrize("published", ["2024-13-45", "0000-00-00", "99999-01-01", "yesterday"])
    def test_book_date(self, admin_client, published):
        data = {"title": "T", "isbn": "9780306406157", "published": published}
        assert "published" in form_errors(admin_client.post(reverse("admin:app2_book_add"), data))
        assert not Book.objects.exists()

    @pytest.mark.parametrize("pages", ["0", "-1", str(10**12)])
    def test_book_pages(self, admin_client, pages):
        data = {"title": "T", "isbn": "9780306406157", "pages": pages}
        assert "pages" in form_errors(admin_client.post(reverse("admin:app2_book_add"), data))

    @pytest.mark.parametrize(
        "isbn",
        [
            "9780306406158",
            "978030640615",
            "97803064061570",
            "1234567890123",
            "978-0306406157",
            "９７８０３０６４０６１５７",
        ],
    )
    def test_bad_isbn(self, admin_client, isbn):
        errors = form_errors(admin_client.post(reverse("admin:app2_book_add"), {"title": "T", "isbn": isbn}))
        assert "valid ISBN-13" in str(errors["isbn"]) or "at most 13" in str(errors["isbn"])
        assert not Book.objects.exists()


class TestIdsAndQueryStrings:
    @pytest.mark.parametrize("object_id", ["abc", "-1", "0", "9" * 30, "1.5", "%20"])
    @pytest.mark.parametrize("model", ["app1/film", "app1/director", "app2/book", "app2/author", "authapp/shareduser"])
    def test_admin_change_page_with_a_bad_id_redirects(self, admin_client, model, object_id):
        response = admin_client.get(f"/admin/{model}/{object_id}/change/")
        assert response.status_code == 302  # the admin's "doesn't exist. Perhaps it was deleted?" message

    @pytest.mark.parametrize("path", ["/films/abc/", "/books/-1/", "/films/" + "9" * 40 + "/", "/books/1.5/"])
    def test_public_detail_with_a_bad_id_is_404(self, client, path):
        assert client.get(path).status_code == 404

    @pytest.mark.parametrize(
        "query",
        [
            "q=%00",
            "q=%ff%fe",
            "title__contains=%00",
            "isbn=%00",
            "added_by__id__exact=abc",
            "added_by__id__exact=" + "9" * 30,
            "published__gte=2024-13-45",
            "o=99",
            "p=abc",
            "p=" + "9" * 20,
            "nonexistent_field=1",
            "q=" + "%25" * 500,
            "q=a&q=b",
        ],
    )
    @pytest.mark.parametrize("changelist", ["admin:app1_film_changelist", "admin:app2_book_changelist"])
    def test_changelist_query_strings_never_500(self, admin_client, changelist, query):
        FilmFactory()
        BookFactory()
        response = admin_client.get(f"{reverse(changelist)}?{query}")
        assert response.status_code in (200, 302, 400)

    @pytest.mark.parametrize("term", ["%00", "%ff", "'%20OR%201=1--", "%25%25%25"])
    @pytest.mark.parametrize(
        "params",
        [
            "app_label=app1&model_name=film&field_name=director",
            "app_label=app2&model_name=book&field_name=authors",
            "app_label=app2&model_name=book&field_name=added_by",
            "app_label=app1&model_name=nope&field_name=director",
        ],
    )
    def test_autocomplete_never_500(self, admin_client, params, term):
        response = admin_client.get(f"{reverse('admin:autocomplete')}?{params}&term={term}")
        assert response.status_code in (200, 400, 403)

    def test_nul_in_a_query_string_is_a_400_that_says_why(self, client):
        response = client.get("/books/?page=1%00")
        assert response.status_code == 400
        assert b"Null characters" in response.content

    @pytest.mark.parametrize("page", ["%00", "1%00", "%ff", "1&page=2", "１"])
    def test_public_list_page_param(self, client, page):
        assert client.get(f"/films/?page={page}").status_code in (200, 400, 404)


class TestRenderedEscaped:
    @pytest.mark.parametrize("text", [SQL_LOOKING, HTML_LOOKING])
    def test_stored_literally_and_escaped_everywhere(self, admin_client, text):
        film = FilmFactory(title=text, director=DirectorFactory(name=text))
        book = BookFactory(title=text, authors=[AuthorFactory(name=text)])
        assert Film.objects.get(pk=film.pk).title == text  # stored as data, app1_film still there
        pages = [
            reverse("app1:film_list"),
            reverse("app1:film_detail", args=[film.pk]),
            reverse("app2:book_list"),
            reverse("app2:book_detail", args=[book.pk]),
            reverse("admin:app1_film_changelist"),
            reverse("admin:app2_book_changelist"),
            reverse("admin:app1_director_change", args=[film.director.pk]),
        ]
        for page in pages:
            response = admin_client.get(page)
            assert response.status_code == 200, page
            assert HTML_LOOKING not in response.text, page


class TestForeignKeysFromAnotherDatabase:
    def test_director_id_that_exists_only_as_an_author(self, admin_client):
        author = AuthorFactory()
        assert not Director.objects.filter(pk=author.pk).exists()
        errors = form_errors(
            admin_client.post(reverse("admin:app1_film_add"), {"title": "T", "director": author.pk, "year": "2000"})
        )
        assert "Select a valid choice" in str(errors["director"])
        assert not Film.objects.exists()

    def test_author_id_that_exists_only_as_a_director(self, admin_client):
        director = DirectorFactory()
        assert not Author.objects.filter(pk=director.pk).exists()
        data = {"title": "T", "isbn": "9780306406157", "authors": [director.pk]}
        errors = form_errors(admin_client.post(reverse("admin:app2_book_add"), data))
        assert "Select a valid choice" in str(errors["authors"])
        assert not Book.objects.exists()

    def test_user_id_that_does_not_exist_in_default(self, admin_client):
        director = DirectorFactory()
        missing_user = SharedUser.objects.order_by("-pk").values_list("pk", flat=True).first() + 100
        data = {"title": "T", "director": director.pk, "year": "2000", "added_by": missing_user}
        errors = form_errors(admin_client.post(reverse("admin:app1_film_add"), data))
        assert "Select a valid choice" in str(errors["added_by"])
        assert not Film.objects.exists()


class TestNoPartialRows:
    def test_invalid_inline_film_saves_no_director(self, admin_client):
        data = {
            "name": "Valid director",
            "films-TOTAL_FORMS": "1",
            "films-INITIAL_FORMS": "0",
            "films-0-title": "Bad year",
            "films-0-year": "1500",
        }
        response = admin_client.post(reverse("admin:app1_director_add"), data)
        assert response.status_code == 200
        assert nothing_written()

    def test_book_with_one_bad_author_saves_nothing(self, admin_client):
        author = AuthorFactory()
        data = {"title": "T", "isbn": "9780306406157", "authors": [author.pk, author.pk + 1000]}
        form_errors(admin_client.post(reverse("admin:app2_book_add"), data))
        assert not Book.objects.exists()
