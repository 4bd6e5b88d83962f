from django.apps import AppConfig


class HealthConfig(AppConfig):
    """Health endpoints for probes, and the 503 page when a database is down."""

    name = "health"
