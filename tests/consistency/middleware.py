"""Record which aliases ran statements for a request, and say so in the X-Served-By header (test site only)."""

from contextlib import ExitStack
from contextvars import ContextVar

from django.db import connections

from routers.replicas import PROBES

served_by = ContextVar("served_by", default=None)


def aliases():
    """Return the aliases that ran statements so far in this request, sorted."""
    return sorted(served_by.get() or ())


class ServedByMiddleware:
    """Outermost: note every alias a statement runs on, then add X-Served-By to the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seen = set()
        token = served_by.set(seen)
        try:
            with ExitStack() as stack:
                for alias in connections:
                    stack.enter_context(connections[alias].execute_wrapper(Note(alias, seen)))
                response = self.get_response(request)
        finally:
            served_by.reset(token)
        if not response.streaming:
            response["X-Served-By"] = ",".join(sorted(seen))
        return response


class Note:
    """An execute wrapper that adds its alias to the request's set."""

    def __init__(self, alias, seen):
        self.alias, self.seen = alias, seen

    def __call__(self, execute, sql, params, many, context):
        if sql not in PROBES:  # the router asking a replica's state is not the request's read
            self.seen.add(self.alias)
        return execute(sql, params, many, context)
