"""Answer 503, naming the database, when a view fails because a database server is down."""

import logging

from django.db import InterfaceError, OperationalError, connections
from django.template.response import TemplateResponse

from routers.connectivity import describe, redact

logger = logging.getLogger(__name__)


def failed_to_reach(connection):
    """Return True if an error passed through this connection and it is not usable now."""
    # Django sets errors_occurred when a database error (not DataError/IntegrityError) goes
    # through the connection's wrapper, including a failed connect; that names the alias.
    if not connection.errors_occurred:
        return False
    if connection.connection is None:
        return True  # the connect itself failed
    # A lost server breaks the socket for good, even if the server is back by now; a lock
    # timeout or a missing table leaves the connection usable.
    return not connection.is_usable()


class DatabaseUnavailableMiddleware:
    """Turn OperationalError/InterfaceError from an unreachable database into a plain 503 page.

    The alias is the connection the error went through (errors_occurred), not whichever
    server happens to answer a probe afterwards: a server back a millisecond later must not
    turn the outage into a 500. An error on a connection that still works (a lock timeout,
    a missing table) is left to Django's usual 500 handling: a bug to see, not an outage.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for connection in connections.all(initialized_only=True):
            if connection.connection is None:
                # A failed connect of an earlier request says nothing about this one.
                connection.errors_occurred = False
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        down = [c.alias for c in connections.all(initialized_only=True) if failed_to_reach(c)]
        if not down:
            return None
        detail = str(exception)
        for alias in down:
            detail = redact(alias, detail)
        logger.warning("%s: database %s is unreachable: %s", request.path, ", ".join(map(describe, down)), detail)
        response = TemplateResponse(
            request,
            "database_unavailable.html",
            # Alias and engine only: hosts and ports are for the log, not for visitors.
            {"databases": [describe(alias, where=False) for alias in down]},
            status=503,
        )
        response["Retry-After"] = "30"
        return response
