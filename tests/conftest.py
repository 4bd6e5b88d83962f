"""Fixtures shared by the suite; every test runs against the real SQLite, MySQL and PostgreSQL."""

from pathlib import Path

import pytest
from django.db import connections

from authapp.factories import SharedUserFactory
from routers.connectivity import DatabaseUnreachable, ensure_server
from tests.support.processes import PRODUCTION_ENV, clean_environ, manage

# A newcomer's servers, as Debian and Ubuntu install them, refuse the login the settings use.
LOGIN_HINT = (
    "Is its server running, and does it let this login in over TCP? For a stock Debian or Ubuntu, "
    "README.md (Run it) gives the commands, and `make databases` prints them."
)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, django_db_blocker, tmp_path_factory):
    """Put a SQLite test database in a file; fail (never skip) when a server is unreachable."""
    # Django's default SQLite test database lives in memory, where journal_mode=WAL is ignored and the
    # busy timeout never waits on another connection: the tests would not run the settings that ship.
    # pytest's base temporary directory is new for every run (and every xdist worker), so two runs
    # never share the file, a crashed run's file (and its -wal) is never opened again, and pytest
    # removes it a few runs later.
    for settings_dict in connections.settings.values():
        if settings_dict["ENGINE"] == "django.db.backends.sqlite3" and not settings_dict["TEST"].get("NAME"):
            settings_dict["TEST"]["NAME"] = str(
                tmp_path_factory.getbasetemp() / f"test_{Path(settings_dict['NAME']).name}"
            )
    unreachable = []
    with django_db_blocker.unblock():
        for alias in connections:
            try:
                ensure_server(alias)
            except DatabaseUnreachable as exc:
                unreachable.append(str(exc))
    if unreachable:
        pytest.fail("\n".join([*unreachable, LOGIN_HINT]), pytrace=False)


@pytest.fixture(scope="session")
def production_static(tmp_path_factory):
    """Static files collected once with the production settings, for the tests that run gunicorn."""
    root = tmp_path_factory.mktemp("static")
    env = clean_environ(**PRODUCTION_ENV, DJANGO_STATIC_ROOT=str(root))
    result = manage("collectstatic", "--noinput", "-v0", env=env)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def user():
    """A plain user in the default database."""
    return SharedUserFactory()
