"""Fault drill: cut MySQL, then PostgreSQL, off under a steady mixed load; hammer SQLite; lose nothing.

    python -m tests.load.drill                       # or: make drill
    python -m tests.load.drill --phase-seconds 5

One production gunicorn (config/gunicorn.py, sync workers) on 127.0.0.1 reaches MySQL and
PostgreSQL through TcpProxy instances (tests/deploy.py). Stopping a proxy refuses new connections
and cuts the open ones, which is what the application sees when a server dies; starting it again
on the same port is the server coming back. Python threads keep a mixed load going through every
phase: page reads on all three databases, admin writes (films, books with authors), admin logins
(sessions on SQLite) and /health/. Afterwards every acknowledged write (302) is looked up on its
server over a direct connection, not through the proxy. Uses its own databases (films_drill,
books_drill, var/drill/users.sqlite3), created by the script. Exits 1 when a check fails.
"""

import argparse
import contextlib
import http.client
import json
import random
import re
import signal
import sqlite3
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

import MySQLdb
import psycopg

from app2.validators import isbn13
from tests.deploy import BASE_DIR, TcpProxy, manage
from tests.load.stack import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CSRF_INPUT,
    Gunicorn,
    admin_login,
    checked,
    cookie_header,
    create_admin,
    module_json,
    prepare,
    production_env,
    response_cookies,
)

OUTAGE_503_WITHIN = 2.0  # seconds: a page on a database that is down answers 503 within this
RECOVERY_WITHIN = 10.0  # seconds: after the server is back, its pages answer 200 again within this
NAMED = re.compile(r"Database &#x27;(\w+)&#x27;")
# Which request kinds need which database (besides default, which every logged-in request reads).
KIND_ALIAS = {"film read": "app1", "film write": "app1", "book read": "app2", "book write": "app2"}
PHASES = ("steady", "mysql down", "mysql back", "postgres down", "postgres back", "sqlite writers")


@dataclass
class Record:
    phase: str
    kind: str
    status: int  # 0: no HTTP answer (connection error or timeout)
    started: float
    latency: float
    named: tuple = ()  # the aliases a 503 page or /health/ names as down
    detail: str = ""  # the path, and the exception when there was no answer


@dataclass
class Ack:
    """A write the server acknowledged, and what it should have stored."""

    phase: str
    kind: str  # film, book, session
    key: str  # title or session key
    authors: frozenset = frozenset()


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
    """Send one request, record it; return (status, response headers, body)."""
    phase = load.phase
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        content = response.read()
        status, response_headers = response.status, response.headers
    except (OSError, http.client.HTTPException) as exc:
        connection.close()
        status, response_headers, content = 0, None, b""
        path = f"{path} {exc!r}"
    named = ()
    if status == 503 and kind == "health":
        named = tuple(json.loads(content).get("unavailable", ()))
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
    """POST an admin form with the CSRF token; return the status."""
    headers = {"Cookie": cookie_header(cookies), "Content-Type": "application/x-www-form-urlencoded"}
    body = urlencode({"csrfmiddlewaretoken": cookies["csrftoken"], **fields, "_save": "Save"}, doseq=True)
    return request(load, connection, kind, "POST", path, body=body, headers=headers)


def film_writer(load, seed):
    """Add films through the admin, each with a unique title; remember the acknowledged ones."""
    rng = random.Random(seed)  # noqa: S311
    connection, cookies = logged_in(load)
    while not load.stop.is_set():
        title = f"drill {load.run} film {load.next_number()}"
        phase = load.phase
        load.attempts.append(("film", title))
        fields = {"title": title, "director": rng.choice(load.directors), "year": rng.randint(1950, 2020)}
        status = form_post(load, connection, cookies, "film write", "/admin/app1/film/add/", fields)[0]
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
        status = form_post(load, connection, cookies, "book write", "/admin/app2/book/add/", fields)[0]
        if status == 302:
            load.acks.append(Ack(phase, "book", title, authors))
        time.sleep(0.05)


def login_worker(load, number):
    """Log in through the admin form: a new session row and last_login on SQLite, PBKDF2 and all.

    Only the first `load.logins_wanted` workers run: one, gently, until the SQLite phase wants many.
    """
    connection = load.server.connection()
    while not load.stop.is_set():
        if number >= load.logins_wanted:
            time.sleep(0.1)
            continue
        phase = load.phase
        status, headers, page = request(load, connection, "login page", "GET", "/admin/login/")
        token = CSRF_INPUT.search(page)
        if status != 200 or not token:
            time.sleep(0.2)
            continue
        fields = {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "username": ADMIN_USERNAME,
            "password": ADMIN_PASSWORD,
        }
        status, headers, _ = request(
            load,
            connection,
            "login",
            "POST",
            "/admin/login/",
            body=urlencode(fields),
            headers={
                "Cookie": cookie_header(response_cookies(headers)),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        if status == 302 and (session := response_cookies(headers).get("sessionid")):
            load.acks.append(Ack(phase, "session", session))
        if load.logins_wanted == 1:
            time.sleep(0.3)


def health_poller(load):
    connection = load.server.connection()
    while not load.stop.is_set():
        request(load, connection, "health", "GET", "/health/")
        time.sleep(0.25)


# Setup ----------------------------------------------------------------------------------------


def server_address(url):
    """(host, port, user, password, database name) of a mysql:// or postgres:// URL."""
    parts = urlsplit(url)
    return parts.hostname, parts.port, unquote(parts.username or ""), unquote(parts.password or ""), parts.path[1:]


def via(url, proxy):
    """The same database URL, reached through the proxy on 127.0.0.1."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    return parts._replace(netloc=f"{credentials}@127.0.0.1:{proxy.port}").geturl()


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
    prepare(env, collectstatic=collectstatic)
    seed = threading.Thread(
        target=lambda: checked(manage("seed", "--users", "5", "--films", "60", "--books", "60", env=env), "seed")
    )
    seed.start()
    create_admin(env)  # side by side with the seed: SQLite queues the two writers
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


def sqlite_writers(env, processes, transactions):
    """tests/load/sqlite_writers.py on the drill's SQLite file, beside gunicorn's own writers."""
    arguments = ("--processes", str(processes), "--transactions", str(transactions))
    return module_json("tests.load.sqlite_writers", *arguments, env=env, timeout=180)


def run_drill(
    *, phase_seconds, sqlite_path, app1_url, app2_url, workers=2, readers=2, logins=4, static_root=None, log=print
):
    """Run every phase under load; return the records, acknowledged writes, what was found, and the checks.

    static_root: files collected already with the production settings (the tests share one copy).
    """
    overrides = {"DJANGO_STATIC_ROOT": str(static_root)} if static_root else {}
    env = production_env(sqlite_path=sqlite_path, app1_url=app1_url, app2_url=app2_url, **overrides)
    started = time.monotonic()
    data = set_up(env, app1_url, app2_url, collectstatic=not static_root)
    log(f"set up in {time.monotonic() - started:.1f} s")
    proxies = {alias: TcpProxy(*server_address(url)[:2]) for alias, url in (("app1", app1_url), ("app2", app2_url))}
    proxied = {**env, "APP1_DATABASE_URL": via(app1_url, proxies["app1"])}
    proxied["APP2_DATABASE_URL"] = via(app2_url, proxies["app2"])
    recovery, outage, writers_result = {}, {}, {}
    log_path = Path(sqlite_path).parent / "gunicorn-drill.log"
    threads = []
    try:
        with Gunicorn(proxied, log_path=log_path, workers=workers) as server:
            connection = server.connection()
            status, cookies = admin_login(connection)
            connection.close()
            if status != 302:
                raise RuntimeError(f"admin login answered {status}, not 302")
            load = Load(server=server, run=uuid.uuid4().hex[:8], cookies=cookies, **data)
            targets = [(reader, (load, n)) for n in range(readers)]
            targets += [(film_writer, (load, 1)), (book_writer, (load, 2)), (health_poller, (load,))]
            targets += [(login_worker, (load, n)) for n in range(logins)]
            threads = [threading.Thread(target=target, args=args, daemon=True) for target, args in targets]
            for thread in threads:
                thread.start()
            time.sleep(phase_seconds)
            for alias, down, back in (("app1", "mysql down", "mysql back"), ("app2", "postgres down", "postgres back")):
                kind = "film read" if alias == "app1" else "book read"
                proxies[alias].stop()
                cut_at = time.monotonic()
                load.phase = down
                log(f"{down}: proxy to {alias} stopped")
                time.sleep(phase_seconds)
                # The outage is [cut, restore): a request still queued in gunicorn's backlog when the
                # proxy comes back is served by a live database, and must not count as "down".
                outage[alias] = (cut_at, time.monotonic())
                proxies[alias].start()
                restarted = time.monotonic()
                load.phase = back
                recovery[alias] = recovered_after(load, kind, restarted, restarted + RECOVERY_WITHIN + 1)
                log(f"{back}: proxy to {alias} listening again; pages answered 200 after {recovery[alias]} s")
                time.sleep(max(0.0, phase_seconds - (time.monotonic() - restarted)))
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
    return summarize(load, found, recovery, outage, writers_result, locked_in_log)


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


def is_success(record):
    wanted = 302 if record.kind in {"login", "film write", "book write"} else 200
    return record.status == wanted


def summarize(load, found, recovery, outage, writers_result, locked_in_log):
    """Build the per-phase table and the checks from the records."""
    table = []
    for phase in PHASES:
        records = [r for r in load.records if r.phase == phase]
        acks = [a for a in load.acks if a.phase == phase]
        table.append(
            {
                "phase": phase,
                "requests": len(records),
                "successes": sum(map(is_success, records)),
                "503s": sum(r.status == 503 for r in records),
                "other errors": sum(not is_success(r) and r.status != 503 for r in records),
                "max latency s": round(max((r.latency for r in records), default=0), 2),
                "acknowledged": len(acks),
                "found": sum(stored(a, found) for a in acks),
            }
        )
    lost = [a for a in load.acks if not stored(a, found)]
    acked = {(a.kind, a.key) for a in load.acks}
    unacknowledged_but_stored = sum((kind, key) not in acked and key in found[kind] for kind, key in load.attempts)
    checks = []

    def check(name, ok, detail=""):
        checks.append({"check": name, "ok": bool(ok), "detail": detail})

    for alias, down, back, lost_kind, kept_kind in (
        ("app1", "mysql down", "mysql back", "film read", "book read"),
        ("app2", "postgres down", "postgres back", "book read", "film read"),
    ):
        cut_at, restored_at = outage[alias]
        # Requests of the down phase answered while the path was still cut (see run_drill).
        records = [r for r in load.records if r.phase == down and r.started + r.latency < restored_at]
        # From the first 503 on, every page on the lost database is a 503 naming it; the first comes
        # within 2 s of the cut, and no answer takes longer than 2 s. Answers before the first 503
        # (requests already past their database when the path was cut) are counted in the detail.
        gone = sorted((r for r in records if r.kind == lost_kind), key=lambda r: r.started)
        # Latency counts for every request of the phase, answered before the restore or not.
        waited = [r for r in load.records if r.phase == down and r.kind == lost_kind]
        first = next((r for r in gone if r.status == 503 and alias in r.named), None)
        turned = first.started + first.latency - cut_at if first else None
        after = gone[gone.index(first) :] if first else []
        wrong = [r for r in after if r.status != 503 or alias not in r.named or r.latency > OUTAGE_503_WITHIN]
        check(
            f"{down}: {lost_kind.split()[0]} pages 503 naming {alias} within {OUTAGE_503_WITHIN:g} s, each answer too",
            first and turned <= OUTAGE_503_WITHIN and not wrong and slowest(waited) <= OUTAGE_503_WITHIN,
            f"{len(gone)} requests; first 503 {turned if turned is None else round(turned, 2)} s after the cut, "
            f"{len(gone) - len(after)} answered before it; {len(wrong)} not 503 after it {examples(wrong)}; "
            f"slowest {slowest(waited):.2f} s",
        )
        kept = [r for r in records if r.kind in {kept_kind, "user read", "login"}]
        failed = [r for r in kept if not is_success(r)]
        check(
            f"{down}: {kept_kind.split()[0]} pages, user pages and logins answer",
            kept and not failed,
            f"{len(kept)} requests, {len(failed)} failed",
        )
        health = [r for r in records if r.kind == "health"]
        check(
            f"{down}: /health/ names {alias} alone",
            health and all(r.status == 503 and r.named == (alias,) for r in health),
            f"{len(health)} requests {examples(r for r in health if r.status != 503 or r.named != (alias,))}",
        )
        seconds = recovery.get(alias)
        check(
            f"{back}: {lost_kind.split()[0]} pages 200 again within {RECOVERY_WITHIN:g} s, gunicorn not restarted",
            seconds is not None and seconds <= RECOVERY_WITHIN,
            f"after {seconds:.2f} s" if seconds is not None else "never",
        )
    locked = writers_result.get("locked", 0) + locked_in_log
    check(
        "sqlite writers: zero 'database is locked'",
        locked == 0 and writers_result.get("other_errors", 1) == 0,
        f"sqlite_writers {writers_result}; {locked_in_log} in gunicorn's log",
    )
    logins = [r for r in load.records if r.phase == "sqlite writers" and r.kind == "login"]
    check(
        "sqlite writers: every concurrent login answered 302",
        logins and all(is_success(r) for r in logins),
        f"{len(logins)} logins",
    )
    server_errors = [r for r in load.records if r.status >= 500 and r.status != 503]
    check(
        "no 500 anywhere",
        not server_errors,
        f"{len(server_errors)} responses {[(r.phase, r.kind, r.detail) for r in server_errors][:3] or ''}",
    )
    wrong_authors = [
        a for a in load.acks if a.kind == "book" and a.key in found["book"] and found["book"][a.key] != a.authors
    ]
    check("nothing acknowledged is lost", not lost, f"{len(load.acks)} acknowledged, {len(lost)} missing")
    check("no book half-written (authors exactly as posted)", not wrong_authors, f"{len(wrong_authors)} differ")
    return {
        "table": table,
        "checks": checks,
        "lost": len(lost),
        "locked": locked,
        "wrong_authors": len(wrong_authors),
        "unacknowledged_but_stored": unacknowledged_but_stored,
        "recovery": recovery,
        "sqlite_writers": writers_result,
        "records": load.records,
    }


def examples(records):
    """A few failed requests, to say what went wrong."""
    return [(r.status, r.named, r.detail, round(r.latency, 2)) for r in records][:3] or ""


def slowest(records):
    return max((record.latency for record in records), default=0)


def stored(ack, found):
    if ack.kind == "book":
        return ack.key in found["book"] and found["book"][ack.key] == ack.authors
    return ack.key in found[ack.kind]


def print_report(result):
    columns = ["phase", "requests", "successes", "503s", "other errors", "max latency s", "acknowledged", "found"]
    widths = [16, 9, 10, 6, 13, 14, 13, 6]
    print(" ".join(f"{c:>{w}}" if i else f"{c:<{w}}" for i, (c, w) in enumerate(zip(columns, widths, strict=True))))
    for row in result["table"]:
        cells = [row[c] for c in columns]
        print(" ".join(f"{v:>{w}}" if i else f"{v:<{w}}" for i, (v, w) in enumerate(zip(cells, widths, strict=True))))
    print(
        f"acknowledged = writes answered 302 (films, books, logins' sessions); found = of those, on their server "
        f"afterwards (books with exactly their authors). Stored without an acknowledgement: "
        f"{result['unacknowledged_but_stored']}."
    )
    failures = Counter((r.phase, r.kind, r.status) for r in result["records"] if not is_success(r) and r.status != 503)
    if failures:
        print("other errors (phase, kind, status): " + ", ".join(f"{k}: {n}" for k, n in failures.items()))
        print("no answer: " + "; ".join({r.detail for r in result["records"] if r.status == 0}))
    print()
    for check in result["checks"]:
        print(f"{'PASS' if check['ok'] else 'FAIL'}  {check['check']}: {check['detail']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase-seconds", type=float, default=8, help="seconds of load per phase (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2, as shipped)")
    parser.add_argument("--readers", type=int, default=2, help="reading threads (default 2)")
    parser.add_argument("--logins", type=int, default=4, help="login threads in the SQLite phase (default 4)")
    parser.add_argument("--app1-url", default="mysql://root@127.0.0.1:3306/films_drill")
    parser.add_argument("--app2-url", default="postgres://postgres@127.0.0.1:5432/books_drill")
    parser.add_argument("--sqlite", default=str(BASE_DIR / "var" / "drill" / "users.sqlite3"))
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(f"Drill {time.strftime('%Y-%m-%d %H:%M %Z')}: {args.phase_seconds:g} s per phase, {args.workers} workers")
    result = run_drill(
        phase_seconds=args.phase_seconds,
        sqlite_path=args.sqlite,
        app1_url=args.app1_url,
        app2_url=args.app2_url,
        workers=args.workers,
        readers=args.readers,
        logins=args.logins,
    )
    print()
    print_report(result)
    return 0 if all(check["ok"] for check in result["checks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
