"""Create or update the demo admin account from the environment (local development only)."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

NOT_LOCAL = "demo_superuser is for local development only (DEBUG is off)."


def demo_login():
    """Return the demo admin's username and password: DJANGO_SUPERUSER_* (read from .env too), else admin/admin."""
    return (
        os.environ.get("DJANGO_SUPERUSER_USERNAME") or "admin",
        os.environ.get("DJANGO_SUPERUSER_PASSWORD") or "admin",
    )


class Command(BaseCommand):
    help = "Create (or reset the password of) the demo superuser from DJANGO_SUPERUSER_* variables."

    def add_arguments(self, parser):
        parser.add_argument("--show-login", action="store_true", help="only print where and how to log in")

    def handle(self, *args, show_login=False, **options):
        if not settings.DEBUG:
            raise CommandError(NOT_LOCAL)
        username, password = demo_login()
        if show_login:
            self.stdout.write(f"Admin: http://127.0.0.1:8000/admin/  username {username!r}  password {password!r}")
            return
        user, created = get_user_model()._default_manager.get_or_create(
            username=username, defaults={"email": os.environ.get("DJANGO_SUPERUSER_EMAIL", "")}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} superuser {username!r} in database {user._state.db!r}.")
