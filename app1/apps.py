from django.apps import AppConfig


class App1Config(AppConfig):
    """Films and their directors, stored in MySQL (alias app1)."""

    name = "app1"
    verbose_name = "Films (MySQL)"

    def ready(self):
        from routers.references import clear_on_delete

        from .models import Film

        clear_on_delete(Film._meta.get_field("added_by"))
