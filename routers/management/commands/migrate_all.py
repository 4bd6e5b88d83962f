"""Migrate every alias in DATABASES, in order, and stop at the first that fails.

`migrate` touches one database per run; this runs it once per alias. With --check nothing
is applied: the command exits non-zero if any alias has unapplied migrations.
"""

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from routers.connectivity import describe, redact
from routers.management.base import OfflineChecksCommand
from routers.replicas import primaries, primary_of


class Command(OfflineChecksCommand):
    # The system checks (routing ones included) run once before any alias is touched.
    help = (
        "Run `migrate --database=ALIAS` for every alias in DATABASES, in order, stopping at the first "
        "failure. --check applies nothing and exits non-zero if any alias has unapplied migrations."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            dest="check_unapplied",
            help="Apply nothing; exit non-zero when any alias has unapplied migrations.",
        )
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive", help="Never prompt.")

    def handle(self, *args, check_unapplied, interactive, verbosity, **options):
        if check_unapplied:
            self.check_unapplied()
            return
        self.say_replicas_skipped()
        aliases = primaries()
        for done, alias in enumerate(aliases):
            self.stdout.write(self.style.MIGRATE_HEADING(f"Migrating {describe(alias)}"))
            try:
                call_command(
                    "migrate",
                    database=alias,
                    interactive=interactive,
                    verbosity=verbosity,
                    # migrate's own checks for this alias's database (MySQL strict mode, ...), inside
                    # the try: an unreachable server is reported like any other failure.
                    skip_checks=False,
                    # The raw streams: wrapped twice, migrate's "Applying x..." and " OK" split in two lines.
                    stdout=self.stdout._out,
                    stderr=self.stderr._out,
                )
            except Exception as exc:  # any failure: name the alias, then stop
                raise CommandError(
                    f"Migrating {describe(alias)} failed: {redact(alias, str(exc)).strip()}\n"
                    f"Migrated: {', '.join(aliases[:done]) or 'none'}. "
                    f"Not attempted: {', '.join(aliases[done + 1 :]) or 'none'}."
                ) from exc

    def say_replicas_skipped(self):
        """Name the replica aliases left out: each is a copy of its primary, which migration reaches."""
        for alias in connections:
            if alias not in primaries():
                self.stdout.write(f"Skipping {describe(alias)}: a replica of '{primary_of(alias)}'.")

    def check_unapplied(self):
        """Report the unapplied migrations of every alias; raise CommandError unless all are up to date."""
        behind, unknown = [], []
        self.say_replicas_skipped()
        for alias in primaries():
            connection = connections[alias]
            try:
                executor = MigrationExecutor(connection)
                executor.loader.check_consistent_history(connection)
                plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
            except Exception as exc:  # an unreachable or inconsistent database is not "up to date"
                unknown.append(alias)
                self.stdout.write(f"{describe(alias)}: cannot tell: {redact(alias, str(exc)).strip()}")
                continue
            if plan:
                behind.append(alias)
                names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in plan)
                self.stdout.write(f"{describe(alias)}: {len(plan)} unapplied: {names}")
            else:
                self.stdout.write(f"{describe(alias)}: up to date")
        problems = []
        if behind:
            problems.append(
                f"Unapplied migrations on {', '.join(behind)}: run `manage.py migrate_all` "
                "(or `migrate --database=ALIAS` for each)."
            )
        if unknown:
            problems.append(f"Could not read the migration history of {', '.join(unknown)} (see above).")
        if problems:
            raise CommandError(" ".join(problems))
