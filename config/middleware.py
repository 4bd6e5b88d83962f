"""Answer 503, naming the database, when a view fails because a database server is down."""

import logging

from django.db import InterfaceError, OperationalError, connections
from django.template.response import TemplateResponse

from routers.connectivity import describe

logger = logging.getLogger(__name__)


def is_unreachable(connection):
    """Return True if the connection is broken and a new one cannot be opened."""
    if connection.connection is not None and connection.is_usable():
        return False
    connection.close()
    try:
        connection.ensure_connection()
    except (OperationalError, InterfaceError):
        return True
    return False


class DatabaseUnavailableMiddleware:
    """Turn OperationalError/InterfaceError from an unreachable database into a plain 503 page.

    Django's exceptions do not say which alias raised them, so the connections this
    thread has opened are probed; an error that no unreachable server explains (a
    lock timeout, a missing table) is left to Django's usual 500 handling.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        down = [c.alias for c in connections.all(initialized_only=True) if is_unreachable(c)]
        if not down:
            return None
        logger.warning("%s: database %s is unreachable", request.path, ", ".join(map(describe, down)))
        response = TemplateResponse(
            request,
            "database_unavailable.html",
            # Alias and engine only: hosts and ports are for the log, not for visitors.
            {"databases": [describe(alias, where=False) for alias in down]},
            status=503,
        )
        response["Retry-After"] = "30"
        return response
