"""Fixtures shared by the suite; every test runs against the real SQLite, MySQL and PostgreSQL."""

import pytest
from django.db import connections

from authapp.factories import SharedUserFactory
from routers.connectivity import DatabaseUnreachable, ensure_server


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, django_db_blocker):
    """Fail (never skip) before creating test databases when a server is unreachable."""
    with django_db_blocker.unblock():
        for alias in connections:
            try:
                ensure_server(alias)
            except DatabaseUnreachable as exc:
                pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def user():
    """A plain user in the default database."""
    return SharedUserFactory()
