"""The home page: every database, its engine, and the rows of each model routed there."""

from django.apps import apps
from django.db import connections, router
from django.shortcuts import render

from .row_counts import EXACT_BELOW, row_counts

# The apps whose rows the home page counts, in the order it shows their databases.
COUNTED_APPS = ("authapp", "app1", "app2")


def counted_models():
    """Return {alias: [model, ...]}: the counted apps' models, by the database the router reads each from."""
    models_by_alias = {}
    for app_label in COUNTED_APPS:
        for model in apps.get_app_config(app_label).get_models():
            models_by_alias.setdefault(router.db_for_read(model), []).append(model)
    return models_by_alias


def home(request):
    """Show each database: its alias, engine and how many rows each model routed there has."""
    databases = [
        {
            "alias": alias,
            "engine": connections[alias].display_name,
            "models": [
                {"name": model._meta.verbose_name_plural, "rows": rows, "estimate": is_estimate}
                for model, (rows, is_estimate) in row_counts(models, using=alias).items()
            ],
        }
        for alias, models in counted_models().items()
    ]
    return render(request, "home.html", {"databases": databases, "exact_below": EXACT_BELOW})
