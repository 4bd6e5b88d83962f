"""Settings shared by every environment: three databases, one router, one user model."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file beside manage.py overrides nothing that the real environment already sets.
# DJANGO_ENV_FILE points elsewhere (tests use an empty file, so a developer's .env cannot leak in).
env.read_env(env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

# GENERAL
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
# No default here: only local.py and test.py may supply one.
SECRET_KEY = env("DJANGO_SECRET_KEY")
# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
# https://docs.djangoproject.com/en/5.2/ref/settings/#use-i18n
# An English-only site: translation machinery would run on every template variable for nothing.
USE_I18N = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# DATABASES
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/db/multi-db/#defining-your-databases
# One URL per alias. The defaults reach local servers over TCP (127.0.0.1, never a socket).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'users.sqlite3'}"),
    "app1": env.db_url("APP1_DATABASE_URL", default="mysql://root@127.0.0.1:3306/films"),
    "app2": env.db_url("APP2_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/books"),
}

# https://docs.djangoproject.com/en/5.2/topics/db/multi-db/#an-example (primary and replicas)
# Streaming replicas of app2 (PostgreSQL), comma-separated URLs: app2_replica, app2_replica_2, ...
# Empty (the default): no replica, every read on app2. routers/replicas.py decides each read.
DATABASE_REPLICAS = {"app2": []}
for _number, _url in enumerate(env.list("APP2_REPLICA_URLS", default=[]), start=1):
    _alias = "app2_replica" if _number == 1 else f"app2_replica_{_number}"
    # MIRROR: the test run reads the primary's test database through this alias, creating none.
    DATABASES[_alias] = {**env.db_url_config(_url), "TEST": {"MIRROR": "app2"}}
    DATABASE_REPLICAS["app2"].append(_alias)
# A replica further behind than this (seconds) is skipped; a client's own writes older than this
# are on every replica that is not skipped, so this is also how long read-your-writes lasts.
REPLICA_MAX_LAG = env.float("DB_REPLICA_MAX_LAG", default=5)

# Per-engine options a careful engineer sets; applied by engine, so any alias may move.
ENGINE_OPTIONS = {
    # https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-init-command
    "django.db.backends.sqlite3": {
        # WAL lets readers run beside the one writer; NORMAL is safe with WAL.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on the
        # busy timeout instead of failing with "database is locked" on lock upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    },
    # https://docs.djangoproject.com/en/5.2/ref/databases/#mysql-sql-mode
    "django.db.backends.mysql": {
        "charset": "utf8mb4",
        # Setting sql_mode replaces the whole list: this is MySQL 8's default, which is
        # strict (too-long values are refused, never silently truncated) on MariaDB too.
        "init_command": (
            "SET sql_mode='ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,"
            "NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"
        ),
        "connect_timeout": env.int("DB_CONNECT_TIMEOUT", default=2),
    },
    # https://docs.djangoproject.com/en/5.2/ref/databases/#postgresql-notes
    "django.db.backends.postgresql": {
        "connect_timeout": env.int("DB_CONNECT_TIMEOUT", default=2),
    },
}
ENGINE_TEST_SETTINGS = {
    # utf8mb4_unicode_ci exists on both MySQL 8 and MariaDB (utf8mb4_0900_ai_ci does not).
    "django.db.backends.mysql": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
}
for _database in DATABASES.values():
    _database["OPTIONS"] = {**ENGINE_OPTIONS.get(_database["ENGINE"], {}), **_database.get("OPTIONS", {})}
    _database["TEST"] = {**ENGINE_TEST_SETTINGS.get(_database["ENGINE"], {}), **_database.get("TEST", {})}
    # https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-connections
    # Per alias: a new PostgreSQL connection costs more than a simple page (docs/evidence.md, persistent connections).
    _database["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _database["CONN_HEALTH_CHECKS"] = True
    # https://docs.djangoproject.com/en/5.2/ref/databases/#connection-pool
    # DB_POOL=true swaps persistent connections for a psycopg pool per worker on PostgreSQL
    # aliases (Django requires CONN_MAX_AGE=0 with it). Off: with sync workers it measured no
    # faster (docs/evidence.md). The pool waits at most the
    # connect timeout for a connection, not psycopg_pool's 30 s, so a dead server stays a fast 503.
    if _database["ENGINE"] == "django.db.backends.postgresql" and env.bool("DB_POOL", default=False):
        _database["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": 4,
            "timeout": env.int("DB_CONNECT_TIMEOUT", default=2),
        }
        _database["CONN_MAX_AGE"] = 0
    # DB_PREPARED_STATEMENTS=true binds parameters on the server for PostgreSQL aliases, and psycopg
    # prepares a statement on its 6th run on a connection (after prepare_threshold=5 runs): the
    # server plans it once, not on every request. Off, as Django ships it: a pooler in transaction
    # mode (PgBouncer before 1.21, or without max_prepared_statements) loses them between
    # transactions (docs/evidence.md).
    if _database["ENGINE"] == "django.db.backends.postgresql" and env.bool("DB_PREPARED_STATEMENTS", default=False):
        _database["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)

# ROUTING
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/db/multi-db/#database-routers
# The one place that says which database holds each app. Every app with models is
# listed, Django's own included: a router that is silent about an app lets Django
# fall back to the instance hint (a user read through film.added_by would go to MySQL).
DATABASE_ROUTING = {
    "admin": "default",
    "auth": "default",
    "authapp": "default",
    "contenttypes": "default",
    "sessions": "default",
    "app1": "app1",
    "app2": "app2",
}
DATABASE_ROUTERS = ["routers.router.AppLabelRouter"]

# APPS
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
LOCAL_APPS = [
    "routers",  # the multi-database kit: router, admin bases, routing checks, database commands
    "authapp",
    "app1",
    "app2",
    "pages",
    "health",
    "demo",
]
INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS

# AUTHENTICATION
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#auth-user-model
AUTH_USER_MODEL = "authapp.SharedUser"
LOGIN_URL = "admin:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# MIDDLEWARE, URLS, TEMPLATES, STATIC
# ------------------------------------------------------------------------------
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # https://whitenoise.readthedocs.io/en/stable/django.html (static files under gunicorn)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "pages.middleware.RejectNullBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Sees a view's exception right after ReadReplicaMiddleware: a database that is down gives a 503 naming it.
    "health.middleware.DatabaseUnavailableMiddleware",
    # Last, so it sees a view's exception first: a read a dead replica broke is run again on the primary.
    "routers.middleware.ReadReplicaMiddleware",
]
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
STATIC_URL = "static/"
# The image collects static files outside var/, which is a volume there (the SQLite file).
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "var" / "static")
