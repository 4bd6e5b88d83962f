"""tests/load/bare: the floor `make bench` compares the pages with runs each page's queries, no more."""

import json

import pytest
from django.db import connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from app1.factories import FilmFactory
from app2.factories import AuthorFactory, BookFactory
from authapp.factories import SharedUserFactory
from pages.pagination import PER_PAGE
from tests.load.bench import BARE_SETTINGS
from tests.support.processes import PRODUCTION_ENV, clean_environ, python

PATHS = ["/", "/films/", "/films/?page=2", "/films/{film}/", "/books/", "/books/?page=2", "/books/{book}/"]


def statements_by_alias(client, path):
    """GET path; return its status and each alias's SQL, in order."""
    with (
        CaptureQueriesContext(connections["default"]) as default,
        CaptureQueriesContext(connections["app1"]) as app1,
        CaptureQueriesContext(connections["app2"]) as app2,
    ):
        response = client.get(path)
    statements = {
        alias: [query["sql"] for query in captured]
        for alias, captured in [("default", default), ("app1", app1), ("app2", app2)]
    }
    return response.status_code, statements


@pytest.fixture
def rows():
    """A film and a book with their user, plus enough rows for a second page of each."""
    user = SharedUserFactory()
    FilmFactory.create_batch(PER_PAGE + 2, added_by=user)
    BookFactory.create_batch(PER_PAGE + 2, added_by=user, authors=AuthorFactory.create_batch(2))
    return {"film": FilmFactory(added_by=user).pk, "book": BookFactory(added_by=user).pk}


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize("path", PATHS)
def test_bare_django_runs_the_same_queries_as_the_page(client, rows, path):
    path = path.format(**rows)
    site_status, site = statements_by_alias(client, path)
    with override_settings(ROOT_URLCONF="tests.load.bare.urls", MIDDLEWARE=[]):
        bare_status, bare = statements_by_alias(client, path)
    assert (site_status, bare_status) == (200, 200)
    assert bare == site
    assert any(site.values())


def test_the_bare_settings_serve_without_middleware(tmp_path):
    """The settings bench.py starts gunicorn with load and answer, JSON out."""
    code = (
        "import django, json; django.setup(); from django.conf import settings; from django.test import Client; "
        "response = Client(HTTP_HOST='127.0.0.1').get('/health/live/'); "
        "print(json.dumps([settings.MIDDLEWARE, response.status_code, response.json()]))"
    )
    env = clean_environ(
        **{**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": BARE_SETTINGS},
        DATABASE_URL=f"sqlite:///{tmp_path / 'users.sqlite3'}",
    )
    result = python("-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [[], 200, {"status": "ok"}]
