from django.apps import AppConfig


class AuthappConfig(AppConfig):
    """The shared user model, stored in the default (SQLite) database."""

    name = "authapp"
    verbose_name = "Shared users"
