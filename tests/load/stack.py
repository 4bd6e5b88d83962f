"""The bench's and the drill's setup around tests/support/gunicorn.py: environment, databases, admin.

Everything here is bounded: every subprocess has a timeout, and only 127.0.0.1 is ever targeted.
"""

import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.http import admin_login, exchange
from tests.support.processes import BASE_DIR, PRODUCTION_ENV, checked, clean_environ, manage

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
ADMIN_USERNAME = "load-admin"
ADMIN_PASSWORD = "load-admin-password-not-secret"


def add_database_arguments(parser, name, *, app2=True):
    """Add --app1-url, --app2-url (unless app2 is False) and --sqlite: films_<name>, books_<name>, var/<name>/."""
    parser.add_argument("--app1-url", default=f"mysql://root@127.0.0.1:3306/films_{name}")
    if app2:
        parser.add_argument("--app2-url", default=f"postgres://postgres@127.0.0.1:5432/books_{name}")
    parser.add_argument("--sqlite", default=str(BASE_DIR / "var" / name / "users.sqlite3"))


def exit_on_sigterm():
    """Make a SIGTERM run the finally blocks (gunicorn and the proxies stopped), as Ctrl-C does."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def require_loopback(url):
    """Refuse a database URL that points anywhere but this machine."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite" and parts.hostname not in LOOPBACK:
        raise SystemExit(f"Refusing {parts.scheme}://{parts.hostname}: load runs target 127.0.0.1 only.")
    return url


def production_env(*, sqlite_path, app1_url, app2_url, **overrides):
    """The environment gunicorn and manage.py get: production settings over plain HTTP, these databases."""
    Path(sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    settings = {
        **PRODUCTION_ENV,
        "DJANGO_HTTPS": "false",
        "DJANGO_STATIC_ROOT": str(Path(sqlite_path).parent / "static"),
        "DATABASE_URL": f"sqlite:///{Path(sqlite_path).resolve()}",
        "APP1_DATABASE_URL": require_loopback(app1_url),
        "APP2_DATABASE_URL": require_loopback(app2_url),
        "GUNICORN_LOG_LEVEL": "warning",  # no start-up chatter; the access log (accesslog = "-") stays
    }
    return clean_environ(**{**settings, **overrides})


def prepare(env, *, collectstatic=True):
    """Create the databases if missing, migrate every alias, collect static files (side by side)."""
    checked(manage("create_databases", env=env), "create_databases")
    jobs = [("migrate_all", "--noinput", "-v0")]
    if collectstatic:
        jobs.append(("collectstatic", "--noinput", "-v0"))
    with ThreadPoolExecutor(len(jobs)) as pool:
        for job, result in zip(jobs, pool.map(lambda args: manage(*args, env=env, timeout=300), jobs), strict=True):
            checked(result, " ".join(job))


def create_admin(env, username=ADMIN_USERNAME, password=ADMIN_PASSWORD):
    """Create (or reset) a superuser through demo_superuser, which only runs with local settings."""
    local = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "true"}
    local.update(DJANGO_SUPERUSER_USERNAME=username, DJANGO_SUPERUSER_PASSWORD=password)
    checked(manage("demo_superuser", env=local), "demo_superuser")


def admin_cookies(server):
    """Log the admin in once on `server` (a Gunicorn); return the session's cookies, or stop."""
    connection = server.connection()
    try:
        status, cookies = admin_login(partial(exchange, connection), ADMIN_USERNAME, ADMIN_PASSWORD)
    finally:
        connection.close()
    if status != 302:
        raise RuntimeError(f"admin login answered {status}, not 302")
    return cookies
