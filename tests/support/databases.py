"""Throwaway databases on the test servers, and the URLs that reach them."""

from urllib.parse import quote, unquote, urlsplit

from django.db import connections

from routers.management.commands.create_databases import CREATE_SQL


def throwaway_name(alias, purpose):
    """test_<configured name>_<purpose>: never pytest-django's test_<name>, and allowed by test_% grants."""
    return f"test_{connections.settings[alias]['NAME'].removeprefix('test_')}_{purpose}"


def drop_database(alias, name):
    """Drop database `name` on the alias's server, if it exists (a throwaway one, never the test database)."""
    connection = connections[alias]
    force = " WITH (FORCE)" if connection.vendor == "postgresql" else ""  # gunicorn may still hold one
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}{force}")


def recreate_database(alias, name):
    """Drop and create database `name` on the alias's server, as create_databases would."""
    drop_database(alias, name)
    connection = connections[alias]
    with connection._nodb_cursor() as cursor:
        cursor.execute(CREATE_SQL[connection.vendor].format(name=connection.ops.quote_name(name)))


def database_url(settings_dict, name):
    """Build a URL for settings_dict's server and database `name`."""
    scheme = {"django.db.backends.mysql": "mysql", "django.db.backends.postgresql": "postgres"}[settings_dict["ENGINE"]]
    user = quote(settings_dict["USER"], safe="")
    password = f":{quote(str(settings_dict['PASSWORD']), safe='')}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    return f"{scheme}://{user}{password}@{host}:{settings_dict['PORT']}/{name}"


def server_address(url):
    """(host, port, user, password, database name) of a mysql:// or postgres:// URL."""
    parts = urlsplit(url)
    return parts.hostname, parts.port, unquote(parts.username or ""), unquote(parts.password or ""), parts.path[1:]


def via(url, port):
    """The same database URL, reached through 127.0.0.1:<port> (a TcpProxy's)."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    return parts._replace(netloc=f"{credentials}@127.0.0.1:{port}").geturl()
