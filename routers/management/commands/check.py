"""Django's `check`, naming a database it cannot reach instead of ending in a traceback.

Django 6 runs the model checks against every alias by default, and the MySQL backend's field
checks connect. Here, when a database does not answer, it is named and left out of the database
checks, and the checks run again; one named with --database fails the command with that message.
"""

import django
from django.core.management.base import CommandError
from django.core.management.commands import check
from django.db import DatabaseError, connections

from routers.connectivity import describe, redact


class Command(check.Command):
    def handle(self, *app_labels, **options):
        try:
            return super().handle(*app_labels, **options)
        except DatabaseError:
            pass  # some database did not answer: find which, below
        named = options["databases"]
        # Unless asked, Django 5.2 runs no database checks and 6 runs them on every alias.
        default = list(connections) if django.VERSION >= (6,) else []
        reachable = []
        for alias in default if named is None else named:
            try:
                connections[alias].ensure_connection()
            except DatabaseError as exc:
                message = f"Database {describe(alias)} is unreachable: {redact(alias, str(exc)).strip()}"
                if named:
                    raise CommandError(message) from None
                self.stderr.write(f"{message}. Its database checks were skipped.")
            else:
                reachable.append(alias)
        return super().handle(*app_labels, **{**options, "databases": reachable})
