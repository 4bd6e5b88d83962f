from django.apps import AppConfig


class RoutersConfig(AppConfig):
    """The multi-database kit: the router, admin bases, routing checks, cross-database references."""

    name = "routers"

    def ready(self):
        from django.core.checks import register

        from . import checks

        # A tag of their own, not "database": those run only with `manage.py check --database`.
        for check in checks.ALL:
            register(check, checks.TAG)
