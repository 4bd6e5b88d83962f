"""Create or update the demo admin account from the environment (local development only)."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

NOT_LOCAL = "demo_superuser is for local development only (DEBUG is off)."
MISSING_ENV = "Set DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD."


class Command(BaseCommand):
    help = "Create (or reset the password of) the demo superuser from DJANGO_SUPERUSER_* variables."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(NOT_LOCAL)
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not username or not password:
            raise CommandError(MISSING_ENV)
        user, created = get_user_model()._default_manager.get_or_create(
            username=username, defaults={"email": os.environ.get("DJANGO_SUPERUSER_EMAIL", "")}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} superuser {username!r} (database {user._state.db!r}).")
