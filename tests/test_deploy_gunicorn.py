"""The image's entrypoint and gunicorn configuration, run for real against the local servers.

As in the container: collectstatic with production settings, then docker/entrypoint.sh
twice (a first start that migrates, a restart that must change nothing and keep the data),
the second time exec'ing gunicorn with config/gunicorn.py. MySQL is reached through a TCP
proxy that the last test stops, as if the server had died. Throwaway databases
test_<name>_gunicorn are created here and dropped at the end, apart from pytest-django's.
"""

import json
import re
import time
from types import SimpleNamespace

import pytest
from django.db import connections

from tests.support.databases import database_url, drop_database, recreate_database, throwaway_name, via
from tests.support.gunicorn import Gunicorn
from tests.support.processes import ENTRYPOINT, PRODUCTION_ENV, clean_environ, python, run
from tests.support.proxy import TcpProxy

# Run by the first start through the entrypoint: rows in every database, and each alias's tables.
SEED = """
import json
from django.db import connections
from app1.models import Director, Film
from app2.models import Book
from authapp.models import SharedUser
user = SharedUser.objects.create_user("kept", password="kept-password-123")
Film.objects.create(title="Kept Across Restarts", year=1999, director=Director.objects.create(name="D"),
                    added_by=user)
Book.objects.create(title="Kept Book", isbn="9780000000019", published="2001-01-01", added_by=user)
print(json.dumps({alias: connections[alias].introspection.table_names() for alias in connections}))
"""


def gunicorn_name(alias):
    return throwaway_name(alias, "gunicorn")


@pytest.fixture(scope="module")
def stack(tmp_path_factory, django_db_blocker, production_static):
    """Start once to migrate and seed, restart into gunicorn (static files collected as the image does); yield it."""
    tmp = tmp_path_factory.mktemp("stack")
    mysql = connections.settings["app1"]
    proxy = TcpProxy(mysql["HOST"] or "127.0.0.1", mysql["PORT"])
    env = clean_environ(
        **PRODUCTION_ENV,
        DJANGO_HTTPS="false",
        DJANGO_STATIC_ROOT=str(production_static),
        DATABASE_URL=f"sqlite:///{tmp / 'var' / 'users.sqlite3'}",
        APP1_DATABASE_URL=via(database_url(mysql, gunicorn_name("app1")), proxy.port),
        APP2_DATABASE_URL=database_url(connections.settings["app2"], gunicorn_name("app2")),
        DB_WAIT_TIMEOUT="10",
    )
    (tmp / "var").mkdir()
    with django_db_blocker.unblock():  # this module's own databases, not the test databases
        for alias in ("app1", "app2"):
            recreate_database(alias, gunicorn_name(alias))
    try:
        first = run(ENTRYPOINT, "python", "manage.py", "shell", "--no-imports", "-c", SEED, env=env)
        assert first.returncode == 0, first.stderr
        log = tmp / "gunicorn.log"
        with Gunicorn(env, log_path=log, workers=2, launcher=(ENTRYPOINT,)) as server:
            yield SimpleNamespace(server=server, first=first, log=log, proxy=proxy)
    finally:
        proxy.stop()
        for alias in ("app1", "app2"):
            with django_db_blocker.unblock():
                drop_database(alias, gunicorn_name(alias))


def run_healthcheck(stack):
    """Run the compose healthcheck script against the live gunicorn."""
    return python("docker/healthcheck.py", env=stack.server.env, timeout=15)


def restart_log(stack):
    """What the second start printed before gunicorn took over."""
    return stack.log.read_text().split("Starting gunicorn")[0]


def test_entrypoint_migrates_each_alias_to_its_own_tables(stack):
    tables = json.loads(stack.first.stdout.strip().splitlines()[-1])
    assert "authapp_shareduser" in tables["default"]
    assert "app1_film" in tables["app1"]
    assert "app2_book" in tables["app2"]
    assert "app1_film" not in tables["default"] + tables["app2"]
    assert "authapp_shareduser" not in tables["app1"] + tables["app2"]
    assert stack.first.stdout.count("Applying app1.0001_initial... OK") == 3  # recorded on every alias


def test_restart_applies_nothing_and_keeps_the_data(stack):
    restart = restart_log(stack)
    assert restart.count("No migrations to apply.") == 3
    assert "Applying" not in restart
    status, _, body = stack.server.get("/films/")
    assert status == 200
    assert b"Kept Across Restarts" in body
    assert b"Kept Book" in stack.server.get("/books/")[2]


def test_health_is_ok_and_the_access_log_goes_to_stdout(stack):
    status, headers, body = stack.server.get("/health/")
    assert status == 200, body
    assert json.loads(body)["unavailable"] == []
    assert headers["Content-Type"] == "application/json"
    time.sleep(0.2)  # the worker writes its access log line after answering
    assert re.search(r'"GET /health/ HTTP/1.1" 200 ', stack.log.read_text())


def test_admin_is_styled_with_debug_off(stack):
    status, _, page = stack.server.get("/admin/login/")
    assert status == 200
    assert b"Traceback" not in page  # DEBUG is off: no debug page anywhere
    stylesheet = re.search(rb'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page).group(1).decode()
    status, headers, css = stack.server.get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert headers["Content-Encoding"] == "gzip"  # compressed by collectstatic, served by WhiteNoise
    assert "immutable" in headers["Cache-Control"]  # hashed name: cached for good
    assert len(css) > 1000


def test_healthcheck_script_passes(stack):
    result = run_healthcheck(stack)
    assert result.returncode == 0, result.stderr


def test_stopped_server_gives_503_naming_it_within_the_timeout(stack):
    """Last: the proxy to MySQL goes away, as if the server stopped; PostgreSQL keeps answering."""
    stack.proxy.stop()
    started = time.monotonic()
    status, _, body = stack.server.get("/health/")
    assert time.monotonic() - started < 2.5
    assert status == 503
    assert json.loads(body)["unavailable"] == ["app1"]

    status, _, page = stack.server.get("/films/")
    assert status == 503
    assert b"Database &#x27;app1&#x27; (MySQL)" in page
    assert "127.0.0.1" not in page.decode()  # the host is logged, not shown
    assert stack.server.get("/books/")[0] == 200

    result = run_healthcheck(stack)
    assert result.returncode == 1
    assert '"unavailable": ["app1"]' in result.stderr
