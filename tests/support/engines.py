"""The engine behind each alias, read from its connection: DATABASE_URL may move users off SQLite."""

from django.db import connections

# The engine's name as the site shows it (pages, /health/, routes), by Django's vendor.
ENGINE_NAMES = {"sqlite": "SQLite", "mysql": "MySQL", "postgresql": "PostgreSQL"}


def engine_name(alias):
    """ "SQLite", "MySQL" or "PostgreSQL": the engine behind alias (MariaDB reports itself as MySQL)."""
    return ENGINE_NAMES[connections[alias].vendor]


def described(alias):
    """How commands name alias and its server: "'default' (SQLite file <path>)" or "'app1' (MySQL at host:port)"."""
    settings_dict = connections[alias].settings_dict
    if connections[alias].vendor == "sqlite":
        return f"'{alias}' (SQLite file {settings_dict['NAME']})"
    return f"'{alias}' ({engine_name(alias)} at {settings_dict['HOST']}:{settings_dict['PORT']})"
