"""Users, content types, permissions and history of changes on SQLite; a catalog on MySQL; orders on PostgreSQL."""

import json
import os

SECRET_KEY = "third-party-test-only"
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "store.urls"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "guardian",
    "reversion",
    "taggit",
    "simple_history",
    "routers",
    "accounts",
    "catalog",
    "orders",
]
AUTH_USER_MODEL = "accounts.Customer"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "guardian.backends.ObjectPermissionBackend"]

# The catalog's and the orders' servers come from the test: {"catalog": {...}, "orders": {...}}.
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "users.sqlite3"},
    **json.loads(os.environ["STORE_DATABASES"]),
}
DATABASE_ROUTING = {
    # With the users: Django's own apps, and every app whose models are generic (content type + id).
    "admin": "default",
    "auth": "default",
    "contenttypes": "default",
    "sessions": "default",
    "accounts": "default",
    "guardian": "default",
    "reversion": "default",
    "taggit": "default",
    # Each app with its own models, tag tables and history tables.
    "catalog": "catalog",
    "orders": "orders",
}
DATABASE_ROUTERS = ["routers.router.AppLabelRouter"]
# simple_history keeps the user who made a change as an integer (history_user_id_field): the kit
# clears and checks it like a foreign key, and leaves the history tables' values alone.
DATABASE_REFERENCES = {
    "catalog.HistoricalProduct.history_user_id": AUTH_USER_MODEL,
    "orders.Order.approver_id": "accounts.Staff",
}
DATABASE_REFERENCES_KEEP = ["catalog.HistoricalProduct"]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, for a test project only
