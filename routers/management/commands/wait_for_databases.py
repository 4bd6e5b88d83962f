"""Wait until every alias's database accepts connections (the entrypoint runs this before migrating)."""

import time

from django.core.management.base import CommandError
from django.db import DatabaseError, connections

from routers.connectivity import describe, redact
from routers.management.base import OfflineChecksCommand
from routers.replicas import primaries


class Command(OfflineChecksCommand):
    help = (
        "Wait until the database of every alias in DATABASES accepts connections; fail naming the "
        "first that does not answer in time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=60, help="seconds to wait in all (default 60)")
        parser.add_argument("--interval", type=float, default=1, help="seconds between tries (default 1)")

    def handle(self, *args, timeout, interval, **options):
        deadline = time.monotonic() + timeout
        for alias in primaries():  # the site serves reads from the primary while a replica is down
            self.wait(alias, deadline, interval)
            self.stdout.write(f"Database {describe(alias)} is ready.")

    def wait(self, alias, deadline, interval):
        """Retry connecting to alias until it answers or the deadline passes."""
        connection = connections[alias]
        reported = None
        while True:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                return
            except DatabaseError as exc:
                error = redact(alias, str(exc)).strip()
            finally:
                connection.close()
            if time.monotonic() + interval > deadline:
                raise CommandError(f"Database {describe(alias)} did not answer in time: {error}")
            if error != reported:
                self.stderr.write(f"Waiting for database {describe(alias)}: {error}")
                reported = error
            time.sleep(interval)
