"""Print the routing table: where each model is read, written and migrated, and on which engine."""

import json

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connections, router

from routers.checks import migrate_aliases
from routers.connectivity import VENDOR_NAMES
from routers.replicas import primary_only, replicas_of

COLUMNS = ("model", "app", "read", "write", "migrate", "engine")


def engine(alias):
    """Name the engine behind alias from settings alone (MySQL's display_name would connect)."""
    if alias not in connections:
        return "(not in DATABASES)"
    vendor = connections[alias].vendor
    return VENDOR_NAMES.get(vendor, vendor)


def routes():
    """Return one dict per installed model, many-to-many tables included, in INSTALLED_APPS order."""
    with primary_only():  # the primary each model is read from; which replica serves a read varies
        return [route(model) for model in apps.get_models(include_auto_created=True)]


def route(model):
    """Return where model is read (and from which replicas), written and migrated."""
    migrate = migrate_aliases(model)
    write = router.db_for_write(model)
    read = router.db_for_read(model)
    return {
        "model": model._meta.label,
        "app": model._meta.app_label,
        "read": read,
        "replicas": replicas_of(read),
        "write": write,
        "migrate": migrate,
        "engine": engine(migrate[0] if len(migrate) == 1 else write),
    }


class Command(BaseCommand):
    help = (
        "Print, for every model, its app, read alias, write alias, the alias(es) it migrates on and the "
        "engine behind it. Asks the routers only: no database is contacted."
    )
    # Show the table even when a routing check fails: that is when it helps most.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, format, **options):
        rows = routes()
        if format == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        cells = [
            [
                row["model"],
                row["app"],
                " + ".join([row["read"], *row["replicas"]]),  # e.g. "app2 + app2_replica"
                row["write"],
                ", ".join(row["migrate"]) or "(none)",
                row["engine"],
            ]
            for row in rows
        ]
        header = [column.upper() for column in COLUMNS]
        widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(COLUMNS))]
        for line in [header, *cells]:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
