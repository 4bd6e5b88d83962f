"""Name a database for humans and check that its server answers, without leaking secrets."""

import warnings

from django.db import DatabaseError, connections

# By vendor, because MySQL's display_name connects to the server to tell MySQL from MariaDB.
VENDOR_NAMES = {"mysql": "MySQL", "postgresql": "PostgreSQL", "sqlite": "SQLite", "oracle": "Oracle"}


class DatabaseUnreachable(Exception):
    """A database server did not answer; the message names the alias and host."""


def describe(alias, *, where=True):
    """Return e.g. "'app1' (MySQL at 127.0.0.1:3306)", or "'app1' (MySQL)" for the public; never the password."""
    connection = connections[alias]
    settings = connection.settings_dict
    vendor = VENDOR_NAMES.get(connection.vendor, connection.vendor)
    if not where:
        return f"'{alias}' ({vendor})"
    if connection.vendor == "sqlite":
        return f"'{alias}' (SQLite file {settings['NAME']})"
    host = settings["HOST"] or "localhost"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"'{alias}' ({vendor} at {host}{port})"


def redact(alias, text):
    """Remove the alias's password from text that a driver produced."""
    password = connections[alias].settings_dict.get("PASSWORD")
    return text.replace(str(password), "********") if password else text


def ensure_server(alias):
    """Connect to the alias's server (not its database, which may not exist yet)."""
    connection = connections[alias]
    if connection.vendor == "sqlite":
        return
    try:
        with warnings.catch_warnings():
            # When PostgreSQL refuses the 'postgres' database, Django warns and tries the alias's own
            # database instead: a refused login fails there too, and that error is the one to name.
            warnings.simplefilter("ignore", RuntimeWarning)
            with connection._nodb_cursor() as cursor:
                cursor.execute("SELECT 1")
    except DatabaseError as exc:
        raise DatabaseUnreachable(
            f"Database {describe(alias)} is unreachable: {redact(alias, str(exc)).strip()}"
        ) from None
