from django.apps import AppConfig


class RoutersConfig(AppConfig):
    """Multi-database plumbing: the router, the admin base, cross-database references."""

    name = "routers"

    def ready(self):
        from django.core.checks import register

        from . import checks

        # A tag of their own, not "database": those run only with `manage.py check --database`.
        for check in checks.ALL:
            register(check, checks.TAG)

        from django.db.backends.signals import connection_created

        from .row_counts import fresh_table_statistics

        connection_created.connect(fresh_table_statistics, dispatch_uid="routers.fresh_table_statistics")
