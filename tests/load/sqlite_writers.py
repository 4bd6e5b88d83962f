"""Hammer the default (SQLite) database with concurrent read-then-write transactions; print what failed.

    DATABASE_URL=sqlite:////tmp/users.sqlite3 python -m tests.load.sqlite_writers --processes 8 --transactions 50

Each transaction reads, then writes (a user and a session), the pattern that fails with
"database is locked" under SQLite's default DEFERRED transactions: two readers both try to
upgrade to the write lock and one is refused at once, whatever the busy timeout. With
transaction_mode IMMEDIATE (config/settings/base.py) the write lock is taken at BEGIN and
the others wait their turn. Prints one JSON line: transactions committed, locked, other errors.
"""

import argparse
import json
import multiprocessing
import os
import sys
import time


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def write_transactions(worker, transactions, results):
    """Run read-then-write transactions on default; put (committed, locked, other) on the queue."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import OperationalError, transaction

    user_model = get_user_model()
    committed = locked = other = 0
    for number in range(transactions):
        try:
            with transaction.atomic(using="default"):
                user_model._default_manager.filter(username__startswith="writer").count()
                user_model._default_manager.create(username=f"writer-{os.getpid()}-{worker}-{number}")
                session = SessionStore()
                session["n"] = number
                session.save()
            committed += 1
        except OperationalError as exc:
            if "locked" in str(exc):
                locked += 1
            else:
                other += 1
        except Exception:  # counted and reported, never hidden
            other += 1
    results.put((committed, locked, other))


def run(processes, transactions):
    """Start the writers together; return totals and the wall time."""
    setup_django()
    from django.db import connections

    connections.close_all()  # nothing open across the fork: each writer opens its own connection
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [
        context.Process(target=write_transactions, args=(worker, transactions, results)) for worker in range(processes)
    ]
    started = time.perf_counter()
    for process in workers:
        process.start()
    totals = [results.get(timeout=120) for _ in workers]
    for process in workers:
        process.join(timeout=30)
    committed, locked, other = (sum(column) for column in zip(*totals, strict=True))
    return {
        "processes": processes,
        "attempted": processes * transactions,
        "committed": committed,
        "locked": locked,
        "other_errors": other,
        "seconds": round(time.perf_counter() - started, 2),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--transactions", type=int, default=50)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.processes, args.transactions)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
