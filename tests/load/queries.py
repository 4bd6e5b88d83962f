"""Count the queries each page runs on each alias, and time them, with the settings and databases gunicorn uses.

    python -m tests.load.queries /films/ /books/ --admin load-admin /admin/app1/film/

Each page is requested once in-process (django.test.Client) to warm up (connections opened,
content types cached), then once more while every database connection, in every thread, counts
what it executes. /health/ opens its connections in threads, which a per-connection
CaptureQueriesContext would miss; an execute wrapper installed on every new connection sees them.
Not counted: the one-round-trip health check CONN_HEALTH_CHECKS makes on each persistent
connection at its first use in a request. Then the page is requested REPEAT more times, timing each
request and each query by alias: the mean milliseconds per request go under "ms", with "django"
the request's time less its queries': Django's own work, and opening connections and
CONN_HEALTH_CHECKS' ping, which run outside the queries (/health/ opens a new connection to every
server on each call, in parallel threads). Prints one JSON object:
{path: {"status": code, alias: queries, "ms": {"request": ms, alias: ms, "django": ms}}}.
"""

import argparse
import json
import os
import sys
import time
from collections import Counter

REPEAT = 20  # timed requests per page, after the counted one


def count_queries(anonymous, admin_paths, admin_username):
    """Return {path: {"status": code, alias: queries}} for the anonymous and the logged-in pages."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django.db.backends.signals import connection_created
    from django.test import Client

    counts, seconds = Counter(), Counter()

    def counter(execute, sql, params, many, context):
        alias = context["connection"].alias
        counts[alias] += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds[alias] += time.perf_counter() - started

    def install(connection):
        if counter not in connection.execute_wrappers:
            connection.execute_wrappers.append(counter)

    connection_created.connect(lambda sender, connection, **kwargs: install(connection), weak=False)
    for connection in connections.all():
        install(connection)

    visitor = Client(HTTP_HOST="127.0.0.1")
    admin = Client(HTTP_HOST="127.0.0.1")
    if admin_paths:
        admin.force_login(get_user_model()._default_manager.get(username=admin_username))
    results = {}
    for client, paths in ((visitor, anonymous), (admin, admin_paths)):
        for path in paths:
            client.get(path)
            counts.clear()
            status = client.get(path).status_code
            results[path] = {"status": status, **{alias: counts[alias] for alias in connections}}
            seconds.clear()
            started = time.perf_counter()
            for _ in range(REPEAT):
                client.get(path)
            request = (time.perf_counter() - started) / REPEAT
            per_alias = {alias: seconds[alias] / REPEAT * 1000 for alias in connections}
            django_ms = request * 1000 - sum(per_alias.values())
            results[path]["ms"] = {"request": request * 1000, **per_alias, "django": django_ms}
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="pages requested anonymously")
    parser.add_argument("--admin", nargs="*", default=[], help="pages requested logged in as --admin-username")
    parser.add_argument("--admin-username", default="load-admin")
    args = parser.parse_args(argv)
    print(json.dumps(count_queries(args.paths, args.admin, args.admin_username)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
