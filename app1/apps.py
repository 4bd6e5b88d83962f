from django.apps import AppConfig


class App1Config(AppConfig):
    """Films and their directors, stored in MySQL (alias app1)."""

    name = "app1"
    verbose_name = "Films (MySQL)"
