from django.apps import AppConfig


class App2Config(AppConfig):
    """Books and their authors, stored in PostgreSQL (alias app2)."""

    name = "app2"
    verbose_name = "Books (PostgreSQL)"

    def ready(self):
        from routers.references import clear_on_delete

        from .models import Book

        clear_on_delete(Book._meta.get_field("added_by"))
