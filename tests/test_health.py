"""/health/ and /health/live/, and the 503 page for a view whose database is down (in-process)."""

import time

import pytest
from django.db import OperationalError, connections
from django.test import RequestFactory

from app2.factories import BookFactory
from health.middleware import DatabaseUnavailableMiddleware
from tests.support.engines import engine_name

ALL_DATABASES = ["default", "app1", "app2"]
# Nothing listens on port 1 of the loopback: a connection is refused at once.
CLOSED_PORT = "1"


@pytest.fixture
def app1_down(monkeypatch):
    """Point alias app1 at a closed port, in this thread and in any other, for one test.

    The test's own app1 connection (inside the test transaction) is set aside, not closed.
    Yields the real server's port.
    """
    real_port = connections.settings["app1"]["PORT"]
    monkeypatch.setitem(connections.settings["app1"], "HOST", "127.0.0.1")
    monkeypatch.setitem(connections.settings["app1"], "PORT", CLOSED_PORT)
    original = connections["app1"]
    connections["app1"] = connections.create_connection("app1")
    yield real_port
    connections["app1"].close()
    connections["app1"] = original


def test_live_answers_without_touching_a_database(client):
    # No django_db mark: any query here would raise.
    response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(databases=ALL_DATABASES)
def test_health_reports_each_alias(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["unavailable"] == []
    assert {alias: db["status"] for alias, db in body["databases"].items()} == dict.fromkeys(ALL_DATABASES, "ok")
    assert {alias: db["engine"] for alias, db in body["databases"].items()} == {
        alias: engine_name(alias) for alias in ALL_DATABASES
    }
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db(databases=ALL_DATABASES)
@pytest.mark.usefixtures("app1_down")
def test_health_names_the_unreachable_alias_quickly(client):
    started = time.monotonic()
    response = client.get("/health/")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    assert body["unavailable"] == ["app1"]
    assert body["databases"]["app1"]["status"] == "unreachable"
    assert body["databases"]["app2"]["status"] == "ok"
    assert elapsed < 2.5
    # The public answer names the alias, not the host.
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db(databases=ALL_DATABASES)
@pytest.mark.usefixtures("app1_down")
def test_page_on_a_down_database_answers_503_naming_it(client):
    response = client.get("/films/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Database &#x27;app1&#x27; (MySQL)" in page
    assert "127.0.0.1" not in page  # the host is logged, not shown
    assert "Traceback" not in page


@pytest.mark.django_db(databases=ALL_DATABASES)
@pytest.mark.usefixtures("app1_down")
def test_pages_on_other_databases_keep_working(client):
    book = BookFactory(title="Still here")
    assert client.get("/books/").status_code == 200
    assert "Still here" in client.get(f"/books/{book.pk}/").content.decode()


@pytest.mark.django_db(databases=ALL_DATABASES)
def test_database_error_with_every_server_up_is_left_to_django():
    """A lock timeout or missing table is a bug to see as a 500, not an outage to hide."""
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().get("/films/")
    connections["app1"].ensure_connection()
    assert middleware.process_exception(request, OperationalError("Lock wait timeout exceeded")) is None
    assert middleware.process_exception(request, ValueError("not a database error")) is None


@pytest.mark.django_db(databases=ALL_DATABASES)
def test_outage_is_named_even_if_the_server_is_back_before_the_page_is_built(app1_down):
    """The alias is the connection the error went through, not whatever answers a probe later."""
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().get("/films/")
    with pytest.raises(OperationalError) as failure:
        connections["app1"].ensure_connection()
    connections["app1"].settings_dict["PORT"] = app1_down  # MySQL answers again
    response = middleware.process_exception(request, failure.value)
    assert response is not None
    assert response.status_code == 503
    assert response.context_data["databases"] == ["'app1' (MySQL)"]


@pytest.mark.django_db(databases=ALL_DATABASES)
@pytest.mark.usefixtures("app1_down")
def test_an_earlier_failed_connect_is_not_blamed_for_a_later_error():
    with pytest.raises(OperationalError):
        connections["app1"].ensure_connection()

    def view_failing_on_a_working_database(request):
        raise OperationalError("Lock wait timeout exceeded")

    middleware = DatabaseUnavailableMiddleware(view_failing_on_a_working_database)
    request = RequestFactory().get("/books/")
    with pytest.raises(OperationalError, match="Lock wait"):
        middleware(request)  # the next request: app1's old failure is forgotten
    assert middleware.process_exception(request, OperationalError("Lock wait timeout exceeded")) is None
