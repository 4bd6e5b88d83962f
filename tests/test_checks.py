"""Each routing check is silent on the project as shipped and fires on a configuration broken for it."""

# ruff: noqa: DJ008 - throwaway models built to break a check need no __str__

import pytest
from django.contrib import admin
from django.contrib.admin.sites import AdminSite, all_sites
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.checks import registry, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import models, router
from django.test.utils import isolate_apps, override_settings

from app1.admin import App1ModelAdmin
from app1.models import Director, Film
from app2.admin import App2ModelAdmin
from app2.models import Author, Book
from authapp.models import SharedUser
from routers import checks
from routers.admin import MultiDBTabularInline
from routers.references import ClearReferencesMixin, ClearReferencesQuerySet
from tests.support.routing import routers_first, routing


def by_id(errors, check_id):
    return [error for error in errors if error.id == check_id]


def one(errors, check_id, obj):
    """Return the single error of check_id about obj, failing if there is not exactly one."""
    found = [error for error in by_id(errors, check_id) if error.obj == obj]
    assert len(found) == 1, errors
    return found[0]


# The project as shipped ------------------------------------------------------------------------


def test_every_check_is_registered_under_the_routing_tag():
    registered = {check for check in registry.registry.get_checks() if checks.TAG in check.tags}
    assert registered == set(checks.ALL)


def test_project_as_shipped_is_silent():
    assert run_checks(tags=[checks.TAG]) == []


def test_e011_an_app_routed_to_a_replica():
    with override_settings(DATABASE_REPLICAS={"app2": ["app2_replica"]}), routing(app2="app2_replica"):
        errors = [error for error in run_checks(tags=[checks.TAG]) if error.id == "routers.E011"]
    assert [error.msg for error in errors] == [
        "DATABASE_REPLICAS names alias 'app2_replica', which is not in DATABASES.",
        "DATABASE_ROUTING sends app 'app2' to 'app2_replica', a replica of 'app2': its writes would fail on "
        "a read-only server.",
    ]


def test_manage_py_check_runs_the_routing_checks_without_a_tag():
    """A plain `manage.py check` (no --tag, no --database) must see a routing mistake."""
    with routing(app2="books"), pytest.raises(SystemCheckError, match=r"routers\.E001"):
        call_command("check")


def test_shipped_admin_is_really_checked():
    """The shipped admins set `using`, so a silent E006 check means they agree with the router."""
    assert admin.site._registry[Film].using == "app1"
    assert admin.site._registry[Director].inlines[0].using == "app1"
    assert admin.site._registry[Book].using == "app2"
    assert checks.check_admin_using(sites=[admin.site]) == []


# E001, W001: the mapping itself ----------------------------------------------------------------


def test_e001_alias_missing_from_databases():
    with routing(app2="books"):
        errors = checks.check_routing_aliases()
    (error,) = errors
    assert error.id == "routers.E001"
    assert "sends app 'app2' to alias 'books'" in error.msg
    assert "add 'books' to DATABASES" in error.hint
    assert "'default', 'app1', 'app2'" in error.hint


def test_w001_unknown_app_label():
    with routing(films="app1"):
        errors = checks.check_routing_aliases()
    (warning,) = errors
    assert warning.id == "routers.W001"
    assert "'films'" in warning.msg
    assert "AppConfig.label" in warning.hint


# E002, E003: exactly one migrate alias ---------------------------------------------------------


class RefuseApp1Migrations:
    """A router mistake: app1 may migrate nowhere."""

    def allow_migrate(self, db, app_label, **hints):
        return False if app_label == "app1" else None


def test_e002_model_may_migrate_nowhere():
    with routers_first(RefuseApp1Migrations()):
        errors = checks.check_migrate_aliases()
    assert {error.obj for error in by_id(errors, "routers.E002")} == {Director, Film}
    error = one(errors, "routers.E002", Film)
    assert "created nowhere" in error.msg
    assert "add it to DATABASE_ROUTING" in error.hint
    assert by_id(errors, "routers.E003") == []


def test_e002_alias_typo_also_leaves_the_tables_nowhere():
    with routing(app2="books"):
        errors = run_checks(tags=[checks.TAG])
    assert {error.id for error in errors} == {"routers.E001", "routers.E002"}
    assert {error.obj for error in by_id(errors, "routers.E002")} == {Author, Book, Book.authors.through}


def test_e003_app_missing_from_the_mapping_migrates_everywhere():
    """AppLabelRouter says None for an unknown app, and all-None means "allowed" on every alias."""
    with routing(app1=None):
        errors = checks.check_migrate_aliases()
    assert {error.obj for error in errors} == {Director, Film}
    error = one(errors, "routers.E003", Film)
    assert "3 databases (default, app1, app2)" in error.msg
    assert "Add 'app1' to DATABASE_ROUTING" in error.hint


def test_e003_no_router_at_all():
    with override_settings(DATABASE_ROUTERS=[]):
        errors = checks.check_migrate_aliases()
    assert {error.id for error in errors} == {"routers.E003"}
    one(errors, "routers.E003", Film)
    one(errors, "routers.E003", SharedUser)


# E004, E005: read and write where the table is -----------------------------------------------


class ReadApp2FromDefault:
    """A router mistake: app2 is read from the default database."""

    def db_for_read(self, model, **hints):
        return "default" if model._meta.app_label == "app2" else None


class WriteApp1ToApp2:
    """A router mistake: app1 is written to PostgreSQL."""

    def db_for_write(self, model, **hints):
        return "app2" if model._meta.app_label == "app1" else None


def test_e004_read_alias_differs_from_migrate_alias():
    with routers_first(ReadApp2FromDefault()):
        errors = checks.check_read_write_aliases()
    assert {error.id for error in errors} == {"routers.E004"}
    error = one(errors, "routers.E004", Book)
    assert "read from 'default' but migrates on 'app2'" in error.msg
    assert "db_for_read() return 'app2'" in error.hint


def test_e005_write_alias_differs_from_migrate_alias():
    with routers_first(WriteApp1ToApp2()):
        errors = checks.check_read_write_aliases()
    assert {error.id for error in errors} == {"routers.E005"}
    error = one(errors, "routers.E005", Film)
    assert "written to 'app2' but migrates on 'app1'" in error.msg
    assert "db_for_write() return 'app1'" in error.hint


# E006: the admin's `using` -------------------------------------------------------------------


@pytest.fixture
def site():
    """An admin site of the test's own (it joins all_sites, which `manage.py check` inspects)."""
    site = AdminSite(name="broken")
    yield site
    all_sites.discard(site)


def test_e006_admin_using_the_wrong_alias(site):
    site.register(Director, App2ModelAdmin)  # copied from app2's admin: using = "app2"
    errors = checks.check_admin_using(sites=[site])
    (error,) = errors
    assert error.id == "routers.E006"
    assert error.obj is App2ModelAdmin
    assert "has using = 'app2', but the router writes app1.Director to 'app1'" in error.msg
    assert "Set using = 'app1' on App2ModelAdmin" in error.hint
    with pytest.raises(SystemCheckError, match=r"routers\.E006"):
        call_command("check")


def test_e006_inline_using_the_wrong_alias(site):
    class FilmInline(MultiDBTabularInline):
        model = Film
        using = "default"

    class DirectorAdmin(App1ModelAdmin):
        inlines = [FilmInline]

    site.register(Director, DirectorAdmin)
    (error,) = checks.check_admin_using(sites=[site])
    assert error.id == "routers.E006"
    assert error.obj is FilmInline
    assert "Set using = 'app1'" in error.hint


# E007-E010: relations between databases ------------------------------------------------------

ISOLATED = ("authapp", "app1", "app2")


def relation_errors(isolated):
    return checks.check_cross_database_relations(app_configs=list(isolated.get_app_configs()))


def user_stand_in():
    """The shared user's label (authapp.SharedUser), which AppLabelRouter lets any database reference."""

    class SharedUser(ClearReferencesMixin, models.Model):
        objects = ClearReferencesQuerySet.as_manager()

        class Meta:
            app_label = "authapp"

    return SharedUser


def test_allowed_cross_database_reference_is_silent():
    with isolate_apps(*ISOLATED) as isolated:
        user = user_stand_in()

        class Reel(models.Model):
            added_by = models.ForeignKey(user, models.DO_NOTHING, db_constraint=False, null=True)
            other = models.ForeignKey("self", models.CASCADE)  # same database: anything goes

            class Meta:
                app_label = "app1"

        assert relation_errors(isolated) == []


def test_w002_deleting_the_target_would_not_clear_the_references():
    with isolate_apps(*ISOLATED) as isolated:

        class SharedUser(models.Model):  # the user model, without the kit's delete
            class Meta:
                app_label = "authapp"

        class Reel(models.Model):
            added_by = models.ForeignKey(SharedUser, models.DO_NOTHING, db_constraint=False, null=True)

            class Meta:
                app_label = "app1"

        (warning,) = relation_errors(isolated)
    assert warning.id == "routers.W002"
    assert "deleting a authapp.SharedUser does not clear the references to it on 'app1'" in warning.msg
    assert "ClearReferencesMixin" in warning.hint


def test_e007_relation_the_router_refuses():
    with isolate_apps(*ISOLATED) as isolated:

        class Shelf(models.Model):
            class Meta:
                app_label = "app2"

        class Reel(models.Model):
            shelf = models.ForeignKey(Shelf, models.DO_NOTHING, db_constraint=False)

            class Meta:
                app_label = "app1"

        errors = relation_errors(isolated)
    (error,) = errors
    assert error.id == "routers.E007"
    assert error.obj is Reel._meta.get_field("shelf")
    assert "app1.Reel ('app1') and app2.Shelf ('app2')" in error.msg
    assert "raises ValueError" in error.msg
    assert "Keep both models in one database" in error.hint


def test_e008_cross_database_foreign_key_with_a_constraint():
    with isolate_apps(*ISOLATED) as isolated:
        user = user_stand_in()

        class Reel(models.Model):
            added_by = models.ForeignKey(user, models.DO_NOTHING, null=True)

            class Meta:
                app_label = "app1"

        errors = relation_errors(isolated)
    (error,) = errors
    assert error.id == "routers.E008"
    assert "db_constraint=True" in error.msg
    assert "Pass db_constraint=False" in error.hint


@pytest.mark.parametrize("on_delete", [models.CASCADE, models.SET_NULL, models.PROTECT])
def test_e009_cross_database_foreign_key_that_would_cascade(on_delete):
    with isolate_apps(*ISOLATED) as isolated:
        user = user_stand_in()

        class Reel(models.Model):
            added_by = models.ForeignKey(user, on_delete, db_constraint=False, null=True)

            class Meta:
                app_label = "app1"

        errors = relation_errors(isolated)
    (error,) = errors
    assert error.id == "routers.E009"
    assert f"on_delete={on_delete.__name__}" in error.msg
    assert "look for app1.Reel rows on 'default'" in error.msg
    assert "on_delete=models.DO_NOTHING" in error.hint
    assert "ClearReferencesMixin" in error.hint


def test_e010_cross_database_many_to_many():
    with isolate_apps(*ISOLATED) as isolated:
        user = user_stand_in()

        class Reel(models.Model):
            watchers = models.ManyToManyField(user)

            class Meta:
                app_label = "app1"

        errors = relation_errors(isolated)
    # One error, for the field: the auto-created join table's own foreign keys are not reported again.
    (error,) = errors
    assert error.id == "routers.E010"
    assert error.obj is Reel._meta.get_field("watchers")
    assert "join table can live in only one database" in error.msg
    assert "ForeignKey(db_constraint=False" in error.hint


def test_a_relation_can_break_several_rules_at_once():
    with isolate_apps(*ISOLATED) as isolated:

        class Shelf(models.Model):
            class Meta:
                app_label = "app2"

        class Reel(models.Model):
            shelf = models.ForeignKey(Shelf, models.CASCADE)

            class Meta:
                app_label = "app1"

        errors = relation_errors(isolated)
    assert [error.id for error in errors] == ["routers.E007", "routers.E008", "routers.E009"]


# E012: proxies; E013-E014: generic relations; E015: declared references ------------------------


class RouteByOwnAppLabel:
    """The docs' app-label router, naively: a proxy goes where its own app goes, not where its table is."""

    def db_for_read(self, model, **hints):
        return {"app1": "app1", "app2": "app2"}.get(model._meta.app_label)

    db_for_write = db_for_read


def test_a_proxy_is_routed_by_its_concrete_model():
    with isolate_apps(*ISOLATED) as isolated:

        class Moderator(SharedUser):  # declared in the films app, rows in authapp_shareduser
            class Meta:
                proxy = True
                app_label = "app1"

        app_configs = list(isolated.get_app_configs())
        assert (router.db_for_read(Moderator), router.db_for_write(Moderator)) == ("default", "default")
        assert checks.check_proxies(app_configs=app_configs) == []
        with routers_first(RouteByOwnAppLabel()):
            errors = checks.check_proxies(app_configs=app_configs)
    assert [(error.id, error.obj) for error in errors] == [("routers.E012", Moderator)] * 2
    assert errors[0].msg == (
        "app1.Moderator is read from 'app1', but it is a proxy of authapp.SharedUser, whose table is on 'default'."
    )
    assert "Route a proxy by its concrete model" in errors[0].hint


def generic_errors(isolated):
    return checks.check_generic_relations(app_configs=list(isolated.get_app_configs()))


def test_a_generic_foreign_key_off_the_content_types_alias():
    with isolate_apps(*ISOLATED) as isolated:

        class Tag(models.Model):
            content_type = models.ForeignKey(ContentType, models.CASCADE, db_constraint=False)
            object_id = models.PositiveIntegerField()
            content_object = GenericForeignKey()

            class Meta:
                app_label = "app1"

        errors = generic_errors(isolated)
    error = one(errors, "routers.E013", Tag._meta.get_field("content_object"))
    assert "content types are on 'default'" in error.msg
    assert "Route app 'app1' to 'default'" in error.hint


@pytest.mark.parametrize(("owner_app", "tag_app"), [("app1", "authapp"), ("authapp", "app1"), ("app1", "app1")])
def test_a_generic_relation_off_the_content_types_alias(owner_app, tag_app):
    with isolate_apps(*ISOLATED) as isolated:

        class Note(models.Model):
            content_type = models.ForeignKey(ContentType, models.CASCADE, db_constraint=False)
            object_id = models.PositiveIntegerField()
            content_object = GenericForeignKey()

            class Meta:
                app_label = tag_app

        class Reel(models.Model):
            notes = GenericRelation(Note)

            class Meta:
                app_label = owner_app

        errors = generic_errors(isolated)
    error = one(errors, "routers.E014", Reel._meta.get_field("notes"))
    assert f"between {owner_app}.Reel ('{ROUTED[owner_app]}') and {tag_app}.Note ('{ROUTED[tag_app]}')" in error.msg
    assert "with content types on 'default'" in error.msg


def test_generic_relations_beside_the_content_types_are_silent():
    with isolate_apps(*ISOLATED) as isolated:

        class Note(models.Model):
            content_type = models.ForeignKey(ContentType, models.CASCADE)
            object_id = models.PositiveIntegerField()
            content_object = GenericForeignKey()

            class Meta:
                app_label = "authapp"

        class Badge(models.Model):
            notes = GenericRelation(Note)

            class Meta:
                app_label = "authapp"

        assert generic_errors(isolated) == []


ROUTED = {"authapp": "default", "app1": "app1", "app2": "app2"}


# Declared references name real fields: Director.birth_year stands in for an integer user id.
@pytest.mark.parametrize(
    ("references", "keep", "problem"),
    [
        ({"app1.Director.nothing": "authapp.SharedUser"}, [], "'app1.Director.nothing': app1.Director has no field"),
        ({"app1.Nothing.user_id": "authapp.SharedUser"}, [], "App 'app1' doesn't have a 'Nothing' model."),
        ({"app1.Film.title": "authapp.SharedUser"}, [], "'app1.Film.title' must name an integer field"),
        ({"app1.Film.added_by": "authapp.SharedUser"}, [], "'app1.Film.added_by' must name an integer field"),
        ({"app1.Film.year": "authapp.SharedUser"}, [], "'app1.Film.year' must name an integer field with null=True"),
        ({"app1.Film.id": "authapp.SharedUser"}, [], "not a primary key"),
        ({"app1.Director.birth_year": "sessions.Session"}, [], "sessions.Session has no integer primary key"),
        ({"app1.Director.birth_year": "authapp.SharedUser.id"}, [], "must name a model, not a field"),
        ({"app1.Director": "authapp.SharedUser"}, [], "must name an integer field"),
        ({"app1.Director.birth_year": "SharedUser"}, [], "not 'app_label.Model' or 'app_label.Model.field'"),
        ({"app1.Director.birth_year": "app1.Film"}, [], "'app1.Director.birth_year' and app1.Film are on one alias"),
        ({"app1.Director.birth_year": "authapp.Nobody"}, [], "App 'authapp' doesn't have a 'Nobody' model."),
        ({}, ["app1.Director.nothing"], "DATABASE_REFERENCES_KEEP: 'app1.Director.nothing': app1.Director has no"),
    ],
)
def test_e015_a_declared_reference_that_cannot_be_one(references, keep, problem):
    with override_settings(DATABASE_REFERENCES=references, DATABASE_REFERENCES_KEEP=keep):
        errors = checks.check_declared_references()
    assert [error.id for error in errors] == ["routers.E015"]
    assert problem in errors[0].msg


def test_a_declared_reference_to_the_user_model_is_silent():
    with override_settings(DATABASE_REFERENCES={"app1.Director.birth_year": "authapp.SharedUser"}):
        assert checks.check_declared_references() == []


def test_w002_a_declared_reference_to_a_model_that_does_not_clear():
    with override_settings(DATABASE_REFERENCES={"app1.Director.birth_year": "app2.Book"}):
        (warning,) = checks.check_declared_references()
    assert warning.id == "routers.W002"
    assert "deleting a app2.Book does not clear the references to it on 'app1'" in warning.msg


def test_e016_an_app_of_proxies_only_left_out_of_the_routing():
    with isolate_apps("app1") as isolated:

        class FilmCut(Film):
            class Meta:
                proxy = True
                app_label = "app1"

        with routing(app1=None):
            errors = checks.check_unrouted_proxy_apps(app_configs=list(isolated.get_app_configs()))
    (error,) = errors
    assert error.id == "routers.E016"
    assert "would run on every database" in error.msg


def test_e017_a_cross_database_foreign_key_to_another_field_than_the_primary_key():
    with isolate_apps(*ISOLATED) as isolated:

        class SharedUser(ClearReferencesMixin, models.Model):
            username = models.CharField(max_length=10, unique=True)
            objects = ClearReferencesQuerySet.as_manager()

            class Meta:
                app_label = "authapp"

        class Reel(models.Model):
            added_by = models.ForeignKey(
                SharedUser, models.DO_NOTHING, db_constraint=False, null=True, to_field="username"
            )

            class Meta:
                app_label = "app1"

        (error,) = relation_errors(isolated)
    assert error.id == "routers.E017"
    assert "authapp.SharedUser.username (to_field)" in error.msg


def test_e009_names_the_way_out_for_a_field_a_third_party_app_declares():
    with isolate_apps(*ISOLATED) as isolated:
        user = user_stand_in()

        class HistoricalReel(models.Model):  # django-simple-history's history_user: SET_NULL, hard-coded
            history_user = models.ForeignKey(user, models.SET_NULL, db_constraint=False, null=True)

            class Meta:
                app_label = "app1"

        (error,) = relation_errors(isolated)
    assert "history_user_id_field" in error.hint
    assert "settings.DATABASE_REFERENCES" in error.hint
