"""After `migrate --database=X` for each alias, each server holds exactly its own tables."""

import pytest
from django.apps import apps
from django.db import connections, router

pytestmark = pytest.mark.django_db(databases="__all__")


def tables_routed_to(alias):
    """The tables the router says belong on alias, auto-created many-to-many tables included."""
    return {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if router.allow_migrate_model(alias, model)
    }


@pytest.mark.parametrize("alias", ["default", "app1", "app2"])
def test_each_server_holds_exactly_its_tables(alias):
    # django_migrations is on every alias: each records all apps, with the operations skipped.
    expected = tables_routed_to(alias) | {"django_migrations"}
    assert set(connections[alias].introspection.table_names()) == expected


def test_no_django_tables_outside_default():
    for alias in ("app1", "app2"):
        tables = connections[alias].introspection.table_names()
        assert not [t for t in tables if t.startswith(("auth", "django_session", "django_admin", "django_content"))]


def test_app_tables_only_on_their_server():
    assert {t for t in connections["app1"].introspection.table_names() if t.startswith("app")} == {
        "app1_director",
        "app1_film",
    }
    assert {t for t in connections["app2"].introspection.table_names() if t.startswith("app")} == {
        "app2_author",
        "app2_book",
        "app2_book_authors",
    }
    assert not [t for t in connections["default"].introspection.table_names() if t.startswith("app")]


def test_the_user_reference_has_no_foreign_key_constraint():
    """MySQL and PostgreSQL cannot enforce a key into SQLite; only the same-server keys exist."""
    with connections["app1"].cursor() as cursor:
        film = connections["app1"].introspection.get_constraints(cursor, "app1_film")
    with connections["app2"].cursor() as cursor:
        book = connections["app2"].introspection.get_constraints(cursor, "app2_book")
    assert [c["foreign_key"] for c in film.values() if c["foreign_key"]] == [("app1_director", "id")]
    assert [c["foreign_key"] for c in book.values() if c["foreign_key"]] == []


def test_content_types_and_permissions_for_every_model_live_in_default():
    """post_migrate creates them only where ContentType migrates, for app1/app2 models too."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    labels = {(ct.app_label, ct.model) for ct in ContentType.objects.all()}
    assert {("app1", "film"), ("app1", "director"), ("app2", "book"), ("app2", "author")} <= labels
    assert Permission.objects.filter(codename="add_film").exists()
    assert ContentType.objects.db == "default"
