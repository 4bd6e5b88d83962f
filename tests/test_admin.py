"""The admin reads and writes each model on its own database, and lists related choices from theirs."""

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.db import connections, router
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from app1.factories import DirectorFactory, FilmFactory
from app1.models import Director, Film
from app2.factories import AuthorFactory, BookFactory
from app2.models import Author, Book
from authapp.factories import SharedUserFactory
from authapp.models import SharedUser
from tests.support.queries import offset_windows

pytestmark = pytest.mark.django_db(databases="__all__")


def inline_management(prefix, total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def errors_of(response):
    """The admin form's errors, for a readable assertion message."""
    return response.context and response.context["adminform"].form.errors


def registered_admins():
    """Every ModelAdmin on admin.site and every inline it shows, as (admin, model) pairs."""
    for model, model_admin in admin.site._registry.items():
        yield model_admin, model
        for inline_class in model_admin.inlines:
            yield inline_class(model, admin.site), inline_class.model


@pytest.mark.parametrize(
    ("model_admin", "model"),
    [pytest.param(model_admin, model, id=type(model_admin).__name__) for model_admin, model in registered_admins()],
)
def test_every_registered_admin_and_inline_reads_where_settings_route_its_model(model_admin, model, rf, admin_user):
    alias = settings.DATABASE_ROUTING[model._meta.app_label]  # the settings, not the router under test
    request = rf.get("/")
    request.user = admin_user
    assert getattr(model_admin, "using", None) in (alias, None)
    assert model_admin.get_queryset(request).db == alias


def test_the_registry_holds_every_model_this_project_shows():
    shown = {model for _, model in registered_admins()}
    assert {Director, Film, Author, Book, SharedUser, Group} <= shown


def test_form_choices_come_from_each_related_models_database(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    film_form = admin.site._registry[Film].get_form(request)
    book_form = admin.site._registry[Book].get_form(request)
    assert film_form.base_fields["director"].queryset.db == "app1"
    assert film_form.base_fields["added_by"].queryset.db == "default"
    assert book_form.base_fields["authors"].queryset.db == "app2"
    assert book_form.base_fields["added_by"].queryset.db == "default"


def test_add_director_with_an_inline_film(admin_client, admin_user):
    data = {"name": "Agnès Varda", "birth_year": "1928", **inline_management("films", total=1)}
    data.update({"films-0-title": "Cléo from 5 to 7", "films-0-year": "1962", "films-0-runtime_minutes": "90"})
    response = admin_client.post(reverse("admin:app1_director_add"), data)
    assert response.status_code == 302, errors_of(response)
    director = Director.objects.using("app1").get(name="Agnès Varda")
    film = director.films.get()
    assert (film.title, film.year, film.added_by) == ("Cléo from 5 to 7", 1962, admin_user)


def test_inline_changes_and_deletes_films(admin_client):
    film = FilmFactory(title="Old")
    keep = FilmFactory(director=film.director, title="Keep")
    data = {"name": film.director.name, "birth_year": "", **inline_management("films", total=2, initial=2)}
    for index, row in enumerate([film, keep]):
        data.update({f"films-{index}-id": row.pk, f"films-{index}-director": film.director.pk})
        data.update({f"films-{index}-title": row.title, f"films-{index}-year": row.year})
    data.update({"films-0-DELETE": "on", "films-1-title": "Kept and renamed"})
    response = admin_client.post(reverse("admin:app1_director_change", args=[film.director.pk]), data)
    assert response.status_code == 302, errors_of(response)
    assert list(film.director.films.values_list("title", flat=True)) == ["Kept and renamed"]


def test_add_film_lands_in_mysql_with_the_user_reference(admin_client):
    director, user = DirectorFactory(), SharedUserFactory()
    data = {"title": "Stalker", "director": director.pk, "year": "1979", "added_by": user.pk}
    response = admin_client.post(reverse("admin:app1_film_add"), data)
    assert response.status_code == 302, errors_of(response)
    film = Film.objects.using("app1").get(title="Stalker")
    assert (film.director, film.added_by) == (director, user)


def test_add_form_suggests_the_signed_in_user(admin_client, admin_user):
    response = admin_client.get(reverse("admin:app2_book_add"))
    assert response.context["adminform"].form.initial["added_by"] == admin_user.pk


def test_change_and_delete_film(admin_client):
    film = FilmFactory()
    url = reverse("admin:app1_film_change", args=[film.pk])
    data = {"title": "Renamed", "director": film.director.pk, "year": film.year, "added_by": ""}
    assert admin_client.post(url, data).status_code == 302
    assert Film.objects.get(pk=film.pk).title == "Renamed"

    delete_url = reverse("admin:app1_film_delete", args=[film.pk])
    assert admin_client.get(delete_url).status_code == 200
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Film.objects.filter(pk=film.pk).exists()


def test_director_delete_confirmation_lists_films_from_mysql(admin_client):
    film = FilmFactory(title="Collected on app1")
    url = reverse("admin:app1_director_delete", args=[film.director.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "Collected on app1" in response.text
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Film.objects.filter(pk=film.pk).exists()


def test_add_author_and_book_with_authors(admin_client):
    assert admin_client.post(reverse("admin:app2_author_add"), {"name": "Ursula K. Le Guin"}).status_code == 302
    first = Author.objects.using("app2").get(name="Ursula K. Le Guin")
    second = AuthorFactory()
    data = {
        "title": "The Dispossessed",
        "isbn": "9780060512750",
        "authors": [first.pk, second.pk],
        "pages": "387",
    }
    response = admin_client.post(reverse("admin:app2_book_add"), data)
    assert response.status_code == 302, errors_of(response)
    book = Book.objects.using("app2").get(isbn="9780060512750")
    assert set(book.authors.all()) == {first, second}


def test_change_and_delete_book(admin_client):
    book = BookFactory(authors=[AuthorFactory()])
    author = AuthorFactory()
    url = reverse("admin:app2_book_change", args=[book.pk])
    data = {"title": "Changed", "isbn": book.isbn, "authors": [author.pk]}
    response = admin_client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    book.refresh_from_db()
    assert (book.title, list(book.authors.all())) == ("Changed", [author])

    delete_url = reverse("admin:app2_book_delete", args=[book.pk])
    assert admin_client.get(delete_url).status_code == 200
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Book.objects.filter(pk=book.pk).exists()
    assert Author.objects.filter(pk=author.pk).exists()


def test_delete_author(admin_client):
    author = AuthorFactory()
    book = BookFactory(authors=[author])
    url = reverse("admin:app2_author_delete", args=[author.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Author.objects.filter(pk=author.pk).exists()
    assert list(book.authors.all()) == []


def test_bulk_delete_action_deletes_from_mysql(admin_client):
    films = FilmFactory.create_batch(3)
    data = {"action": "delete_selected", "_selected_action": [f.pk for f in films[:2]], "post": "yes"}
    assert admin_client.post(reverse("admin:app1_film_changelist"), data).status_code == 302
    assert list(Film.objects.all()) == [films[2]]


def test_invalid_film_shows_errors_and_writes_nothing(admin_client):
    director = DirectorFactory()
    data = {"title": "x" * 201, "director": director.pk, "year": "1500"}
    response = admin_client.post(reverse("admin:app1_film_add"), data)
    assert response.status_code == 200
    errors = errors_of(response)
    assert "at most 200 characters" in str(errors["title"])
    assert "greater than or equal to 1888" in str(errors["year"])
    assert not Film.objects.exists()


def test_duplicate_isbn_is_a_validation_error_checked_on_postgresql(admin_client):
    BookFactory(isbn="9780306406157")
    response = admin_client.post(reverse("admin:app2_book_add"), {"title": "Copy", "isbn": "9780306406157"})
    assert response.status_code == 200
    assert "already exists" in str(errors_of(response)["isbn"])
    assert Book.objects.count() == 1


def test_changelists_search_and_filter(admin_client):
    user = SharedUserFactory()
    film = FilmFactory(title="Searchable", director=DirectorFactory(name="Chantal Akerman"), added_by=user)
    FilmFactory(title="Other")
    url = reverse("admin:app1_film_changelist")
    response = admin_client.get(url, {"q": "Akerman"})
    assert list(response.context["cl"].result_list) == [film]
    response = admin_client.get(url, {"added_by__id__exact": user.pk})
    assert list(response.context["cl"].result_list) == [film]
    assert user.username in response.text  # the user column, read from SQLite
    book = BookFactory(title="Found by author", authors=[AuthorFactory(name="Octavia Butler")])
    response = admin_client.get(reverse("admin:app2_book_changelist"), {"q": "Butler"})
    assert list(response.context["cl"].result_list) == [book]


@pytest.mark.parametrize("rows", [2, 12])
def test_film_changelist_queries_do_not_grow_with_rows(rows, admin_client, django_assert_max_num_queries):
    users = SharedUserFactory.create_batch(2)
    for index in range(rows):
        FilmFactory(added_by=users[index % 2])
    # Per page: the statistics then COUNT(*) (the table is small), year choices, the page, its directors.
    # Users: the filter list and one prefetch.
    with django_assert_max_num_queries(5, connection=connections["app1"]):
        response = admin_client.get(reverse("admin:app1_film_changelist"))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize(("model", "factory"), [(Film, FilmFactory), (Book, BookFactory)])
def test_changelist_pages_skip_rows_as_keys_only(admin_client, monkeypatch, model, factory):
    """Past the first page the OFFSET runs over the primary key alone; the page's rows come by key."""
    monkeypatch.setattr(admin.site._registry[model], "list_per_page", 2)
    factory.create_batch(5)
    alias = router.db_for_read(model)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connections[alias]) as captured:
        response = admin_client.get(url, {"p": 2})
    assert list(response.context["cl"].result_list) == list(model.objects.all()[2:4])
    assert offset_windows(captured) == [(2, 2)]


@pytest.mark.parametrize(
    ("model_name", "field_name", "expected"),
    [("film", "director", "director"), ("film", "added_by", "user"), ("book", "authors", "author")],
)
def test_autocomplete_lists_choices_from_the_related_database(admin_client, model_name, field_name, expected):
    app_label = {"film": "app1", "book": "app2"}[model_name]
    wanted = {
        "director": lambda: DirectorFactory(name="Zhang Yimou"),
        "user": lambda: SharedUserFactory(username="zhang"),
        "author": lambda: AuthorFactory(name="Zhang Ailing"),
    }[expected]()
    params = {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": "zhang"}
    response = admin_client.get(reverse("admin:autocomplete"), params)
    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(wanted.pk)]


def test_log_entries_go_to_default_and_find_the_film_through_the_router(admin_client):
    director = DirectorFactory()
    admin_client.post(reverse("admin:app1_film_add"), {"title": "Logged", "director": director.pk, "year": "2000"})
    entry = LogEntry.objects.get(object_repr__startswith="Logged")
    assert entry._state.db == "default"
    assert entry.get_edited_object() == Film.objects.get(title="Logged")


def test_deleting_a_user_in_the_admin_clears_their_films_and_books(admin_client):
    user = SharedUserFactory()
    film, book = FilmFactory(added_by=user), BookFactory(added_by=user)
    url = reverse("admin:authapp_shareduser_delete", args=[user.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    film.refresh_from_db()
    book.refresh_from_db()
    assert (film.added_by_id, book.added_by_id) == (None, None)


def test_the_delete_confirmation_says_what_each_database_loses(admin_client):
    user = SharedUserFactory()
    FilmFactory.create_batch(2, added_by=user)
    BookFactory(added_by=user)
    response = admin_client.get(reverse("admin:authapp_shareduser_delete", args=[user.pk]))
    expected = [
        "2 films on 'app1' (MySQL) will have \"added by\" set to empty.",
        "1 book on 'app2' (PostgreSQL) will have \"added by\" set to empty.",
    ]
    assert [str(message) for message in response.context["messages"]] == expected
    assert "2 films on &#x27;app1&#x27; (MySQL) will have &quot;added by&quot; set to empty." in response.text


def test_the_bulk_delete_confirmation_counts_the_whole_selection(admin_client):
    users = SharedUserFactory.create_batch(3)
    for user in users:
        FilmFactory(added_by=user)
    FilmFactory(added_by=SharedUserFactory())  # not selected: not counted
    data = {"action": "delete_selected", "_selected_action": [user.pk for user in users]}
    response = admin_client.post(reverse("admin:authapp_shareduser_changelist"), data)
    assert response.status_code == 200  # the confirmation page, nothing deleted yet
    assert [str(message) for message in response.context["messages"]] == [
        "3 films on 'app1' (MySQL) will have \"added by\" set to empty."
    ]
    assert SharedUser.objects.filter(pk__in=[user.pk for user in users]).count() == 3


def test_add_user_in_the_admin_lands_in_sqlite(admin_client):
    data = {"username": "newcomer", "password1": "a-long-Passphrase-42", "password2": "a-long-Passphrase-42"}
    data["usable_password"] = "true"
    response = admin_client.post(reverse("admin:authapp_shareduser_add"), data)
    assert response.status_code == 302, errors_of(response)
    assert SharedUser.objects.using("default").filter(username="newcomer").exists()


@pytest.mark.parametrize(
    ("url_name", "alias"), [("admin:app1_film_changelist", "app1"), ("admin:app2_book_changelist", "app2")]
)
def test_big_changelist_is_counted_from_statistics_unless_filtered(url_name, alias, admin_client, monkeypatch):
    """No COUNT(*) over a big table on every changelist view; a search is still counted exactly."""
    FilmFactory(title="Counted")
    BookFactory(title="Counted")
    monkeypatch.setattr("pages.row_counts.EXACT_BELOW", -1)  # every table counts as big
    with CaptureQueriesContext(connections[alias]) as queries:
        response = admin_client.get(reverse(url_name))
    assert response.status_code == 200
    assert [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()] == []
    with CaptureQueriesContext(connections[alias]) as queries:
        response = admin_client.get(reverse(url_name), {"q": "Counted"})
    assert response.context["cl"].result_count == 1
    assert [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()] != []
