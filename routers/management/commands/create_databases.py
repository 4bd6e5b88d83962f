"""Create each alias's database on its server if it is missing, and say what was done."""

from pathlib import Path

from django.core.management.base import CommandError
from django.db import connections

from routers.connectivity import DatabaseUnreachable, describe, ensure_server
from routers.management.base import OfflineChecksCommand
from routers.replicas import primaries

EXISTS_SQL = {
    "mysql": "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
    "postgresql": "SELECT 1 FROM pg_database WHERE datname = %s",
}
# MySQL: utf8mb4 with a collation both MySQL 8 and MariaDB have. PostgreSQL: UTF8 from template0,
# whatever the server's template1 was created with.
CREATE_SQL = {
    "mysql": "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
    "postgresql": "CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0",
}


class Command(OfflineChecksCommand):
    help = "Create the database of every alias in DATABASES if it does not exist (never drops)."

    def handle(self, *args, **options):
        for alias in primaries():  # a replica gets its databases from its primary
            self.stdout.write(f"{describe(alias)}: {self.create(alias)}")

    def create(self, alias):
        """Create the alias's database if needed; return what happened."""
        connection = connections[alias]
        name = connection.settings_dict["NAME"]
        if connection.vendor == "sqlite":
            # SQLite creates the file on first connection; it needs the directory (and WAL files beside it).
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            return "file exists" if Path(name).exists() else "file will be created by migrate"
        if connection.vendor not in CREATE_SQL:
            raise CommandError(f"{describe(alias)}: no recipe to create a {connection.vendor} database.")
        try:
            ensure_server(alias)
        except DatabaseUnreachable as exc:
            raise CommandError(str(exc)) from None
        with connection._nodb_cursor() as cursor:
            cursor.execute(EXISTS_SQL[connection.vendor], [name])
            if cursor.fetchone():
                return f"database {name!r} exists"
            cursor.execute(CREATE_SQL[connection.vendor].format(name=connection.ops.quote_name(name)))
        return f"database {name!r} created"
