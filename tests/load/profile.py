"""Profile pages in-process on the bench's databases; print where each request's time goes, by kind of work.

    python -m tests.load.profile                  # after `make bench`, which creates and seeds those databases
    python -m tests.load.profile /books/ /films/1/ --requests 300

Each page is requested with django.test.Client under the production settings and data gunicorn
serves in `make bench`: first unprofiled, for its milliseconds per request, then under cProfile.
Each function's own time is counted under one kind of work, by where its code lives. cProfile slows
Python code more than it slows waiting on a server, so the shares show the shape, not exact figures.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time

from tests.load import stack
from tests.support.processes import BASE_DIR

PAGES = ["/health/live/", "/", "/films/", "/films/1/", "/books/", "/books/1/"]
# (kind of work, where its code lives); the first match wins.
KINDS = [
    ("servers+drivers", ("MySQLdb", "_mysql", "Connection.query", "psycopg", "sqlite3")),
    ("ORM", ("django/db/",)),
    ("templates", ("django/template", "django/utils/html", "django/utils/formats", "django/utils/dateformat")),
    ("URLs", ("django/urls/",)),
    ("rest of Django", ("django/",)),
    ("project", (f"{BASE_DIR}/",)),
]
OTHER = "Python, libraries"


def kind_of(function):
    """Name the kind of work a profiled function (file, line, name) does."""
    file, _, name = function
    where = f"{file} {name}"
    for kind, markers in KINDS:
        if any(marker in where for marker in markers) and not (kind == "project" and "site-packages" in file):
            return kind
    return OTHER


def profile(client, path, requests):
    """Return (unprofiled ms per request, {kind: share of the profiled time}) for one page."""
    for _ in range(10):  # warm up: connections, caches, the first query of each kind
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: run `make bench` first to seed its databases.")
    started = time.perf_counter()
    for _ in range(requests):
        client.get(path)
    ms = (time.perf_counter() - started) / requests * 1000
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [client.get(path) for _ in range(requests)])
    spent = {}
    for function, (_, _, own_time, _, callers) in pstats.Stats(profiler).stats.items():
        kind = kind_of(function)
        if kind == OTHER and function[0] == "~" and callers:
            # A built-in (getattr, isinstance, str.join...) works for whoever called it.
            for caller, (_, _, time_for_caller, _) in callers.items():
                spent[kind_of(caller)] = spent.get(kind_of(caller), 0.0) + time_for_caller
        else:
            spent[kind] = spent.get(kind, 0.0) + own_time
    total = sum(spent.values())
    return ms, {kind: seconds / total for kind, seconds in spent.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=PAGES, help=f"pages (default: {' '.join(PAGES)})")
    parser.add_argument("--requests", type=int, default=200, help="requests per page and pass (default 200)")
    stack.add_database_arguments(parser, "bench")
    args = parser.parse_args(argv)
    os.environ.update(stack.production_env(sqlite_path=args.sqlite, app1_url=args.app1_url, app2_url=args.app2_url))
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    kinds = [kind for kind, _ in KINDS] + [OTHER]
    print(f"{'page':<16} {'ms':>6}" + "".join(f"  {kind}" for kind in kinds))
    for path in args.paths:
        ms, shares = profile(client, path, args.requests)
        print(f"{path:<16} {ms:>6.2f}" + "".join(f"  {shares.get(kind, 0):>{len(kind)}.0%}" for kind in kinds))
    print("\nms = mean per request, unprofiled; the rest = each kind's share of the profiled time (cProfile).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
