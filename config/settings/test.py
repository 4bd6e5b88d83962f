"""Test settings: the real servers, a fast password hasher."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
# A developer's .env must not decide where the test databases go (set DJANGO_ENV_FILE to use one).
os.environ.setdefault("DJANGO_ENV_FILE", os.devnull)

from .base import *  # noqa: F403

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# https://docs.djangoproject.com/en/5.2/topics/testing/overview/#speeding-up-the-tests
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# https://whitenoise.readthedocs.io/en/stable/django.html#WHITENOISE_USE_FINDERS
# Serve static files from the apps, as in development: tests do not run collectstatic first.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
