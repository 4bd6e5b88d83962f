"""Production: DEBUG off; SECRET_KEY and ALLOWED_HOSTS must come from the environment.

Secure by default (`manage.py check --deploy` reports nothing): HTTPS is assumed to end
at a proxy in front of gunicorn that sets X-Forwarded-Proto. DJANGO_HTTPS=false turns the
redirect, secure cookies and HSTS off for a plain-HTTP stack such as `docker compose up`
on http://localhost:8000.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set the DJANGO_ALLOWED_HOSTS environment variable (comma-separated host names).")
# https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-trusted-origins
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# SECURITY
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/#https
HTTPS = env.bool("DJANGO_HTTPS", default=True)
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-proxy-ssl-header
# Trust X-Forwarded-Proto only when HTTPS is on: the proxy must set (and overwrite) it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-ssl-redirect
SECURE_SSL_REDIRECT = HTTPS
# Container healthchecks call gunicorn over plain HTTP from inside; a redirect would fail them.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-cookie-secure
SESSION_COOKIE_SECURE = HTTPS
# https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-cookie-secure
CSRF_COOKIE_SECURE = HTTPS
# https://docs.djangoproject.com/en/5.2/ref/middleware/#http-strict-transport-security
# Start small, as a wrong HSTS header locks browsers out for its whole lifetime; raise it
# (e.g. to 31536000) once HTTPS is known to work for the domain and its subdomains.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True

# STATIC
# ------------------------------------------------------------------------------
# https://whitenoise.readthedocs.io/en/stable/django.html#add-compression-and-caching-support
# Hashed, compressed copies made by collectstatic (the image runs it at build time), so
# browsers may cache them forever. Needs collectstatic before the first request.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# LOGGING
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/logging/
# With DEBUG off Django would only mail errors to ADMINS; send them to stderr, where
# gunicorn and `docker compose logs` see them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django": {
            "handlers": ["console"],
            "level": env("DJANGO_LOG_LEVEL", default="INFO"),
            "propagate": False,
        },
    },
}
