from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for every database: `seed`, `demo_superuser` and the demo.<alias>.json fixtures."""

    name = "demo"
