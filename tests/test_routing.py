"""Where each model is read, written and migrated, and which relations the router allows."""

import pytest
from django.apps import apps
from django.conf import settings
from django.db import router

from app1.factories import DirectorFactory, FilmFactory
from app2.factories import AuthorFactory, BookFactory

# Every installed model, Django's own and auto-created many-to-many tables included,
# so a new model is covered without touching this file.
ALL_MODELS = apps.get_models(include_auto_created=True)
EXPECTED_ALIAS = {
    "admin": "default",
    "auth": "default",
    "authapp": "default",
    "contenttypes": "default",
    "sessions": "default",
    "app1": "app1",
    "app2": "app2",
}


def model_id(model):
    return model._meta.label


def test_every_app_with_models_is_routed_explicitly():
    """Nothing may fall back to the instance hint or to default by accident."""
    assert {model._meta.app_label for model in ALL_MODELS} <= set(settings.DATABASE_ROUTING)
    assert settings.DATABASE_ROUTING == EXPECTED_ALIAS


@pytest.mark.parametrize("model", ALL_MODELS, ids=model_id)
def test_read_and_write_alias(model):
    alias = EXPECTED_ALIAS[model._meta.app_label]
    assert router.db_for_read(model) == alias
    assert router.db_for_write(model) == alias
    assert model._default_manager.db == alias


@pytest.mark.parametrize("model", ALL_MODELS, ids=model_id)
@pytest.mark.parametrize("hint_alias", ["default", "app1", "app2"])
def test_instance_hint_never_overrides_the_route(model, hint_alias):
    """An instance from another database must not drag a model's reads there."""
    hint = model()
    hint._state.db = hint_alias
    alias = EXPECTED_ALIAS[model._meta.app_label]
    assert router.db_for_read(model, instance=hint) == alias
    assert router.db_for_write(model, instance=hint) == alias


@pytest.mark.parametrize("model", ALL_MODELS, ids=model_id)
@pytest.mark.parametrize("alias", ["default", "app1", "app2"])
def test_allow_migrate_exactly_one_alias(model, alias):
    allowed = router.allow_migrate_model(alias, model)
    assert allowed is (alias == EXPECTED_ALIAS[model._meta.app_label])


@pytest.mark.parametrize("alias", list(settings.DATABASES))
def test_allow_migrate_answers_by_app_label_without_a_model_hint(alias):
    """makemigrations and RunPython ask with model_name only (or nothing): the answer is the same."""
    for app_label, home in EXPECTED_ALIAS.items():
        assert router.allow_migrate(alias, app_label) is (alias == home)
        assert router.allow_migrate(alias, app_label, model_name="Anything") is (alias == home)


@pytest.mark.django_db(databases="__all__")
class TestRelations:
    def test_same_database_relations_allowed(self):
        film = FilmFactory()
        assert router.allow_relation(film, film.director) is True

    def test_any_database_may_reference_the_shared_user(self, user):
        assert router.allow_relation(FilmFactory(), user) is True
        assert router.allow_relation(user, BookFactory()) is True

    def test_app1_app2_relation_refused(self):
        assert router.allow_relation(FilmFactory(), AuthorFactory()) is False

    def test_assigning_an_object_from_another_database_raises(self):
        """Django refuses the assignment itself, before anything reaches a database."""
        film = FilmFactory()
        stray_director = DirectorFactory.build()
        stray_director._state.db = "app2"  # as if it had been read from PostgreSQL
        with pytest.raises(ValueError, match="the current database router prevents this relation"):
            film.director = stray_director
