"""Local development: DEBUG on, a throwaway secret, the local servers, the debug toolbar."""

import os
from pathlib import Path

import environ

# .env first, so that its values win over the local defaults below (real variables win over both).
environ.Env.read_env(os.environ.get("DJANGO_ENV_FILE", Path(__file__).resolve().parents[2] / ".env"))
# Local development is the only place a secret may have a default; base.py reads it.
os.environ.setdefault("DJANGO_SECRET_KEY", "local-development-only-not-secret")
os.environ.setdefault("DJANGO_DEBUG", "true")

from .base import *  # noqa: E402, F403

ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"]  # noqa: F405

# DEBUG TOOLBAR
# ------------------------------------------------------------------------------
# https://django-debug-toolbar.readthedocs.io/en/latest/installation.html
# Here only, never in base.py: production and the tests run without it. Its SQL panel lists each
# request's queries under the alias that ran them: the router at work, page by page.
# New lists, so that base.py's stay as they are for any other settings module.
INSTALLED_APPS = [*INSTALLED_APPS, "debug_toolbar"]  # noqa: F405
# As early as possible (the toolbar's docs); after WhiteNoise, which answers static files itself.
_after = MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1  # noqa: F405
MIDDLEWARE = [*MIDDLEWARE[:_after], "debug_toolbar.middleware.DebugToolbarMiddleware", *MIDDLEWARE[_after:]]  # noqa: F405
# https://docs.djangoproject.com/en/5.2/ref/settings/#internal-ips
# The toolbar shows only with DEBUG on and for these addresses: `make run` serves 127.0.0.1.
INTERNAL_IPS = ["127.0.0.1"]
# https://django-debug-toolbar.readthedocs.io/en/latest/configuration.html (SHOW_COLLAPSED)
# Expanded, the toolbar covers the right edge of every page: the admin's Delete and History buttons
# and its Log out link. Collapsed, a first visit shows only its handle; a click on the handle opens
# it, and the browser remembers that choice (localStorage) for later pages.
DEBUG_TOOLBAR_CONFIG = {"SHOW_COLLAPSED": True}
