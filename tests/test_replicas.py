"""Books from a real streaming replica through the site under gunicorn: stale reads, read-your-writes, lag, outages.

The tests build their own PostgreSQL primary and standby (tests/support/replica.py) on loopback
ports, point app2 at the primary and APP2_REPLICA_URLS at the standby, and make the lag real with
recovery_min_apply_delay. app1 gets a throwaway MySQL database, default a SQLite file.
"""

import json
import re
import threading
import time
from collections import Counter
from functools import partial
from types import SimpleNamespace

import pytest
from django.db import connections

from app2.validators import isbn13
from tests.support.databases import database_url, drop_database, recreate_database, throwaway_name
from tests.support.gunicorn import Gunicorn
from tests.support.http import CSRF_INPUT, admin_login, cookie_header, exchange, post_form, response_cookies
from tests.support.processes import checked, manage
from tests.support.replica import PostgresCluster, site_environ

MAX_LAG = 4  # DB_REPLICA_MAX_LAG for this site, seconds
DELAY = 2  # recovery_min_apply_delay while a test shows a stale read: well inside MAX_LAG
ADMIN = ("replica-admin", "replica-admin-password-not-secret")
SETUP = f"""
from app2.models import Author, Book
from authapp.models import SharedUser
SharedUser.objects.create_superuser("{ADMIN[0]}", password="{ADMIN[1]}")
author = Author.objects.create(name="Ursula K. Le Guin")
book = Book.objects.create(title="The Dispossessed", isbn="9780060512750")
book.authors.add(author)
print(author.pk, book.pk)
"""


@pytest.fixture(scope="module")
def cluster():
    cluster = PostgresCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def site(cluster, tmp_path_factory, django_db_blocker, production_static):
    """The production site on a throwaway MySQL database, the private primary and its standby."""
    tmp = tmp_path_factory.mktemp("replicas")
    films = throwaway_name("app1", "replicas")
    env = site_environ(
        cluster,
        settings="config.settings.production",
        users=tmp / "users.sqlite3",
        app1_url=database_url(connections.settings["app1"], films),
        max_lag=MAX_LAG,
        static_root=production_static,
    )
    with django_db_blocker.unblock():
        recreate_database("app1", films)
    try:
        checked(manage("create_databases", env=env), "create_databases")
        checked(manage("migrate_all", "--noinput", "-v0", env=env), "migrate_all")
        author, book = checked(manage("shell", "--no-imports", "-c", SETUP, env=env), "setup").split()
        with Gunicorn(env, log_path=tmp / "gunicorn.log", workers=2) as server:
            connection = server.connection()
            status, cookies = admin_login(partial(exchange, connection), *ADMIN)
            connection.close()
            assert status == 302, f"admin login answered {status}"
            yield SimpleNamespace(
                server=server, cluster=cluster, env=env, author=int(author), book=int(book), admin=cookies
            )
    finally:
        with django_db_blocker.unblock():
            drop_database("app1", films)


def title_on(cluster, port, book):
    """Read a book's title with plain SQL on one server, or None if that server has no such row."""
    with cluster.connect(port, "books") as connection:
        row = connection.execute("SELECT title FROM app2_book WHERE id = %s", [book]).fetchone()
    return row and row[0]


def retitle_on_the_primary(site, title):
    """Change the book's title with plain SQL on the primary, as another process would."""
    with site.cluster.connect(site.cluster.primary_port, "books") as primary:
        primary.execute("UPDATE app2_book SET title = %s WHERE id = %s", [title, site.book])


def page(site, path, cookies=None):
    """GET a page as a client with these cookies (none: a client that has written nothing)."""
    status, _, body = site.server.get(path, headers={"Cookie": cookie_header(cookies)} if cookies else None)
    return status, body.decode()


def lagging_by(site, seconds):
    """Delay the standby's replay by `seconds`, and return once it has replayed a fresh commit.

    The standby measures its lag from the last commit it replayed, so a quiet primary would make the
    next write look late at once; a commit replayed just now keeps the estimate to the real delay.
    """
    site.cluster.delay_replay(seconds)
    with site.cluster.connect(site.cluster.primary_port, "books") as primary:
        primary.execute("UPDATE app2_author SET name = name WHERE id = %s", [site.author])
        (written,) = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
    with site.cluster.connect(site.cluster.standby_port, "books") as standby:
        replayed = "SELECT pg_last_wal_replay_lsn() >= %s"
        assert wait_until(lambda: standby.execute(replayed, [written]).fetchone()[0], seconds + 10)
    warm_up(site)


def warm_up(site):
    """Let each gunicorn worker ask the primary and the replica (once a second): a process judges a
    replica's staleness from positions it read on the primary, and one that has read none trusts no replica."""
    for _ in range(12):
        page(site, "/books/")
        time.sleep(0.1)


def wait_until(condition, seconds):
    """Poll condition() every 0.1 s; return how long it took to hold, or None if it never did."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def test_the_pitfall_a_replica_read_right_after_a_write_returns_the_old_data(site):
    lagging_by(site, DELAY)
    retitle_on_the_primary(site, "The Dispossessed, revised")
    assert title_on(site.cluster, site.cluster.primary_port, site.book) == "The Dispossessed, revised"
    assert title_on(site.cluster, site.cluster.standby_port, site.book) == "The Dispossessed"  # stale
    # Through the site, a client that wrote nothing reads the replica: the old title, until replayed.
    assert "The Dispossessed, revised" not in page(site, f"/books/{site.book}/")[1]
    assert wait_until(lambda: "The Dispossessed, revised" in page(site, f"/books/{site.book}/")[1], 10)


def test_the_writer_reads_their_write_at_once_and_others_once_the_replica_replays_it(site):
    lagging_by(site, DELAY)
    status, _, form = exchange(
        site.server.connection(), "GET", "/admin/app2/book/add/", headers={"Cookie": cookie_header(site.admin)}
    )
    assert status == 200
    title = f"Written at {time.time():.3f}"
    fields = {"title": title, "isbn": isbn13(int(time.time() * 1000) % 10**9, prefix="979"), "authors": [site.author]}
    send = partial(exchange, site.server.connection())
    token = CSRF_INPUT.search(form).group(1).decode()
    status, headers, _ = post_form(
        send, "/admin/app2/book/add/", {**fields, "_save": "Save"}, cookies=site.admin, token=token
    )
    assert status == 302
    writer = {**site.admin, **response_cookies(headers)}
    assert "replica_lsn" in writer  # the primary's position after the write, signed
    with site.cluster.connect(site.cluster.primary_port, "books") as primary:
        (book,) = primary.execute("SELECT id FROM app2_book WHERE title = %s", [title]).fetchone()
    assert title_on(site.cluster, site.cluster.standby_port, book) is None  # not replayed yet

    # The writer sees the new book at once: the admin's list and the public page, from the primary.
    assert title in page(site, "/admin/app2/book/", writer)[1]
    status, body = page(site, f"/books/{book}/", writer)
    assert (status, title in body) == (200, True)
    # Another client reads the replica, which has not replayed the write: no such book yet.
    assert page(site, f"/books/{book}/")[0] == 404
    # Once the replica has replayed it, everyone sees it.
    assert wait_until(lambda: page(site, f"/books/{book}/")[0] == 200, 10)


def test_a_replica_past_the_lag_bound_is_skipped(site):
    site.cluster.delay_replay(MAX_LAG * 3)
    retitle_on_the_primary(site, "Lagging behind")
    time.sleep(MAX_LAG + 1.5)  # past the bound, and past the cached status's second
    assert title_on(site.cluster, site.cluster.standby_port, site.book) != "Lagging behind"  # still behind
    assert "Lagging behind" in page(site, f"/books/{site.book}/")[1]  # so the primary served it
    site.cluster.delay_replay(0)
    assert wait_until(lambda: title_on(site.cluster, site.cluster.standby_port, site.book) == "Lagging behind", 10)


def test_a_stopped_replica_costs_no_request_and_serves_again_once_back(site):
    site.cluster.delay_replay(0)
    statuses, stop = Counter(), threading.Event()

    def read_books():
        connection = site.server.connection()
        while not stop.is_set():
            for path in ("/books/", f"/books/{site.book}/"):
                try:
                    statuses[exchange(connection, "GET", path)[0]] += 1
                except OSError:
                    statuses["no answer"] += 1
                    connection.close()

    readers = [threading.Thread(target=read_books, daemon=True) for _ in range(3)]
    for reader in readers:
        reader.start()
    time.sleep(1)
    site.cluster.stop_standby()
    time.sleep(2)
    health_status, _, health = site.server.get("/health/")
    time.sleep(1)
    stop.set()
    for reader in readers:
        reader.join(timeout=10)

    assert set(statuses) == {200}, statuses
    assert statuses[200] > 20
    assert health_status == 200
    assert re.search(rb'"status": "degraded".*"degraded": \["app2_replica"\]', health)

    site.cluster.start_standby()
    lagging_by(site, DELAY)
    # Back on the replica without a restart: a client that wrote nothing reads stale data again.
    retitle_on_the_primary(site, f"Back at {time.time():.3f}")

    def served_stale():
        retitle_on_the_primary(site, f"Back at {time.time():.3f}")
        return title_on(site.cluster, site.cluster.primary_port, site.book) not in page(site, f"/books/{site.book}/")[1]

    assert wait_until(served_stale, 15)


def test_the_commands_know_the_replica(site):
    """routes lists it, migrate_all leaves it out, and migrate on it finds nothing to do."""
    routes = json.loads(checked(manage("routes", "--format", "json", env=site.env), "routes"))
    book = next(row for row in routes if row["model"] == "app2.Book")
    assert (book["read"], book["replicas"], book["write"], book["migrate"]) == (
        "app2",
        ["app2_replica"],
        "app2",
        ["app2"],
    )
    assert "Skipping 'app2_replica' (PostgreSQL at 127.0.0.1:" in checked(
        manage("migrate_all", "--check", env=site.env), ""
    )
    migrated = checked(
        manage("migrate", "--database=app2_replica", "--noinput", env=site.env), "migrate on the replica"
    )
    assert "No migrations to apply." in migrated
    assert "System check identified no issues" in checked(manage("check", env=site.env), "check")
