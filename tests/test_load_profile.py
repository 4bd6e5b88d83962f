"""tests/load/profile.py: every function lands in one kind of work, and a real page's shares add up."""

import pytest
from django.test import Client

from app1.factories import FilmFactory
from tests.load.profile import OTHER, kind_of, profile
from tests.support.processes import BASE_DIR

SITE = "/venv/lib/python3.11/site-packages"


@pytest.mark.parametrize(
    ("function", "kind"),
    [
        (("~", 0, "{function Connection.query at 0x7f}"), "servers+drivers"),
        (("~", 0, "<method 'execute' of 'sqlite3.Cursor' objects>"), "servers+drivers"),
        ((f"{SITE}/psycopg/connection.py", 479, "wait"), "servers+drivers"),
        ((f"{SITE}/django/db/models/sql/compiler.py", 755, "as_sql"), "ORM"),
        ((f"{SITE}/django/template/base.py", 876, "_resolve_lookup"), "templates"),
        ((f"{SITE}/django/utils/dateformat.py", 40, "format"), "templates"),
        ((f"{SITE}/django/urls/resolvers.py", 744, "_reverse_with_prefix"), "URLs"),
        ((f"{SITE}/django/core/handlers/base.py", 174, "_get_response"), "rest of Django"),
        ((f"{BASE_DIR}/pages/pagination.py", 31, "paginate"), "project"),
        ((f"{BASE_DIR}/.venv{SITE}/whitenoise/middleware.py", 116, "__call__"), OTHER),
        (("~", 0, "<built-in method builtins.getattr>"), OTHER),
    ],
)
def test_each_function_has_one_kind_of_work(function, kind):
    assert kind_of(function) == kind


@pytest.mark.django_db(databases="__all__")
def test_a_page_profile_adds_up_and_sees_its_database_work():
    FilmFactory.create_batch(3)
    ms, shares = profile(Client(), "/films/", requests=3)
    assert ms > 0
    assert sum(shares.values()) == pytest.approx(1)
    assert shares["ORM"] > 0
    assert shares["servers+drivers"] > 0
    assert shares["templates"] > 0
