from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The public site around the data apps: home page, pagination, row counts, request guards."""

    name = "pages"

    def ready(self):
        from django.db.backends.signals import connection_created

        from .row_counts import fresh_table_statistics

        connection_created.connect(fresh_table_statistics, dispatch_uid="pages.fresh_table_statistics")
