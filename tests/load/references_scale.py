"""Time `manage.py references` and `references --fix` on 100,000 films and 100,000 books against 100 users.

    python -m tests.load.references_scale          # or: make references-scale
    python -m tests.load.references_scale --films 10000 --books 10000

Uses the bench's databases (films_bench, books_bench, var/bench/users.sqlite3), seeded as `make
bench` seeds them, and the production settings. One user in ten is deleted behind the project's
back (raw SQL on SQLite, as a restore or a flush would leave things), so the check has dangling
ids to find and the fix has rows to clear; then the fix runs, and the check again.
"""

import argparse
import sqlite3
import time
from contextlib import closing

from tests.load import bench, stack
from tests.support.processes import manage


def timed(env, *args):
    """Run manage.py references with args; print its report and how long the whole command took."""
    started = time.perf_counter()
    result = manage("references", *args, env=env, timeout=600)
    seconds = time.perf_counter() - started
    print(f"$ manage.py references {' '.join(args)}   (exit {result.returncode}, {seconds:.2f} s in all)")
    print(result.stdout.rstrip())
    if result.returncode not in (0, 1):
        raise RuntimeError(result.stderr)
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--films", type=int, default=100_000)
    parser.add_argument("--books", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=100)
    stack.add_database_arguments(parser, "bench")
    args = parser.parse_args(argv)
    env = stack.production_env(sqlite_path=args.sqlite, app1_url=args.app1_url, app2_url=args.app2_url)
    stack.prepare(env, collectstatic=False)
    bench.seed(env, users=args.users, films=args.films, books=args.books)
    with closing(sqlite3.connect(args.sqlite)) as users, users:
        gone = users.execute("DELETE FROM authapp_shareduser WHERE id % 10 = 0 AND NOT is_superuser").rowcount
    print(f"{gone} users deleted behind the project's back")
    timed(env)
    timed(env, "--fix")
    timed(env)
    # Seed tops the users up again next time: the bench keeps its 100 users.
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
