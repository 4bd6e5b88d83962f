"""Randomized history checker: seeded clients and a nemesis against the replica-routed test site, then the verdicts.

    python -m tests.consistency.run --seed 1 --duration 600 [--asgi]     # or: make consistency

Builds a private PostgreSQL primary and two standbys (tests/support/replica.py), a throwaway MySQL
database for app1 and a SQLite file for default; migrates, seeds the registers, and serves the test
site (tests/consistency/) under gunicorn: sync workers as config/gunicorn.py ships, or with --asgi
uvicorn workers on config.asgi. Client threads, each with its own cookies, run a seeded mix of reads
and writes while the nemesis (nemesis.py) faults the standbys and, near the end, promotes one.
checker.py judges the recorded history and prints each guarantee's verdict. Exits 1 when a guarantee
was violated, 2 when the harness itself failed; removes everything it built, on Ctrl-C too.
"""

import argparse
import contextlib
import functools
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

import django
from django.db import connections

from tests.load.stack import exit_on_sigterm
from tests.support.databases import database_url, drop_database, recreate_database, throwaway_name
from tests.support.gunicorn import Gunicorn
from tests.support.processes import checked, manage
from tests.support.replica import PostgresCluster, site_environ

from . import checker
from .clients import Client
from .history import History
from .nemesis import LEAD, Nemesis

MAX_LAG = 3  # DB_REPLICA_MAX_LAG of the site, seconds
STANDBYS = 2
DATABASE = "books"  # app2's database on the private primary
TAIL = MAX_LAG + 3  # seconds the clients run after the promotion: past the lag bound and a status refresh
JOIN_WITHIN = 90  # seconds for the threads to finish once told to: a stuck pg_ctl takes 60
log = functools.partial(print, flush=True)


class UvicornGunicorn(Gunicorn):
    """config/gunicorn.py with uvicorn workers serving config.asgi: the async views run on an event loop."""

    def __init__(self, env, **options):
        super().__init__(env, **options)
        self.command = [*self.command[:-1], "--worker-class", "uvicorn_worker.UvicornWorker", "config.asgi:application"]


def setup_django():
    """The test settings in this process: the throwaway MySQL database goes where the suite's do."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    django.setup()


def site_env(tmp, cluster, app1_url):
    """The test site's environment: production settings plus tests.consistency, on these databases."""
    static = tmp / "static"  # JSON views only: nothing collected, but the directory must exist
    static.mkdir()
    return site_environ(
        cluster,
        settings="tests.consistency.settings",
        users=tmp / "users.sqlite3",
        app1_url=app1_url,
        max_lag=MAX_LAG,
        static_root=static,
        database=DATABASE,
        GUNICORN_LOG_LEVEL="warning",
    )


def seed(cluster, count):
    """Insert `count` registers at value 0, version 0 on the primary; wait until every standby has them."""
    with cluster.connect(cluster.primary_port, DATABASE) as primary:
        rows = primary.execute(
            "INSERT INTO consistency_register (value, version) SELECT 0, 0 FROM generate_series(1, %s) RETURNING id",
            [count],
        ).fetchall()
    for standby in range(len(cluster.standby_ports)):
        if not cluster.replayed(standby, 30):
            raise RuntimeError(f"standby {standby} did not replay the seed")
    return [row for (row,) in rows]


def drive(server, cluster, rows, args, history):
    """Run the clients and the nemesis for args.duration seconds; return the nemesis's errors."""
    stop = threading.Event()
    history.started = time.monotonic()
    end = history.started + args.duration
    promote_at = max(history.started + LEAD, end - TAIL)
    rng = random.Random(f"{args.seed}-nemesis")  # noqa: S311 - a reproducible schedule, not secrets
    nemesis = Nemesis(cluster, rng, history, promote_at=promote_at, stop=stop, log=log)
    writing = {row: threading.Lock() for row in rows}
    clients = [
        Client(number, server.port, rows, random.Random(f"{args.seed}-client-{number}"), history, writing=writing)  # noqa: S311
        for number in range(args.clients)
    ]
    threads = [threading.Thread(target=nemesis.run, daemon=True)]
    threads += [threading.Thread(target=client.run, args=(stop,), daemon=True) for client in clients]
    for thread in threads:
        thread.start()
    try:
        stop.wait(max(0.0, end - time.monotonic()))
    finally:
        stop.set()
        deadline = time.monotonic() + JOIN_WITHIN
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return nemesis.errors + [f"{thread.name} still running" for thread in threads if thread.is_alive()]


def first_traceback(log_path, lines=40):
    """The first traceback in gunicorn's log, if any: what a 5xx was."""
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    found = re.search(r"Traceback \(most recent call last\):.*", text, re.DOTALL)
    return "\n".join(found.group(0).splitlines()[:lines]) if found else ""


def run(args):
    """Build everything, drive the site, remove everything; return (history, harness errors, a server traceback).

    Each thing built is removed even when building the next one fails, and when removing another does.
    """
    history, started = History(), time.monotonic()
    with contextlib.ExitStack() as cleanup:
        tmp = Path(tempfile.mkdtemp(prefix="consistency-"))
        cleanup.callback(shutil.rmtree, tmp, ignore_errors=True)
        cluster = PostgresCluster(standbys=STANDBYS)
        cleanup.callback(cluster.stop)
        cluster.start()
        films = throwaway_name("app1", f"consistency_{os.getpid()}")  # a run beside the suite or another run
        cleanup.callback(connections.close_all)
        cleanup.callback(drop_database, "app1", films)
        recreate_database("app1", films)
        env = site_env(tmp, cluster, database_url(connections.settings["app1"], films))
        checked(manage("create_databases", env=env), "create_databases")
        checked(manage("migrate_all", "--noinput", "-v0", env=env, timeout=300), "migrate_all")
        rows = seed(cluster, args.rows)
        server_class = UvicornGunicorn if args.asgi else Gunicorn
        log_path = tmp / "gunicorn.log"
        with server_class(env, log_path=log_path, workers=args.workers) as server:
            log(f"set up in {time.monotonic() - started:.1f} s; faults (seconds since the clients started):")
            errors = drive(server, cluster, rows, args, history)
        return history, errors, first_traceback(log_path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="seeds the clients' mix and the nemesis (default 1)")
    parser.add_argument("--duration", type=float, default=600, help="seconds the clients run (default 600)")
    parser.add_argument("--asgi", action="store_true", help="uvicorn workers on config.asgi instead of sync workers")
    parser.add_argument("--clients", type=int, default=6, help="client threads (default 6)")
    parser.add_argument("--rows", type=int, default=8, help="registers the clients share (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    args = parser.parse_args(argv)
    exit_on_sigterm()  # a SIGTERM runs the finally blocks, as Ctrl-C does
    setup_django()
    mode = "ASGI (uvicorn workers)" if args.asgi else "WSGI (sync workers)"
    log(
        f"Consistency check, {mode}: seed {args.seed}, {args.duration:g} s, {args.clients} clients, "
        f"{args.rows} registers, {args.workers} workers, {STANDBYS} standbys, DB_REPLICA_MAX_LAG {MAX_LAG} s"
    )
    try:
        history, errors, server_traceback = run(args)
    except KeyboardInterrupt:
        log("Interrupted: everything built for the run is removed.")
        return 130
    except SystemExit as stopped:  # SIGTERM, through exit_on_sigterm()
        log("Terminated: everything built for the run is removed.")
        return stopped.code
    except Exception:  # the harness failed (a server, a database, a migration): not a verdict on the site
        traceback.print_exc()
        return 2
    log()
    held = checker.report(history, MAX_LAG, print=log)
    if server_traceback:
        log(f"\nThe first traceback in gunicorn's log:\n{server_traceback}")
    if errors:
        log("\nThe harness failed, so the history proves nothing:\n  " + "\n  ".join(errors))
        return 2
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
