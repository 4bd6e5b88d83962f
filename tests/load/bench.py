"""Benchmark the pages under the production gunicorn with wrk; print figures relative to the ceiling.

    python -m tests.load.bench                     # or: make bench
    python -m tests.load.bench --films 10000 --books 10000 --duration 3 --modes persistent

Uses its own databases (films_bench on MySQL, books_bench on PostgreSQL, var/bench/users.sqlite3),
creates and migrates them, and tops them up with `manage.py seed` (a one-time cost: later runs find
the rows there). Each connection mode gets its own gunicorn (config/gunicorn.py, production
settings, sync workers); wrk drives each page for --duration seconds on 127.0.0.1. The ceiling is
/health/live/, which touches no database: Django's own cost on this machine, measured in the same
run. The public pages are also driven, round by round, beside bare Django running the same queries
(tests/load/bare: no middleware, no templates): how much of each page's time is its queries.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.load import stack
from tests.support.gunicorn import Gunicorn
from tests.support.http import cookie_header
from tests.support.processes import checked, manage, module_json
from tests.support.replica import PostgresCluster

WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")
CEILING = "/health/live/"
BARE_SETTINGS = "tests.load.bare.settings"
# (label, path, logged in, target: the lowest ratio to the ceiling the page should reach)
PAGES = [
    ("ceiling: /health/live/", CEILING, False, None),
    ("home /", "/", False, 0.30),  # every database: each model's row count, or the server's estimate
    ("/films/", "/films/", False, 0.30),  # 25 films and their directors' names
    ("film detail", "/films/{film}/", False, 0.45),  # a one-row lookup, and its user on default
    ("/books/", "/books/", False, 0.25),  # 25 books and their authors' names
    ("book detail", "/books/{book}/", False, 0.40),
    ("/health/", "/health/", False, None),  # a new connection to every server, by design
    ("admin films changelist", "/admin/app1/film/", True, None),
    ("admin books changelist", "/admin/app2/book/", True, None),
]
# Connection handling compared, each with its own gunicorn: the environment differs, nothing else.
MODES = {
    "persistent": {},  # shipped: CONN_MAX_AGE=60 and CONN_HEALTH_CHECKS on every alias
    "pool": {"DB_POOL": "true"},  # PostgreSQL aliases on a psycopg pool (MySQL stays persistent)
    "none": {"CONN_MAX_AGE": "0"},  # a new connection per request on every alias
    "prepared": {"DB_PREPARED_STATEMENTS": "true"},  # PostgreSQL plans a repeated statement once per connection
}
ANALYZE = """
from django.db import connections
with connections["app1"].cursor() as cursor:
    cursor.execute("ANALYZE TABLE app1_director, app1_film")
    cursor.fetchall()
with connections["app2"].cursor() as cursor:
    cursor.execute("ANALYZE app2_author, app2_book, app2_book_authors")
"""


def machine():
    """One line naming the machine: cores, CPU model, memory, kernel, Python."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return (
        f"{os.cpu_count()} cores ({model}), {memory_kb / 1024 / 1024:.1f} GiB RAM, "
        f"Linux {platform.release()}, Python {platform.python_version()}"
    )


def wrk(url, *, duration, connections, threads, cookie=None):
    """Drive url with wrk; return the JSON line printed by wrk_report.lua."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(WRK_SCRIPT)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    result = subprocess.run([*command, url], capture_output=True, text=True, timeout=duration + 30, check=False)
    line = next((line for line in result.stdout.splitlines() if line.startswith("{")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed on {url}:\n{result.stdout}\n{result.stderr}")
    return json.loads(line)


def seed(env, *, users, films, books):
    """Top the bench databases up with `manage.py seed`, then refresh the servers' statistics."""
    started = time.perf_counter()
    output = checked(
        manage("seed", "--users", str(users), "--films", str(films), "--books", str(books), env=env, timeout=1800),
        "seed",
    )
    print(output.rstrip())
    checked(manage("shell", "--no-imports", "-c", ANALYZE, env=env), "ANALYZE")
    print(f"seed and ANALYZE: {time.perf_counter() - started:.1f} s")


def first_id(server, path, pattern):
    """Return the id of the first row a list page links to."""
    status, _, body = server.get(path)
    match = re.search(pattern, body.decode())
    if status != 200 or not match:
        raise RuntimeError(f"{path} answered {status} without a row to bench; is the database seeded?")
    return int(match.group(1))


def count_queries(env, pages):
    """Queries per request per alias for each page, counted in-process (tests/load/queries.py)."""
    anonymous = [path for _, path, logged_in, _ in pages if not logged_in]
    admin = [path for _, path, logged_in, _ in pages if logged_in]
    arguments = [*anonymous, "--admin", *admin, "--admin-username", stack.ADMIN_USERNAME]
    return module_json("tests.load.queries", *arguments, env=env, timeout=120)


def drive(server, path, args, *, duration, cookie=None):
    """Drive one page of a running gunicorn with wrk, as args say (connections, threads)."""
    return wrk(server.url + path, duration=duration, connections=args.connections, threads=args.threads, cookie=cookie)


def bench_pages(env, name, pages, args, log_dir):
    """Start gunicorn with env, log in, warm every page up, then drive the pages in turn, args.rounds times.

    A page's ratio is the median, over the rounds, of its req/s over the ceiling's in the same round:
    a shared VM's speed drifts during a run, so each page is compared with a ceiling measured
    minutes, not the whole run, before it.
    """
    with Gunicorn(env, log_path=log_dir / f"gunicorn-{name}.log", workers=args.workers) as server:
        cookie = cookie_header(stack.admin_cookies(server))
        for _, path, logged_in, _ in pages:
            # Warm-up: every worker loads the page's code and opens its connections.
            drive(server, path, args, duration=1, cookie=cookie if logged_in else None)
        rounds = [
            [
                drive(server, path, args, duration=args.duration, cookie=cookie if logged_in else None)
                for _, path, logged_in, _ in pages
            ]
            for _ in range(args.rounds)
        ]
    rows = []
    for index, (label, path, _, target) in enumerate(pages):
        runs = [round_[index] for round_ in rounds]
        ratios = [rate(run) / rate(round_[0]) for run, round_ in zip(runs, rounds, strict=True)]
        rows.append(
            {
                "label": label,
                "path": path,
                "target": target,
                "rps": sum(run["requests"] for run in runs) / sum(run["duration_us"] for run in runs) * 1e6,
                "ratio": statistics.median(ratios),
                "p50_us": statistics.median(run["p50_us"] for run in runs),
                "p99_us": max(run["p99_us"] for run in runs),
                **{key: sum(run[key] for run in runs) for key in ("non2xx", "socket_errors", "timeouts")},
            }
        )
    return rows


def bench_floor(env, pages, args, log_dir):
    """Drive each public page on the site, then on bare Django running its queries, args.rounds times.

    Both servers run side by side, with the shipped settings and tests/load/bare/settings.py: each
    page is driven on one, then at once on the other, so the pair shares the machine's state.
    """
    public = [page for page in pages if page[1] == CEILING or page[3] is not None]
    bare_env = {**env, "DJANGO_SETTINGS_MODULE": BARE_SETTINGS}
    with (
        Gunicorn(env, log_path=log_dir / "gunicorn-site.log", workers=args.workers) as site,
        Gunicorn(bare_env, log_path=log_dir / "gunicorn-bare.log", workers=args.workers) as bare,
    ):
        servers = (site, bare)
        for server in servers:
            for _, path, _, _ in public:
                drive(server, path, args, duration=1)  # warm-up
        rounds = [
            [[drive(server, path, args, duration=args.duration) for server in servers] for _, path, _, _ in public]
            for _ in range(args.rounds)
        ]
    rows = []
    for index, (label, _, _, target) in enumerate(public):
        pairs = [round_[index] for round_ in rounds]
        ceilings = [round_[0][0] for round_ in rounds]
        rows.append(
            {
                "label": label,
                "site": statistics.median(rate(site_run) * 1e6 for site_run, _ in pairs),
                "bare": statistics.median(rate(bare_run) * 1e6 for _, bare_run in pairs),
                "share": statistics.median(rate(site_run) / rate(bare_run) for site_run, bare_run in pairs),
                "target_rps": target and statistics.median(target * rate(ceiling) * 1e6 for ceiling in ceilings),
            }
        )
    return rows


def print_floor(rows):
    print("\nThe pages beside bare Django running the same queries (tests/load/bare; same rounds, req/s)")
    print(f"{'page':<24} {'site':>7} {'bare':>7} {'share':>6} {'target':>7}")
    for row in rows:
        target = row["target_rps"]
        verdict = ""
        if target:
            verdict = "  above bare Django: out of reach" if target > row["bare"] else "  within bare Django's reach"
        target_cell = f"{target:>7.0f}" if target else f"{'-':>7}"
        cells = f"{row['site']:>7.0f} {row['bare']:>7.0f} {row['share']:>6.2f} {target_cell}"
        print(f"{row['label']:<24} {cells}{verdict}")
    print(
        "share = site req/s / bare req/s, median of the rounds; target = the page's target ratio times the "
        "site's ceiling in req/s: a page whose target is above bare Django's cannot reach it with these queries."
    )


def rate(run):
    """Requests per microsecond in one wrk run."""
    return run["requests"] / run["duration_us"]


def print_mode(mode, rows, queries):
    print(f"\nConnections: {mode} ({describe_mode(mode)})")
    header = f"{'page':<24} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7} {'ratio':>6} {'target':>6}  queries"
    print(header)
    print("-" * (len(header) + 24))
    for row in rows:
        target = f"{row['target']:.2f}" if row["target"] else "-"
        verdict = "" if not row["target"] else (" " if row["ratio"] >= row["target"] else "!")
        counted = queries.get(row["path"], {})
        per_alias = " ".join(f"{alias} {counted.get(alias, '?')}" for alias in ("default", "app1", "app2"))
        errors = row["non2xx"] + row["socket_errors"] + row["timeouts"]
        print(
            f"{row['label']:<24} {row['rps']:>7.0f} {row['p50_us'] / 1000:>7.1f} {row['p99_us'] / 1000:>7.1f} "
            f"{errors:>7} {row['ratio']:>6.2f} {target:>6}{verdict} {per_alias}"
        )


def print_time_split(pages, queries):
    """Print where a request's time goes, per page: each alias's queries and Django's own work."""
    print("\nWhere a request's time goes (in-process, same settings and data; mean of 20 requests, ms)")
    print(f"{'page':<24} {'request':>8} {'default':>8} {'app1':>8} {'app2':>8} {'django':>8}")
    for label, path, *_ in pages:
        ms = queries.get(path, {}).get("ms")
        if ms:
            cells = (ms["request"], ms["default"], ms["app1"], ms["app2"], ms["django"])
            print(f"{label:<24}" + "".join(f" {value:>8.2f}" for value in cells))


def describe_mode(mode):
    return {
        "persistent": "shipped: CONN_MAX_AGE=60, CONN_HEALTH_CHECKS",
        "pool": "DB_POOL=true: psycopg pool for PostgreSQL, CONN_MAX_AGE=0 there; MySQL, SQLite persistent",
        "none": "CONN_MAX_AGE=0: a new connection on every request",
        "prepared": "DB_PREPARED_STATEMENTS=true: PostgreSQL aliases bind on the server, prepare repeated statements",
    }[mode]


def bench_replica(env, pages, args, log_dir):
    """Book pages on a private copy of books_bench, read from the primary alone, then through its standby.

    One machine gives a replica no capacity of its own: the figure is what the routing costs per
    request (the replica's status, asked once a second; the read-your-writes middleware).
    """
    cluster = PostgresCluster().start(standby=False)
    try:
        primary_url = cluster.url(cluster.primary_port, "books_bench")
        copy_database(cluster, env["APP2_DATABASE_URL"], primary_url)
        cluster.clone(cluster.root / "standby")
        replica_url = cluster.url(cluster.standby_port, "books_bench")
        book_pages = [page for page in pages if page[1] == CEILING or page[1].startswith("/books/")]
        results = {}
        for name, extra in (("primary only", {}), ("via replica", {"APP2_REPLICA_URLS": replica_url})):
            pages_env = {**env, "APP2_DATABASE_URL": primary_url, **extra}
            results[name] = bench_pages(pages_env, name.replace(" ", "-"), book_pages, args, log_dir)
    finally:
        cluster.stop()
    print("\nBooks read through a streaming replica (a private primary with a copy of books_bench, and its standby)")
    print_comparison(results, "how app2 is read")


def copy_database(cluster, source_url, target_url):
    """Copy a PostgreSQL database into the private primary with pg_dump | pg_restore (the cluster's own binaries)."""
    target = target_url.rsplit("/", 1)
    with cluster.connect(cluster.primary_port) as primary:
        primary.execute(f"CREATE DATABASE {target[1]}")
    dump = subprocess.Popen([str(cluster.bin / "pg_dump"), "--format=custom", source_url], stdout=subprocess.PIPE)
    restore = subprocess.run(
        [str(cluster.bin / "pg_restore"), "--no-owner", f"--dbname={target_url}"],
        stdin=dump.stdout,
        capture_output=True,
        timeout=600,
        check=False,
    )
    dump.stdout.close()
    if dump.wait(timeout=60) != 0 or restore.returncode != 0:
        raise RuntimeError(f"copying {source_url} failed: {restore.stderr.decode(errors='replace')}")
    with cluster.connect(cluster.primary_port, target[1]) as copy:
        copy.execute("ANALYZE")


def print_comparison(results, what="connection mode"):
    modes = list(results)
    print(f"\nRatio to the ceiling by {what} (req/s in brackets)")
    print(f"{'page':<24}" + "".join(f" {mode:>18}" for mode in modes))
    for index, row in enumerate(next(iter(results.values()))):
        cells = [results[mode][index] for mode in modes]
        print(f"{row['label']:<24}" + "".join(f" {c['ratio']:>8.2f} ({c['rps']:>6.0f})" for c in cells))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--films", type=int, default=100_000, help="films to seed (default 100,000)")
    parser.add_argument("--books", type=int, default=100_000, help="books to seed (default 100,000)")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=int, default=2, help="seconds of wrk per page per round (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all the pages (default 3)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: leave the CPU to gunicorn)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2, as shipped)")
    parser.add_argument("--modes", default=",".join(MODES), help="connection modes, comma-separated")
    parser.add_argument(
        "--no-replica", dest="replica", action="store_false", help="skip the book pages read through a replica"
    )
    stack.add_database_arguments(parser, "bench")
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    if unknown := set(modes) - set(MODES):
        parser.error(f"unknown modes {sorted(unknown)}; choose from {sorted(MODES)}")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: `sudo apt-get install wrk` (make bench does it).")
    stack.exit_on_sigterm()

    env = stack.production_env(sqlite_path=args.sqlite, app1_url=args.app1_url, app2_url=args.app2_url)
    log_dir = Path(args.sqlite).parent
    print(f"Bench {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} on {machine()}")
    print(f"Databases: {args.sqlite}, {args.app1_url}, {args.app2_url}")
    stack.prepare(env)
    seed(env, users=args.users, films=args.films, books=args.books)
    stack.create_admin(env)

    with Gunicorn(env, log_path=log_dir / "gunicorn-probe.log", workers=1) as server:
        film = first_id(server, "/films/", r'<td><a href="(\d+)/">')
        book = first_id(server, "/books/", r'<td><a href="(\d+)/">')
    pages = [(label, path.format(film=film, book=book), *rest) for label, path, *rest in PAGES]
    queries = count_queries(env, pages)
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s per page, {args.rounds} rounds; "
        f"gunicorn {args.workers} sync workers; {args.films:,} films, {args.books:,} books"
    )
    results = {}
    for mode in modes:
        results[mode] = bench_pages({**env, **MODES[mode]}, mode, pages, args, log_dir)
        print_mode(mode, results[mode], queries)
    print_time_split(pages, queries)
    print_floor(bench_floor(env, pages, args, log_dir))
    if len(results) > 1:
        print_comparison(results)
    if args.replica:
        bench_replica(env, pages, args, log_dir)
    print(
        "\nratio = req/s / the ceiling's req/s in the same gunicorn and round, median of the rounds; target = the "
        "lowest ratio the page should reach (! = below it); queries = per request, per alias (tests/load/queries.py)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
