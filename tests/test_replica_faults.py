"""The replica promises under the faults that broke them: ordinary views against a real primary and standby.

The test site (tests/consistency/) serves the production settings plus views that read and write
the ways ordinary Django views do: a generic UpdateView, raw SQL, a streaming response, a GET that
writes. Each test puts the standby in one fault and shows the promise that fault used to break.
The tests run in file order: the last one promotes the standby.
"""

import json
import time
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.db import connections

from tests.support.databases import database_url, drop_database, recreate_database, throwaway_name
from tests.support.gunicorn import Gunicorn
from tests.support.http import cookie_header, exchange, response_cookies
from tests.support.processes import checked, manage
from tests.support.replica import PostgresCluster, site_environ

MAX_LAG = 3  # DB_REPLICA_MAX_LAG for this site, seconds
DELAY = 2  # recovery_min_apply_delay while a test needs a stale replica: inside MAX_LAG
SETUP = """
from app1.models import Director
from tests.consistency.models import Register
print(Register.objects.create().pk, Director.objects.create(name="Counter", birth_year=1000).pk)
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
    """The test site under gunicorn (2 workers) on the private primary and standby, MySQL and SQLite."""
    tmp = tmp_path_factory.mktemp("replica-faults")
    films = throwaway_name("app1", "faults")
    env = site_environ(
        cluster,
        settings="tests.consistency.settings",
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
        register, director = checked(manage("shell", "--no-imports", "-c", SETUP, env=env), "setup").split()
        with Gunicorn(env, log_path=tmp / "gunicorn.log", workers=2) as server:
            yield SimpleNamespace(
                server=server, cluster=cluster, films=films, register=int(register), director=int(director)
            )
    finally:
        with django_db_blocker.unblock():
            drop_database("app1", films)


class Client:
    """One browser: its own cookies, sent back on every request."""

    def __init__(self, site):
        self.site, self.cookies = site, {}

    def send(self, method, path, fields=None):
        """Return (status, JSON body or None)."""
        headers = {"Cookie": cookie_header(self.cookies)} if self.cookies else {}
        body = None
        if fields is not None:
            body, headers["Content-Type"] = urlencode(fields), "application/x-www-form-urlencoded"
        connection = self.site.server.connection()
        try:
            status, response_headers, raw = exchange(connection, method, path, body=body, headers=headers)
        finally:
            connection.close()
        self.cookies.update(response_cookies(response_headers))
        return status, json.loads(raw) if raw.startswith(b"{") else None

    def read(self, suffix=""):
        status, row = self.send("GET", f"/registers/{self.site.register}/{suffix}")
        assert status == 200, (status, row)
        return row


def on(site, port, sql, params=()):
    """Run SQL on one server of the cluster; return the first row, if any."""
    with site.cluster.connect(port, "books") as connection:
        cursor = connection.execute(sql, params)
        return cursor.fetchone() if cursor.description else None


def version_on(site, port):
    return on(site, port, "SELECT version FROM consistency_register WHERE id = %s", [site.register])[0]


def bump_on_the_primary(site):
    """Another process's committed write: the register's next version, on the primary."""
    sql = "UPDATE consistency_register SET version = version + 1 WHERE id = %s RETURNING version"
    return on(site, site.cluster.primary_port, sql, [site.register])[0]


def settle(site, delay):
    """Delay the standby's replay, wait until it has replayed a fresh commit, and let both workers see it.

    A worker judges a replica from positions it read on the primary (once a second), so a worker
    that has read none yet trusts no replica; a dozen reads over 1.2 s reach both workers. Then
    every test starts with the replica serving (a worker leaves a failed one alone for 5 s).
    """
    site.cluster.delay_replay(delay)
    written = bump_on_the_primary(site)
    assert wait_until(lambda: version_on(site, site.cluster.standby_port) >= written, delay + 10)
    for _ in range(12):
        Client(site).read()
        time.sleep(0.1)
    assert wait_until(lambda: all(Client(site).read()["served_by"] == ["app2_replica"] for _ in range(4)), 10)


def wait_until(condition, seconds):
    """Poll condition() every 0.1 s; return True once it holds, False if it never did within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_the_standby_lags_so_a_client_that_wrote_nothing_reads_old_data(site):
    """The premise of every test below: through the site, a fresh client reads the stale replica."""
    settle(site, DELAY)
    written = bump_on_the_primary(site)
    row = Client(site).read()
    assert (row["version"], row["served_by"]) == (written - 1, ["app2_replica"])


def test_an_update_view_post_never_writes_replica_data_back(site):
    """UpdateView.post reads the row, then saves every column: read on the replica, it undid a newer write."""
    settle(site, DELAY)
    theirs = bump_on_the_primary(site)  # committed on the primary, not yet on the replica
    status, saved = Client(site).send("POST", f"/registers/{site.register}/edit/", {"value": 7})
    assert status == 200, saved
    assert saved["version"] == theirs + 1  # read from the primary: their version, plus one
    assert version_on(site, site.cluster.primary_port) == theirs + 1


@pytest.mark.parametrize(("method", "view"), [("POST", "raw"), ("GET", "touch")])
def test_a_raw_sql_write_is_read_back_in_the_same_request(site, method, view):
    """A POST reads the primary anyway; a GET that writes (a view counter) must be pinned by its write."""
    settle(site, DELAY)
    before = version_on(site, site.cluster.primary_port)
    fields = {"value": 3} if method == "POST" else None
    status, row = Client(site).send(method, f"/registers/{site.register}/{view}/", fields)
    assert (status, row["version"], row["served_by"]) == (200, before + 1, ["app2"])


def test_a_streaming_response_reads_the_clients_own_write(site):
    settle(site, DELAY)
    writer = Client(site)
    status, saved = writer.send("POST", f"/registers/{site.register}/edit/", {"value": 11})
    assert status == 200
    assert writer.read("stream/")["version"] == saved["version"]
    assert writer.read()["version"] == saved["version"]
    # Another client, with no position of its own, still reads the lagging replica.
    assert Client(site).read()["version"] < saved["version"]


@pytest.mark.parametrize("fault", ["streaming cut", "replay paused"])
def test_a_replica_that_stopped_replaying_serves_nothing_older_than_max_lag(site, fault):
    """Receive and replay positions stay equal when streaming stops: lag must be measured against the primary."""
    settle(site, 0)
    if fault == "streaming cut":
        site.cluster.cut_streaming()
    else:
        site.cluster.pause_replay()
    try:
        written = bump_on_the_primary(site)
        time.sleep(MAX_LAG + 1.5)  # past the bound, and past a second of cached status
        assert version_on(site, site.cluster.standby_port) < written  # the standby really is behind
        seen = [Client(site).read() for _ in range(10)]
        assert {(row["version"], tuple(row["served_by"])) for row in seen} == {(written, ("app2",))}
    finally:
        if fault == "streaming cut":
            site.cluster.restore_streaming()
        else:
            site.cluster.resume_replay()
    assert wait_until(lambda: version_on(site, site.cluster.standby_port) >= written, 20)


def test_the_recorded_position_covers_an_asynchronous_commit(site):
    """With synchronous_commit = off a commit is visible before the WAL holding it is written: the client's
    position must be the primary's insert position, which covers it, not pg_current_wal_lsn()."""
    settle(site, 0)
    primary = site.cluster.primary_port
    on(site, primary, "ALTER SYSTEM SET synchronous_commit = 'off'")
    on(site, primary, "ALTER SYSTEM SET wal_writer_delay = '10s'")
    on(site, primary, "SELECT pg_reload_conf()")
    try:
        # An asynchronous commit wakes a hibernating WAL writer, which then stays awake, sleeping
        # wal_writer_delay between rounds and woken early only by a full page of WAL.
        writer = Client(site)
        for _ in range(3):  # on a loaded machine the WAL may get written early: set the case up again
            bump_on_the_primary(site)
            time.sleep(0.5)  # the reload has reached the workers' open sessions too
            assert writer.send("POST", f"/registers/{site.register}/raw/", {"value": 5})[0] == 200
            time.sleep(1.5)  # both workers ask the standby again: it has replayed all that was written
            # The commit sits in the WAL buffers until the writer's next round: not yet written, so the
            # standby has replayed all that pg_current_wal_lsn() reports, but not the commit.
            if on(site, primary, "SELECT pg_current_wal_lsn() < pg_current_wal_insert_lsn()")[0]:
                break
        else:
            pytest.fail("three times the commit's WAL was written within 2 s: the case could not be set up")
        assert writer.read()["version"] == version_on(site, primary)
    finally:
        on(site, primary, "ALTER SYSTEM RESET synchronous_commit")
        on(site, primary, "ALTER SYSTEM RESET wal_writer_delay")
        on(site, primary, "SELECT pg_reload_conf()")


def test_a_stopped_standby_costs_no_request_and_a_get_that_wrote_runs_once(site):
    settle(site, 0)
    site.cluster.stop_standby()
    try:
        bumps = f"/registers/{site.register}/bump/?director={site.director}"
        answers = [Client(site).send("GET", bumps) for _ in range(6)]  # both workers meet the dead replica
        assert [status for status, _ in answers] == [200] * 6, answers
        assert [row["bumps"] for _, row in answers] == list(range(1001, 1007))  # no GET ran twice
        status, saved = Client(site).send("POST", f"/registers/{site.register}/edit/", {"value": 1})
        assert status == 200, saved
    finally:
        site.cluster.start_standby()


def test_a_promoted_standby_serves_nothing(site):
    """Last: a promoted standby diverges from the primary for good."""
    settle(site, 0)
    written = bump_on_the_primary(site)  # a commit replayed just now: the standby looks current
    assert wait_until(lambda: version_on(site, site.cluster.standby_port) >= written, 10)
    site.cluster.promote()
    on(site, site.cluster.standby_port, "UPDATE consistency_register SET value = -1 WHERE id = %s", [site.register])
    writer = Client(site)
    status, saved = writer.send("POST", f"/registers/{site.register}/edit/", {"value": 2})
    assert status == 200
    assert writer.read() == {**saved, "served_by": ["app2"]}
    time.sleep(1.5)  # one cached status at most: in that second, a client with no position may read it
    seen = [Client(site).read() for _ in range(10)]
    assert {(row["value"], tuple(row["served_by"])) for row in seen} == {(2, ("app2",))}
