"""Fault drill: cut MySQL, PostgreSQL, then its replica off under a steady mixed load; hammer SQLite; lose nothing.

    python -m tests.load.drill                       # or: make drill
    python -m tests.load.drill --phase-seconds 5

One production gunicorn (config/gunicorn.py, sync workers) on 127.0.0.1 reaches MySQL and PostgreSQL
through TcpProxy instances (tests/support/proxy.py). Stopping a proxy refuses new connections and
cuts the open ones, which is what the application sees when a server dies; starting it again on the
same port is the server coming back. Python threads keep a mixed load going through every phase:
page reads on all three databases, admin writes (films, books with authors), admin logins (sessions
on SQLite) and /health/. Afterwards every acknowledged write (302) is looked up on its server over a
direct connection, not through the proxy. Uses its own databases: films_drill on MySQL,
var/drill/users.sqlite3, and books_drill on a private PostgreSQL primary with a streaming standby
(tests/support/replica.py), built for the run and removed afterwards. The checks are in
drill_checks.py; exits 1 when one fails.
"""

import argparse
import contextlib
import http.client
import json
import random
import re
import sqlite3
import sys
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import MySQLdb
import psycopg

from app2.validators import isbn13
from tests.load import stack
from tests.load.drill_checks import OUTAGES, RECOVERY_WITHIN, Ack, Record, print_report, summarize
from tests.support.databases import server_address, via
from tests.support.gunicorn import Gunicorn
from tests.support.http import admin_login, cookie_header, exchange, post_form
from tests.support.processes import checked, manage, module_json
from tests.support.proxy import TcpProxy
from tests.support.replica import PostgresCluster

NAMED = re.compile(r"Database &#x27;(\w+)&#x27;")
LOGIN_KINDS = {"GET": "login page", "POST": "login"}  # the form, then the credentials


@dataclass
class Load:
    """The shared state of the load threads."""

    server: Gunicorn
    films: list
    books: list
    directors: list
    authors: list
    run: str
    cookies: dict
    phase: str = "steady"
    stop: threading.Event = field(default_factory=threading.Event)
    records: list = field(default_factory=list)
    acks: list = field(default_factory=list)
    attempts: list = field(default_factory=list)  # (kind, key) of every write tried, acknowledged or not
    logins_wanted: int = 1
    counter: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_number(self):
        with self.lock:
            self.counter += 1
            return self.counter


def request(load, connection, kind, method, path, *, body=None, headers=None):
    """Send one request, record it; return (status, response headers, body), (0, None, b"") for no answer."""
    phase = load.phase
    started = time.monotonic()
    try:
        status, response_headers, content = exchange(connection, method, path, body=body, headers=headers)
    except (OSError, http.client.HTTPException) as exc:
        connection.close()
        status, response_headers, content = 0, None, b""
        path = f"{path} {exc!r}"
    named = ()
    if kind == "health" and status in (200, 503):  # down when 503, else degraded (a replica)
        body = json.loads(content)
        named = tuple(body.get("unavailable" if status == 503 else "degraded", ()))
    elif status == 503:
        named = tuple(NAMED.findall(content.decode(errors="replace")))
    load.records.append(Record(phase, kind, status, started, time.monotonic() - started, named, path))
    return status, response_headers, content


def logged_in(load):
    """A connection (http.client reopens it when gunicorn closes it) and the admin session all threads share."""
    return load.server.connection(), load.cookies


def reader(load, seed):
    """Read pages on every database: films (MySQL), books (PostgreSQL), the admin index (SQLite)."""
    rng = random.Random(seed)  # noqa: S311 - load pattern, not secrets
    connection, cookies = logged_in(load)
    cookie = {"Cookie": cookie_header(cookies)}
    while not load.stop.is_set():
        request(load, connection, "film read", "GET", rng.choice(["/films/", f"/films/{rng.choice(load.films)}/"]))
        request(load, connection, "book read", "GET", rng.choice(["/books/", f"/books/{rng.choice(load.books)}/"]))
        request(load, connection, "user read", "GET", "/admin/", headers=cookie)  # session and user on SQLite


def form_post(load, connection, cookies, kind, path, fields):
    """POST an admin add form (the CSRF token is the cookie's) and record it; return the status."""
    send = partial(request, load, connection, kind)
    return post_form(send, path, {**fields, "_save": "Save"}, cookies=cookies, token=cookies["csrftoken"])[0]


def film_writer(load, seed):
    """Add films through the admin, each with a unique title; remember the acknowledged ones."""
    rng = random.Random(seed)  # noqa: S311
    connection, cookies = logged_in(load)
    while not load.stop.is_set():
        title = f"drill {load.run} film {load.next_number()}"
        phase = load.phase
        load.attempts.append(("film", title))
        fields = {"title": title, "director": rng.choice(load.directors), "year": rng.randint(1950, 2020)}
        status = form_post(load, connection, cookies, "film write", "/admin/app1/film/add/", fields)
        if status == 302:
            load.acks.append(Ack(phase, "film", title))
        time.sleep(0.05)


def book_writer(load, seed):
    """Add books with one to three authors through the admin; remember the acknowledged ones."""
    rng = random.Random(f"{load.run}-{seed}")  # noqa: S311 - per run, so ISBNs do not repeat across runs
    connection, cookies = logged_in(load)
    while not load.stop.is_set():
        number = load.next_number()
        title = f"drill {load.run} book {number}"
        authors = frozenset(rng.sample(load.authors, k=min(len(load.authors), rng.randint(1, 3))))
        phase = load.phase
        load.attempts.append(("book", title))
        fields = {
            "title": title,
            "isbn": isbn13(rng.randrange(10**9), prefix="979"),  # never the seed's 978 range
            "authors": sorted(authors),
        }
        status = form_post(load, connection, cookies, "book write", "/admin/app2/book/add/", fields)
        if status == 302:
            load.acks.append(Ack(phase, "book", title, authors))
        time.sleep(0.05)


def login_worker(load, number):
    """Log in through the admin form: a new session row and last_login on SQLite, PBKDF2 and all.

    Only the first `load.logins_wanted` workers run: one, gently, until the SQLite phase wants many.
    """
    connection = load.server.connection()

    def send(method, path, **options):
        return request(load, connection, LOGIN_KINDS[method], method, path, **options)

    while not load.stop.is_set():
        if number >= load.logins_wanted:
            time.sleep(0.1)
            continue
        phase = load.phase
        status, cookies = admin_login(send, stack.ADMIN_USERNAME, stack.ADMIN_PASSWORD)
        if status == 302 and (session := cookies.get("sessionid")):
            load.acks.append(Ack(phase, "session", session))
        if status != 302:
            time.sleep(0.2)  # no form or no login: do not spin on a server that fails
        elif load.logins_wanted == 1:
            time.sleep(0.3)


def health_poller(load):
    connection = load.server.connection()
    while not load.stop.is_set():
        request(load, connection, "health", "GET", "/health/")
        time.sleep(0.25)


# Setup ----------------------------------------------------------------------------------------


def mysql_connect(url):
    host, port, user, password, name = server_address(url)
    return MySQLdb.connect(host=host, port=port or 3306, user=user, password=password, database=name, charset="utf8mb4")


def postgres_connect(url):
    host, port, user, password, name = server_address(url)
    return psycopg.connect(host=host, port=port or 5432, user=user, password=password or None, dbname=name)


def ids(connection, table, limit=50):
    with contextlib.closing(connection.cursor()) as cursor:
        cursor.execute(f"SELECT id FROM {table} ORDER BY id LIMIT {int(limit)}")  # noqa: S608 - fixed table names
        return [row[0] for row in cursor.fetchall()]


def set_up(env, app1_url, app2_url, *, collectstatic=True):
    """Create, migrate and seed the drill databases; create the admin; return ids to read and write with."""
    stack.prepare(env, collectstatic=collectstatic)
    seed = threading.Thread(
        target=lambda: checked(manage("seed", "--users", "5", "--films", "60", "--books", "60", env=env), "seed")
    )
    seed.start()
    stack.create_admin(env)  # side by side with the seed: SQLite queues the two writers
    seed.join(timeout=120)
    with contextlib.closing(mysql_connect(app1_url)) as mysql, contextlib.closing(postgres_connect(app2_url)) as pg:
        return {
            "films": ids(mysql, "app1_film"),
            "directors": ids(mysql, "app1_director"),
            "books": ids(pg, "app2_book"),
            "authors": ids(pg, "app2_author"),
        }


# The run --------------------------------------------------------------------------------------


def recovered_after(load, kind, since, deadline):
    """Wait until a `kind` request started after `since` answers 2xx; return the seconds it took, or None."""
    while time.monotonic() < deadline:
        for record in list(load.records):
            if record.kind == kind and record.started >= since and 200 <= record.status < 300:
                return record.started + record.latency - since
        time.sleep(0.05)
    return None


def wait_for(condition, deadline, *, since):
    """Poll condition until it holds; return the seconds since `since`, or None at the deadline."""
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic() - since
        time.sleep(0.05)
    return None


def sqlite_writers(env, processes, transactions):
    """tests/load/sqlite_writers.py on the drill's SQLite file, beside gunicorn's own writers."""
    arguments = ("--processes", str(processes), "--transactions", str(transactions))
    return module_json("tests.load.sqlite_writers", *arguments, env=env, timeout=180)


def start_load(server, data, *, readers, logins):
    """Log the admin in and start the load threads; return their shared state and the threads."""
    load = Load(server=server, run=uuid.uuid4().hex[:8], cookies=stack.admin_cookies(server), **data)
    targets = [(reader, (load, n)) for n in range(readers)]
    targets += [(film_writer, (load, 1)), (book_writer, (load, 2)), (health_poller, (load,))]
    targets += [(login_worker, (load, n)) for n in range(logins)]
    threads = [threading.Thread(target=target, args=args, daemon=True) for target, args in targets]
    for thread in threads:
        thread.start()
    return load, threads


def cut_off(load, proxies, outage, phase_seconds, log):
    """Run the outage's down and back phases; return the outage window and the seconds it took to recover."""
    cut = [proxies[alias] for alias in outage.proxies]
    for proxy in cut:
        proxy.stop()
    cut_at = time.monotonic()
    load.phase = outage.down
    log(f"{outage.down}: proxies to {', '.join(outage.proxies)} stopped")
    time.sleep(phase_seconds)
    # The outage is [cut, restore): a request still queued in gunicorn's backlog when the
    # proxy comes back is served by a live database, and must not count as "down".
    window = (cut_at, time.monotonic())
    connected = cut[0].connections
    for proxy in cut:
        proxy.start()
    restarted = time.monotonic()
    load.phase = outage.back
    deadline = restarted + RECOVERY_WITHIN + 1
    if outage.replica:  # its pages never failed: recovered once a worker connects to it again
        recovery = wait_for(lambda: cut[0].connections > connected, deadline, since=restarted)
    else:
        recovery = recovered_after(load, outage.lost, restarted, deadline)
    back = "a worker connected to it again" if outage.replica else "pages answered 200"
    log(f"{outage.back}: proxy to {outage.alias} listening again; {back} after {recovery} s")
    time.sleep(max(0.0, phase_seconds - (time.monotonic() - restarted)))
    return window, recovery


def run_drill(*, phase_seconds, sqlite_path, app1_url, workers=2, readers=2, logins=4, static_root=None, log=print):
    """Run every phase under load; return the records, acknowledged writes, what was found, and the checks.

    app2 runs on a private PostgreSQL primary with a streaming standby (tests/support/replica.py),
    built for the run and removed afterwards. static_root: files collected already with the
    production settings (the tests share one copy).
    """
    cluster = PostgresCluster().start()
    try:
        return drill_on(cluster, phase_seconds, sqlite_path, app1_url, workers, readers, logins, static_root, log)
    finally:
        cluster.stop()


def drill_on(cluster, phase_seconds, sqlite_path, app1_url, workers, readers, logins, static_root, log):
    """run_drill's body, once app2's primary and standby are up."""
    app2_url, replica_url = (cluster.url(port, "books_drill") for port in (cluster.primary_port, cluster.standby_port))
    overrides = {"DJANGO_STATIC_ROOT": str(static_root)} if static_root else {}
    env = stack.production_env(sqlite_path=sqlite_path, app1_url=app1_url, app2_url=app2_url, **overrides)
    started = time.monotonic()
    data = set_up(env, app1_url, app2_url, collectstatic=not static_root)
    log(f"set up in {time.monotonic() - started:.1f} s")
    urls = {"app1": app1_url, "app2": app2_url, "app2_replica": replica_url}
    proxies = {alias: TcpProxy(*server_address(url)[:2]) for alias, url in urls.items()}
    proxied = {
        **env,
        "APP1_DATABASE_URL": via(app1_url, proxies["app1"].port),
        "APP2_DATABASE_URL": via(app2_url, proxies["app2"].port),
        "APP2_REPLICA_URLS": via(replica_url, proxies["app2_replica"].port),
    }
    windows, recovery = {}, {}
    log_path = Path(sqlite_path).parent / "gunicorn-drill.log"
    try:
        with Gunicorn(proxied, log_path=log_path, workers=workers) as server:
            load, threads = start_load(server, data, readers=readers, logins=logins)
            time.sleep(phase_seconds)
            for outage in OUTAGES:
                windows[outage.alias], recovery[outage.alias] = cut_off(load, proxies, outage, phase_seconds, log)
            load.phase = "sqlite writers"
            load.logins_wanted = logins
            log(f"sqlite writers: {logins} login threads and tests/load/sqlite_writers.py on the same file")
            writers_result = sqlite_writers(env, processes=4, transactions=max(10, int(20 * phase_seconds)))
            time.sleep(max(0.0, phase_seconds - 1))
            load.stop.set()
            for thread in threads:
                thread.join(timeout=15)
    finally:
        for proxy in proxies.values():
            proxy.stop()
    found = verify(load, app1_url, app2_url, sqlite_path)
    locked_in_log = log_path.read_text().count("database is locked")
    return summarize(load, found, recovery, windows, writers_result, locked_in_log)


# Afterwards -----------------------------------------------------------------------------------


def verify(load, app1_url, app2_url, sqlite_path):
    """Look every write of this run up on its server, directly (not through the proxies)."""
    pattern = f"drill {load.run} %"
    with contextlib.closing(mysql_connect(app1_url)) as mysql, contextlib.closing(mysql.cursor()) as cursor:
        cursor.execute("SELECT title FROM app1_film WHERE title LIKE %s", [pattern])
        films = {row[0] for row in cursor.fetchall()}
    with contextlib.closing(postgres_connect(app2_url)) as pg:
        rows = pg.execute(
            "SELECT b.title, ba.author_id FROM app2_book b LEFT JOIN app2_book_authors ba ON ba.book_id = b.id "
            "WHERE b.title LIKE %s",
            [pattern],
        ).fetchall()
    books = defaultdict(set)
    for title, author in rows:
        if author is not None:
            books[title].add(author)
        else:
            books.setdefault(title, set())
    with contextlib.closing(sqlite3.connect(sqlite_path)) as sqlite:
        sessions = {row[0] for row in sqlite.execute("SELECT session_key FROM django_session")}
    return {"film": films, "book": dict(books), "session": sessions}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase-seconds", type=float, default=8, help="seconds of load per phase (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2, as shipped)")
    parser.add_argument("--readers", type=int, default=2, help="reading threads (default 2)")
    parser.add_argument("--logins", type=int, default=4, help="login threads in the SQLite phase (default 4)")
    stack.add_database_arguments(parser, "drill", app2=False)  # app2: a private primary and standby
    args = parser.parse_args(argv)
    stack.exit_on_sigterm()
    print(f"Drill {time.strftime('%Y-%m-%d %H:%M %Z')}: {args.phase_seconds:g} s per phase, {args.workers} workers")
    result = run_drill(
        phase_seconds=args.phase_seconds,
        sqlite_path=args.sqlite,
        app1_url=args.app1_url,
        workers=args.workers,
        readers=args.readers,
        logins=args.logins,
    )
    print()
    print_report(result)
    return 0 if all(check["ok"] for check in result["checks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
