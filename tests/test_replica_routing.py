"""Which alias serves a read when app2 has replicas: the rules of routers/replicas.py, replica states stood in for.

tests/test_replicas.py and tests/test_replica_faults.py show the same rules on real standbys; here
each rule is shown alone.
"""

import asyncio
import threading
import time
from collections import Counter

import pytest
from django.core.signals import request_finished
from django.db import DatabaseError, OperationalError, ProgrammingError, connections, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.test import override_settings

from app2.models import Author, Book
from authapp.models import SharedUser
from routers import middleware, replicas
from routers.middleware import COOKIE, UNREACHABLE_LSN, ReadReplicaMiddleware, writes
from routers.replicas import Status, caught_up, lsn_number
from routers.router import AppLabelRouter

REPLICAS = ["app2_replica", "app2_replica_2"]
POSITION = lsn_number("0/3000100")


def fresh(replayed=POSITION):
    """A healthy standby that had all the primary's data just now."""
    return Status(healthy=True, replayed=replayed, fresh_at=time.monotonic(), asked_at=time.monotonic())


@pytest.fixture
def states(monkeypatch):
    """Two replicas of app2, both healthy, fresh and connecting unless a test says otherwise."""
    known = dict.fromkeys(REPLICAS, fresh())
    monkeypatch.setattr(replicas.Primary, "current", lambda self: known)
    monkeypatch.setattr(replicas, "connects", lambda alias: True)
    with override_settings(DATABASE_REPLICAS={"app2": REPLICAS}, REPLICA_MAX_LAG=5):
        yield known


def reads(times=200, required=None):
    """Where `times` clients, each in its own request, read a book."""
    spread = Counter()
    for _ in range(times):
        with replicas.client_context(required or {}):
            spread[replicas.read_alias("app2")] += 1
    return spread


def test_reads_spread_over_the_healthy_replicas(states):
    spread = reads()
    assert set(spread) == set(REPLICAS)
    assert min(spread.values()) > 50


def test_one_request_reads_one_source_so_it_never_goes_back_in_time(states):
    with replicas.client_context({}):
        first = replicas.read_alias("app2")
        assert {replicas.read_alias("app2") for _ in range(50)} == {first}
    states.update(dict.fromkeys(REPLICAS, replicas.DOWN))
    with replicas.client_context({}):
        assert replicas.read_alias("app2") == "app2"
        states.update(dict.fromkeys(REPLICAS, fresh()))  # back, but this request began on the primary
        assert replicas.read_alias("app2") == "app2"


def test_a_replica_that_fails_is_promoted_or_is_stale_is_skipped(states):
    states["app2_replica"] = replicas.DOWN  # failed, or answered pg_is_in_recovery() = false
    assert set(reads()) == {"app2_replica_2"}
    # It replayed what the primary had 5.5 s ago, whatever it has received since (or not).
    states["app2_replica_2"] = Status(True, POSITION, time.monotonic() - 5.5, time.monotonic())
    assert set(reads()) == {"app2"}


def test_a_client_whose_position_a_replica_has_not_replayed_asks_it_then_reads_the_primary(states, monkeypatch):
    ahead = POSITION + 0x100
    asked = Counter()

    def replay_position(alias):
        asked[alias] += 1
        return POSITION  # still behind

    monkeypatch.setattr(replicas, "replay_position", replay_position)
    assert set(reads(20, {"app2": ahead})) == {"app2"}
    assert sum(asked.values()) == 40  # each request asked both replicas once
    monkeypatch.setattr(replicas, "replay_position", lambda alias: ahead if alias == "app2_replica_2" else POSITION)
    assert set(reads(20, {"app2": ahead})) == {"app2_replica_2"}


def test_a_replica_that_does_not_connect_costs_the_read_nothing(states, monkeypatch):
    monkeypatch.setattr(replicas, "connects", lambda alias: alias == "app2_replica_2")
    assert set(reads()) == {"app2_replica_2"}
    monkeypatch.setattr(replicas, "connects", lambda alias: False)
    assert set(reads()) == {"app2"}


@pytest.mark.django_db(databases="__all__", transaction=True)  # a test transaction would pin every read
def test_after_a_write_inside_a_transaction_or_under_primary_only_reads_stay_on_the_primary(states):
    assert Book.objects.all().db in REPLICAS  # the router answers for querysets too
    with transaction.atomic(using="app2"):
        assert Book.objects.all().db == "app2"
    with replicas.client_context({}):
        Book.objects.filter(pk=0).update(pages=1)  # a write: db_for_write pins this context
        assert Book.objects.all().db == "app2"
    assert Book.objects.all().db in REPLICAS  # the next request starts unpinned
    with replicas.primary_only():
        assert Book.objects.all().db == "app2"


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_read_on_the_primary_keeps_the_rest_of_the_request_there(states):
    """A read inside a transaction (or through .using()) saw the primary: a replica after it may be older."""
    with replicas.client_context({}):
        with transaction.atomic(using="app2"):
            assert Book.objects.all().db == "app2"
        assert Book.objects.all().db == "app2"


def test_a_write_in_an_asyncio_task_moves_the_whole_request_to_the_primary(states):
    """asyncio.gather runs each awaitable in a copy of the context: the choice must be shared, not copied."""

    async def view():
        async def write():
            replicas.pin("app2")  # what db_for_write does before the task's write

        await asyncio.gather(write())
        return replicas.read_alias("app2")

    with replicas.client_context({}):
        assert asyncio.run(view()) == "app2"


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_streaming_response_replaced_before_it_was_sent_leaves_no_transaction_open(states, rf, monkeypatch):
    """An outer middleware answers 304 instead: nobody closes the stream, the request's end ends its snapshot."""

    def view(request):
        return StreamingHttpResponse(iter([b"never sent"]))

    with override_settings(DATABASE_REPLICAS={"app2": REPLICAS}):
        ReadReplicaMiddleware(view)(rf.get("/"))  # the response is dropped, never closed
        assert connections["app2"].in_atomic_block
        request_finished.send(sender=None)
        assert not connections["app2"].in_atomic_block
        assert Book.objects.using("app2").count() >= 0  # the connection works again


@pytest.mark.django_db(databases="__all__", transaction=True)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_an_unsafe_method_reads_the_primary_before_it_writes(states, rf, method):
    """UpdateView.post reads the row, then saves every column: a replica read there is a lost update."""

    def view(request):
        return HttpResponse(Book.objects.all().db)

    with override_settings(DATABASE_REPLICAS={"app2": REPLICAS}):
        assert ReadReplicaMiddleware(view)(rf.generic(method, "/")).content == b"app2"
        assert ReadReplicaMiddleware(view)(rf.get("/")).content.decode() in REPLICAS


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_raw_sql_write_pins_the_rest_of_the_request(states, rf, monkeypatch):
    monkeypatch.setattr(middleware, "insert_position", lambda primary: POSITION)

    def view(request):
        with connections["app2"].cursor() as cursor:
            cursor.execute("UPDATE app2_book SET pages = 1 WHERE id = 0")
        return HttpResponse(Book.objects.all().db)

    with override_settings(DATABASE_REPLICAS={"app2": REPLICAS}):
        response = ReadReplicaMiddleware(view)(rf.get("/"))
    assert response.content == b"app2"
    assert COOKIE in response.cookies


@pytest.mark.parametrize(
    ("sql", "many", "expected"),
    [
        ("SELECT 1", False, False),
        ("  select * from app2_book", False, False),
        ("SAVEPOINT s1", False, False),
        ("UPDATE app2_book SET pages = 1", False, True),
        ("insert into t values (1)", False, True),
        ("WITH moved AS (DELETE FROM t RETURNING *) SELECT * FROM moved", False, True),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False, False),
        ("SELECT 1", True, True),
        ("CALL do_things()", False, True),  # unknown: counted as a write, never retried
        ("SELECT * INTO copy FROM app2_book", False, True),
        ("EXPLAIN ANALYZE DELETE FROM t", False, True),
        ("EXPLAIN (ANALYZE, BUFFERS) DELETE FROM t", False, True),
        ("EXPLAIN SELECT 1", False, False),
        ("SELECT 1; UPDATE t SET a = 1", False, True),
        ("SELECT 1;", False, False),
    ],
)
def test_which_statements_count_as_writes(sql, many, expected):
    assert writes(sql, many) is expected


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_new_cookie_keeps_the_positions_of_primaries_this_request_did_not_use(rf, monkeypatch):
    """Two replicated primaries: a write to one must not forget the client's position on the other."""
    monkeypatch.setattr(middleware, "insert_position", lambda primary: POSITION)
    two = {"app2": REPLICAS, "app1": ["app1_replica"]}

    def write_films(request):
        connections["app1"].cursor().execute("UPDATE app1_film SET year = year WHERE id = 0")
        return HttpResponse("saved")

    with override_settings(DATABASE_REPLICAS=two), replicas.primary_only():
        earlier_cookie = sign(ReadReplicaMiddleware(HttpResponse), {"app2": POSITION + 5})
        request = rf.get("/")
        request.COOKIES[COOKIE] = earlier_cookie
        response = ReadReplicaMiddleware(write_films)(request)
        later = rf.get("/")
        later.COOKIES[COOKIE] = response.cookies[COOKIE].value
        assert ReadReplicaMiddleware(HttpResponse).required(later) == {"app2": POSITION + 5, "app1": POSITION}


def sign(middleware_instance, positions):
    """The cookie value the middleware would set for these positions."""
    response = HttpResponse()
    middleware_instance.remember(response, positions)
    return response.cookies[COOKIE].value


def handled(view):
    """ReadReplicaMiddleware around a view as Django's handler runs it: the view, then process_exception.

    A database error the middleware declines answers 503, as health's middleware would for an outage.
    """

    def get_response(request):
        request.resolver_match = type("Match", (), {"func": staticmethod(view), "args": (), "kwargs": {}})()
        try:
            return view(request)
        except DatabaseError as exc:
            return middleware_instance.process_exception(request, exc) or HttpResponse(status=503)

    middleware_instance = ReadReplicaMiddleware(get_response)
    return middleware_instance


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_get_that_wrote_is_never_run_twice_and_a_retry_keeps_atomic_requests(rf, monkeypatch):
    """A replica fails under a view: run again on the primaries only if nothing was written, inside ATOMIC_REQUESTS."""
    runs = Counter()

    def view(request):
        runs[request.path] += 1
        if request.path == "/writes/":
            SharedUser.objects.filter(pk=0).update(first_name="x")  # a write on default
        if runs[request.path] == 1:
            connections["app1"].errors_occurred = True  # app1 stands for the replica that died mid-query
            raise OperationalError("server closed the connection unexpectedly")
        return HttpResponse(f"atomic={connections['app2'].in_atomic_block}")

    monkeypatch.setitem(connections["app2"].settings_dict, "ATOMIC_REQUESTS", True)
    with override_settings(DATABASE_REPLICAS={"app2": ["app1"]}):
        handler = handled(view)
        read = handler(rf.get("/reads/"))
        wrote = handler(rf.get("/writes/"))
    assert (read.status_code, read.content, runs["/reads/"]) == (200, b"atomic=True", 2)
    assert (wrote.status_code, runs["/writes/"]) == (503, 1)


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_replica_that_lacks_a_migrated_table_costs_no_request(rf):
    """A replica behind by a migration answers "relation does not exist": run the read again on the primary."""
    runs = Counter()

    def view(request):
        runs["view"] += 1
        if runs["view"] == 1:
            connections["app1"].errors_occurred = True  # app1 stands for the replica
            raise ProgrammingError('relation "app2_book" does not exist')
        return HttpResponse("read")

    with override_settings(DATABASE_REPLICAS={"app2": ["app1"]}):
        response = handled(view)(rf.get("/"))
    assert (response.status_code, runs["view"]) == (200, 2)


def test_wal_positions_compare_as_numbers():
    assert lsn_number("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert lsn_number("0/10") > lsn_number("0/F")
    assert replicas.lsn_text(lsn_number("16/B374D848")) == "16/B374D848"


def test_a_standby_stopped_at_a_page_boundary_has_caught_up_with_an_idle_primary():
    """pg_current_wal_insert_lsn() points past the next page's header; replay stops at the page's start."""
    page = 5 * 8192
    assert caught_up(page, page + 24)  # a short page header
    assert not caught_up(page - 8, page + 24)
    assert not caught_up(page, page + 32)  # a record on the page
    segment = 16 << 20
    assert caught_up(segment, segment + 40)  # the long header on a segment's first page
    assert not caught_up(page, page + 40)  # the 40th byte of any other page is a record


def test_freshness_is_the_newest_primary_position_a_replica_has_replayed():
    state = replicas.Primary("app2")
    state.samples = ((10.0, 100), (11.0, 200), (12.0, 300))
    assert state.fresh_at(250) == 11.0
    assert state.fresh_at(300) == 12.0
    assert state.fresh_at(99) == float("-inf")  # behind everything known: serves nothing


def test_the_state_is_asked_by_one_thread_at_a_time(monkeypatch):
    """Eight threads finding the status expired at once ask the servers once, not eight times."""
    state = replicas.Primary("app2")
    asked = Counter()

    def refresh(self):
        asked["refresh"] += 1
        time.sleep(0.2)
        self.statuses, self.asked_at = {"app2_replica": fresh()}, time.monotonic()

    monkeypatch.setattr(replicas.Primary, "refresh", refresh)
    state.statuses, state.asked_at = {"app2_replica": fresh()}, float("-inf")  # known, but expired
    threads = [threading.Thread(target=state.current) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert asked["refresh"] == 1


def test_a_replica_is_its_primary_for_relations_and_never_migrates(states):
    router = AppLabelRouter()
    book, author = Book(), Author()
    book._state.db, author._state.db = "app2_replica", "app2"
    assert router.allow_relation(book, author) is True
    assert router.allow_migrate("app2_replica", "app2") is False
    assert router.allow_migrate("app2", "app2") is True


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
        middleware_instance = ReadReplicaMiddleware(save)
        response = middleware_instance(rf.post("/"))
        assert response.status_code == 200
        later = rf.get("/")
        later.COOKIES[COOKIE] = response.cookies[COOKIE].value
        required = middleware_instance.required(later)
    assert required == {"app2": lsn_number(UNREACHABLE_LSN)}
    assert fresh(lsn_number("FFFFFFFF/FFFFFFFE")).replayed < required["app2"]
