"""Fixtures shared by the suite; every test runs against the real SQLite, MySQL and PostgreSQL."""

import pytest
from django.db import connections

from authapp.factories import SharedUserFactory
from routers.connectivity import DatabaseUnreachable, ensure_server
from tests.support.processes import PRODUCTION_ENV, clean_environ, manage


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, django_db_blocker):
    """Fail (never skip) before creating test databases when a server is unreachable."""
    with django_db_blocker.unblock():
        for alias in connections:
            try:
                ensure_server(alias)
            except DatabaseUnreachable as exc:
                pytest.fail(str(exc), pytrace=False)


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
