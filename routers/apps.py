from django.apps import AppConfig


class RoutersConfig(AppConfig):
    """Multi-database plumbing: the router, the admin base, cross-database references."""

    name = "routers"
