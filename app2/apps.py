from django.apps import AppConfig


class App2Config(AppConfig):
    """Books and their authors, stored in PostgreSQL (alias app2)."""

    name = "app2"
    verbose_name = "Books (PostgreSQL)"
