"""Production: DEBUG off; SECRET_KEY and ALLOWED_HOSTS must come from the environment."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
