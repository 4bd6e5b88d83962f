"""ReadReplicaMiddleware: each client reads its own writes, and a replica that dies costs no request.

Read-your-writes across requests. When a request writes to a primary that has replicas, the
response carries a signed cookie with the primary's WAL position (pg_current_wal_lsn()) after the
write. The client's next requests read from a replica only once it has replayed that position
(routers/replicas.py); until then, from the primary. A cookie, not the session: the session lives
in another database and would cost a write there on every request that writes here, and anonymous
clients have none. It is signed so that a client cannot send all its reads to the primary. It lasts
REPLICA_MAX_LAG seconds and one more: a replica within that lag has replayed anything older.

Failover. A GET or HEAD whose query fails on a replica (the server died under it) is run once more
with every read on the primary, and the replica is left alone for a while: no 5xx for a replica.

Put it last in MIDDLEWARE, so that its process_exception sees a view's exception first.
"""

import math
from contextlib import ExitStack

from django.conf import settings
from django.core.signing import BadSignature
from django.db import DatabaseError, InterfaceError, OperationalError, connections

from . import replicas

COOKIE = "replica_lsn"
WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
UNREACHABLE_LSN = "FFFFFFFF/FFFFFFFF"


class ReadReplicaMiddleware:
    """Route this client's reads so that it sees its writes; retry a read a dead replica broke."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.primaries = [primary for primary, aliases in getattr(settings, "DATABASE_REPLICAS", {}).items() if aliases]

    def __call__(self, request):
        if not self.primaries:
            return self.get_response(request)
        written = set()
        with replicas.client_context(self.required_lsn(request)), ExitStack() as stack:
            for primary in self.primaries:
                stack.enter_context(connections[primary].execute_wrapper(WriteSpotter(primary, written)))
            response = self.get_response(request)
        if written:
            self.remember(response, written)
        return response

    def required_lsn(self, request):
        """Return {primary: LSN} from this client's cookie: the writes its reads must see."""
        try:
            value = request.get_signed_cookie(COOKIE, default="", max_age=self.max_age())
        except BadSignature:
            return {}
        pairs = (item.split("=", 1) for item in value.split(",") if "=" in item)
        return {primary: lsn for primary, lsn in pairs if primary in self.primaries}

    def remember(self, response, written):
        """Put the primaries' positions after this request's writes into the cookie."""
        positions = []
        for primary in sorted(written):
            try:
                with connections[primary].cursor() as cursor:
                    cursor.execute("SELECT pg_current_wal_lsn()::text")
                    positions.append(f"{primary}={cursor.fetchone()[0]}")
            except DatabaseError:
                # The write is committed, but its position is unknown (the primary just went away):
                # a position no replica reaches keeps this client on the primary for the cookie's life.
                positions.append(f"{primary}={UNREACHABLE_LSN}")
        response.set_signed_cookie(
            COOKIE,
            ",".join(positions),
            max_age=self.max_age(),
            httponly=True,
            samesite="Lax",
            secure=getattr(settings, "SESSION_COOKIE_SECURE", False),
        )

    @staticmethod
    def max_age():
        return math.ceil(getattr(settings, "REPLICA_MAX_LAG", 5)) + 1

    def process_exception(self, request, exception):
        """Run a safe request again on the primaries when a replica failed under it."""
        if request.method not in SAFE_METHODS or not isinstance(exception, OperationalError | InterfaceError):
            return None
        if getattr(request, "_replica_retried", False):
            return None
        failed = [
            connection.alias
            for connection in connections.all(initialized_only=True)
            if replicas.is_replica(connection.alias) and connection.errors_occurred
        ]
        if not failed:
            return None
        for alias in failed:
            replicas.mark_down(alias)
            connections[alias].close()
        request._replica_retried = True
        match = request.resolver_match
        try:
            with replicas.primary_only():
                response = match.func(request, *match.args, **match.kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response = response.render()
        except (OperationalError, InterfaceError):
            # The primary failed too: the middleware before this one answers 503, naming what is down.
            return None
        return response


class WriteSpotter:
    """An execute wrapper that notes when a statement writes to the primary."""

    def __init__(self, primary, written):
        self.primary, self.written = primary, written

    def __call__(self, execute, sql, params, many, context):
        if many or sql.lstrip()[:6].upper().startswith(WRITES):
            self.written.add(self.primary)
        return execute(sql, params, many, context)
