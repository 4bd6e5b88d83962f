from django.apps import AppConfig


class ConsistencyConfig(AppConfig):
    """Registers read and written through the replica-routed site (tests and `make consistency` only)."""

    name = "tests.consistency"
    label = "consistency"
    default_auto_field = "django.db.models.BigAutoField"
