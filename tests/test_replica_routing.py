"""Which alias serves a read when app2 has replicas: the rules of routers/replicas.py, replica states stood in for.

tests/test_replicas.py shows the same rules on a real standby; here each rule is shown alone.
"""

import time
from collections import Counter

import pytest
from django.db import OperationalError, connections, transaction
from django.http import HttpResponse
from django.test import override_settings

from app2.models import Author, Book
from routers import replicas
from routers.middleware import COOKIE, UNREACHABLE_LSN, ReadReplicaMiddleware
from routers.replicas import Status
from routers.router import AppLabelRouter

REPLICAS = ["app2_replica", "app2_replica_2"]
CAUGHT_UP = Status(healthy=True, replayed=replicas.lsn_number("0/3000100"), lag=0.0, asked_at=time.monotonic())


@pytest.fixture
def states(monkeypatch):
    """Two replicas of app2, both healthy and caught up unless a test says otherwise."""
    known = dict.fromkeys(REPLICAS, CAUGHT_UP)
    monkeypatch.setattr(replicas, "status", known.__getitem__)
    with override_settings(DATABASE_REPLICAS={"app2": REPLICAS}, REPLICA_MAX_LAG=5), replicas.client_context({}):
        yield known


def reads(times=200):
    return Counter(replicas.read_alias("app2") for _ in range(times))


def test_reads_spread_over_the_healthy_replicas(states):
    spread = reads()
    assert set(spread) == set(REPLICAS)
    assert min(spread.values()) > 50


def test_a_replica_that_fails_or_lags_past_the_bound_is_skipped(states):
    states["app2_replica"] = Status(healthy=False, replayed=None, lag=0.0, asked_at=0)
    assert set(reads()) == {"app2_replica_2"}
    states["app2_replica_2"] = Status(healthy=True, replayed=CAUGHT_UP.replayed, lag=5.5, asked_at=0)
    assert set(reads()) == {"app2"}


def test_a_client_whose_write_a_replica_has_not_replayed_reads_the_primary(states):
    with replicas.client_context({"app2": "0/3000200"}):  # past both replicas' 0/3000100
        assert set(reads()) == {"app2"}
    states["app2_replica_2"] = Status(True, replicas.lsn_number("0/3000200"), 0.0, 0)
    with replicas.client_context({"app2": "0/3000200"}):
        assert set(reads()) == {"app2_replica_2"}


@pytest.mark.django_db(databases="__all__", transaction=True)  # a test transaction would pin every read
def test_after_a_write_or_inside_a_transaction_reads_stay_on_the_primary(states):
    assert Book.objects.all().db in REPLICAS  # the router answers for querysets too
    with transaction.atomic(using="app2"):
        assert Book.objects.all().db == "app2"
    with replicas.client_context({}):
        Book.objects.filter(pk=0).update(pages=1)  # a write: db_for_write pins this context
        assert Book.objects.all().db == "app2"
    assert Book.objects.all().db in REPLICAS  # the next request starts unpinned
    with replicas.primary_only():
        assert Book.objects.all().db == "app2"


def test_a_replica_is_its_primary_for_relations_and_never_migrates(states):
    router = AppLabelRouter()
    book, author = Book(), Author()
    book._state.db, author._state.db = "app2_replica", "app2"
    assert router.allow_relation(book, author) is True
    assert router.allow_migrate("app2_replica", "app2") is False
    assert router.allow_migrate("app2", "app2") is True


def test_wal_positions_compare_as_numbers():
    assert replicas.lsn_number("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert replicas.lsn_number("0/10") > replicas.lsn_number("0/F")


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_write_whose_position_cannot_be_read_answers_and_keeps_its_client_on_the_primary(rf, monkeypatch):
    """The primary goes away right after a write: the response stands, and the client's reads stay on the primary."""

    def primary_gone():
        raise OperationalError("server closed the connection unexpectedly")

    def save(request):
        Book.objects.filter(pk=0).update(pages=1)  # a write the middleware spots
        monkeypatch.setattr(connections["app2"], "cursor", primary_gone)
        return HttpResponse("saved")

    with override_settings(DATABASE_REPLICAS={"app2": REPLICAS}):
        middleware = ReadReplicaMiddleware(save)
        response = middleware(rf.post("/"))
        assert response.status_code == 200
        later = rf.get("/")
        later.COOKIES[COOKIE] = response.cookies[COOKIE].value
        required = middleware.required_lsn(later)
    assert required == {"app2": UNREACHABLE_LSN}
    assert not CAUGHT_UP.serves(required["app2"])
