"""Local development: DEBUG on, a throwaway secret, the local servers."""

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
