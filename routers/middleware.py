"""ReadReplicaMiddleware: no client reads older data than it wrote or saw, and a replica fault costs no request.

Positions across requests. After a request that read or wrote a primary with replicas, the
response carries a signed cookie holding, per primary, the newest WAL position the client may
have seen: the primary's insert position when the request used the primary (a write or a read),
else the replay position of the replica it read. Its later reads use a replica only once that
replica has replayed the position (routers/replicas.py): read-your-writes and monotonic reads are
one rule. A cookie, not the session: the session lives in another database and would cost a
write there, and anonymous clients have none. Signed, so that a client cannot send all its reads
to the primary. It lasts REPLICA_MAX_LAG seconds and one more: a replica that may serve at all has
replayed anything the primary had that long ago.

Unsafe methods (anything but GET, HEAD, OPTIONS, TRACE) read from the primaries only: a view that
reads a row and saves it back (UpdateView) must never write replica data over newer data.

Streaming responses. Their body is read after every middleware has returned. Each primary gets a
REPEATABLE READ transaction opened before the response leaves; the body reads that snapshot on
the primary, and the cookie holds a position past it. A replica cannot fail under a stream.

Failover. The router skips a replica that does not connect. A safe request whose query fails on a
replica (it died mid-query) runs once more on the primaries, inside ATOMIC_REQUESTS as the first
run was, but only if nothing was written on any alias: a view never writes twice.

Put it last in MIDDLEWARE, so that its process_exception sees a view's exception first.
"""

import math
import re
import sys
from contextlib import ExitStack

from asgiref.sync import async_to_sync, iscoroutinefunction
from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.signals import request_finished
from django.core.signing import BadSignature
from django.db import DatabaseError, InterfaceError, OperationalError, ProgrammingError, connections, transaction
from django.dispatch import receiver

from . import replicas

COOKIE = "replica_lsn"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
UNREACHABLE_LSN = "FFFFFFFF/FFFFFFFF"
INSERT_POSITION_SQL = "SELECT pg_current_wal_insert_lsn()::text"
# Statements that do not write; anything else counts as a write (it pins, and forbids a retry). A
# SELECT ... INTO creates a table, EXPLAIN ANALYZE runs its statement, and two statements in one call
# are not looked into: all count as writes.
READS = re.compile(r"\s*(SELECT|SHOW|EXPLAIN|VALUES|TABLE|SET|SAVEPOINT|RELEASE|ROLLBACK)\b", re.IGNORECASE)
NOT_READS = re.compile(r"\bINTO\b|^\s*EXPLAIN\s*(\(.*\bANALYZE\b|ANALYZE\b)|;\s*\S", re.IGNORECASE | re.DOTALL)
CTE_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


class Traffic:
    """What one request ran: the aliases its statements used, the ones it wrote to, whether it was retried."""

    def __init__(self):
        self.used, self.written, self.retried = set(), set(), False


class ReadReplicaMiddleware:
    """Route this client's reads so that it sees its writes and never goes back in time; retry a broken read."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.primaries = [primary for primary, aliases in getattr(settings, "DATABASE_REPLICAS", {}).items() if aliases]

    def __call__(self, request):
        if not self.primaries:
            return self.get_response(request)
        required = self.required(request)
        traffic = request.replica_traffic = Traffic()
        with ExitStack() as stack:
            stack.enter_context(replicas.client_context(required))
            if request.method not in SAFE_METHODS:
                stack.enter_context(replicas.primary_only())
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(Spotter(alias, traffic)))
            response = self.get_response(request)
        if response.streaming:
            self.snapshot(response, traffic)
        seen = self.positions(traffic)
        if any(position > required.get(primary, 0) for primary, position in seen.items()):
            self.remember(response, {**required, **{p: max(n, required.get(p, 0)) for p, n in seen.items()}})
        return response

    def required(self, request):
        """Return {primary: position} from this client's cookie: what its reads must see."""
        try:
            value = request.get_signed_cookie(COOKIE, default="", max_age=self.max_age())
        except BadSignature:
            return {}
        required = {}
        for item in value.split(","):
            primary, _, lsn = item.partition("=")
            if primary in self.primaries:
                try:
                    required[primary] = replicas.lsn_number(lsn)
                except ValueError:
                    continue
        return required

    def positions(self, traffic):
        """Return {primary: the newest position this request may have seen}, for the primaries it used."""
        seen = {}
        for primary in self.primaries:
            used = traffic.used & {primary, *replicas.replicas_of(primary)}
            if not used:
                continue
            replayed = [] if primary in used else [replicas.replay_position(alias) for alias in sorted(used)]
            if replayed and None not in replayed:
                seen[primary] = max(replayed)
            else:  # the primary was used, or a replica no longer answers: the primary's position bounds both
                seen[primary] = insert_position(primary)
        return seen

    def remember(self, response, positions):
        """Put the positions into the signed cookie."""
        response.set_signed_cookie(
            COOKIE,
            ",".join(f"{primary}={replicas.lsn_text(position)}" for primary, position in sorted(positions.items())),
            max_age=self.max_age(),
            httponly=True,
            samesite="Lax",
            secure=getattr(settings, "SESSION_COOKIE_SECURE", False),
        )

    def snapshot(self, response, traffic):
        """Make a streaming body read one snapshot per primary, on the primary, taken before the response leaves."""
        blocks = []
        for primary in [] if response.is_async else self.primaries:
            if connections[primary].in_atomic_block:
                continue  # an open transaction: its reads stay on the primary anyway
            block = transaction.atomic(using=primary)
            try:
                block.__enter__()
            except DatabaseError:
                continue  # the primary is gone: the body fails as it would have anyway
            blocks.append(block)
            try:
                with connections[primary].cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            except DatabaseError:
                pass  # the primary is gone: the body fails as it would have anyway
            # positions() reads the insert position next: the transaction's first snapshot, so a bound on it.
            traffic.used.add(primary)
        if blocks:
            response.streaming_content = Snapshot(response.streaming_content, blocks, self.primaries)

    @staticmethod
    def max_age():
        return math.ceil(getattr(settings, "REPLICA_MAX_LAG", 5)) + 1

    def process_exception(self, request, exception):
        """Run a safe request that wrote nothing again on the primaries when a replica failed under it."""
        traffic = getattr(request, "replica_traffic", None)
        if traffic is None or traffic.retried or traffic.written or request.method not in SAFE_METHODS:
            return None
        # ProgrammingError too: a replica that has not replayed a migration yet lacks a table or a column.
        if not isinstance(exception, OperationalError | InterfaceError | ProgrammingError):
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
            connections[alias].errors_occurred = False
        traffic.retried = True
        match = request.resolver_match
        view = match.func if iscoroutinefunction(match.func) else BaseHandler().make_view_atomic(match.func)
        try:
            with replicas.primary_only():
                response = (async_to_sync(view) if iscoroutinefunction(view) else view)(
                    request, *match.args, **match.kwargs
                )
                if hasattr(response, "render") and not response.is_rendered:
                    response = response.render()
        except (OperationalError, InterfaceError):
            # The primary failed too: the middleware before this one answers 503, naming what is down.
            return None
        return response


def insert_position(primary):
    """Return the primary's insert position now, or a position no replica reaches if it does not answer."""
    try:
        with connections[primary].cursor() as cursor:
            cursor.execute(INSERT_POSITION_SQL)
            return replicas.lsn_number(cursor.fetchone()[0])
    except DatabaseError:
        # A write may be committed while its position is unknown (the primary just went away): this
        # keeps the client on the primary for the cookie's life.
        return replicas.lsn_number(UNREACHABLE_LSN)


def writes(sql, many):
    """True unless the statement is known not to write (a function called by a SELECT is not seen)."""
    if many:
        return True
    if NOT_READS.search(sql):
        return True
    if sql.lstrip()[:4].upper() == "WITH":
        return bool(CTE_WRITES.search(sql))
    return not READS.match(sql)


class Spotter:
    """An execute wrapper that notes which aliases a request used and wrote, and pins a written primary."""

    def __init__(self, alias, traffic):
        self.alias, self.traffic = alias, traffic

    def __call__(self, execute, sql, params, many, context):
        if sql not in replicas.PROBES:  # the router's own questions are not the client's reads
            self.traffic.used.add(self.alias)
            if writes(sql, many):
                self.traffic.written.add(self.alias)
                replicas.pin(self.alias)  # raw SQL too: this request's later reads must see the write
            elif replicas.replicas_of(self.alias):
                replicas.stay_on_primary(self.alias)  # a read the router did not send (.using()): keep to it
        return execute(sql, params, many, context)


class Snapshot:
    """A streaming body read inside REPEATABLE READ transactions that end with it.

    Each primary's connection knows its open snapshot, so that one whose response never reached the
    server (an outer middleware answered 304 instead, or failed) is ended when the request finishes.
    """

    def __init__(self, content, blocks, primaries):
        self.content, self.blocks, self.primaries = content, blocks, primaries
        for primary in primaries:
            connections[primary].replica_snapshot = self

    def __iter__(self):
        try:
            yield from self.content
        except BaseException:
            self.end(sys.exc_info())
            raise
        self.end()

    def end(self, exc_info=(None, None, None)):
        """Commit (or roll back, after an error) each transaction once."""
        try:
            while self.blocks:
                self.blocks.pop().__exit__(*exc_info)
        finally:
            for primary in self.primaries:
                if getattr(connections[primary], "replica_snapshot", None) is self:
                    connections[primary].replica_snapshot = None

    def close(self):
        """Called by the server when the response is done, iterated or not."""
        try:
            if hasattr(self.content, "close"):
                self.content.close()
        finally:
            self.end()


@receiver(request_finished, dispatch_uid="routers.middleware.end_forgotten_snapshots")
def end_forgotten_snapshots(**kwargs):
    """End the snapshot of a streaming response that was replaced before the server could close it."""
    for primary in getattr(settings, "DATABASE_REPLICAS", {}):
        snapshot = getattr(connections[primary], "replica_snapshot", None)
        if snapshot is not None:
            snapshot.end((RuntimeError, RuntimeError("the streaming response was never sent"), None))
