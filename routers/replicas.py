"""Read replicas: which alias serves a read, so that nobody reads older data than they wrote.

settings.DATABASE_REPLICAS maps a primary alias to its streaming replicas (PostgreSQL), e.g.
{"app2": ["app2_replica"]}. AppLabelRouter asks read_alias() for every read of a model routed to
such a primary. A read goes to a replica only when all of these hold:

- nothing in this context (request, thread or task) wrote to the primary, or is inside a
  transaction on it: those reads must see the writes (pin(), in_atomic_block);
- the replica answers, and lags at most REPLICA_MAX_LAG seconds behind the primary;
- the replica has replayed this client's last write: its pg_last_wal_replay_lsn() is at or past
  the primary's LSN that ReadReplicaMiddleware stored in a signed cookie after the write.

Otherwise the read goes to the primary. A replica's state is asked at most once per
REPLICA_STATUS_TTL seconds per process; one that fails is left alone for REPLICA_RETRY_AFTER.
"""

import random
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType

from django.conf import settings
from django.db import DatabaseError, connections

# Reads that must come from the primary, in this context: primaries written to, and everything.
_pinned = ContextVar("replicas_pinned", default=frozenset())
_primary_only = ContextVar("replicas_primary_only", default=False)
# This client's last write, per primary: the LSN a replica must have replayed to serve its reads.
_required_lsn = ContextVar("replicas_required_lsn", default=MappingProxyType({}))

# Whether the replica is in recovery, how far it has replayed, and its lag. The lag is 0 when it has
# replayed all it received: `now() - pg_last_xact_replay_timestamp()` alone grows while the primary
# is idle and would call an idle replica late.
STATUS_SQL = """
SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END
"""


def setting(name, default):
    return getattr(settings, name, default)


def replicas_of(alias):
    """Return the replica aliases of a primary alias (none for most)."""
    return setting("DATABASE_REPLICAS", {}).get(alias, [])


def primary_of(alias):
    """Return the primary a replica alias copies, or alias itself."""
    for primary, replicas in setting("DATABASE_REPLICAS", {}).items():
        if alias in replicas:
            return primary
    return alias


def is_replica(alias):
    return primary_of(alias) != alias


def lsn_number(lsn):
    """PostgreSQL's "16/B374D848" as one comparable integer."""
    high, low = lsn.split("/")
    return (int(high, 16) << 32) | int(low, 16)


@dataclass(frozen=True)
class Status:
    """What a replica said when last asked."""

    healthy: bool
    replayed: int | None  # LSN as a number; None: not a standby (a test mirror), nothing to wait for
    lag: float
    asked_at: float

    def serves(self, required_lsn):
        """True if it may serve a read that must see the primary's `required_lsn` (a string, or None)."""
        if not self.healthy or self.lag > setting("REPLICA_MAX_LAG", 5):
            return False
        return required_lsn is None or self.replayed is None or self.replayed >= lsn_number(required_lsn)


_statuses = {}
_statuses_lock = threading.Lock()


def status(alias):
    """Return the replica's status, asking it again when the last answer is too old."""
    now = time.monotonic()
    known = _statuses.get(alias)
    ttl = setting("REPLICA_STATUS_TTL", 1) if known is None or known.healthy else setting("REPLICA_RETRY_AFTER", 5)
    if known is not None and now - known.asked_at < ttl:
        return known
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(STATUS_SQL)
            in_recovery, replayed, lag = cursor.fetchone()
        fresh = Status(True, lsn_number(replayed) if in_recovery and replayed else None, float(lag), now)
    except DatabaseError:
        connections[alias].close()
        fresh = Status(False, None, 0.0, now)
    with _statuses_lock:
        _statuses[alias] = fresh
    return fresh


def mark_down(alias):
    """Record that a replica failed a query: leave it alone for REPLICA_RETRY_AFTER seconds."""
    with _statuses_lock:
        _statuses[alias] = Status(False, None, 0.0, time.monotonic())


def read_alias(primary):
    """Return the alias to read from for a model whose primary is `primary`."""
    replicas = replicas_of(primary)
    if not replicas or _primary_only.get() or primary in _pinned.get() or connections[primary].in_atomic_block:
        return primary
    required = _required_lsn.get().get(primary)
    candidates = [alias for alias in replicas if status(alias).serves(required)]
    return random.choice(candidates) if candidates else primary  # noqa: S311 - load spreading, not secrets


def pin(primary):
    """Send this context's later reads of `primary` to it: it is about to be written to."""
    if replicas_of(primary) and primary not in _pinned.get():
        _pinned.set(_pinned.get() | {primary})


@contextmanager
def primary_only():
    """Read every model from its primary inside the block (checks, commands, a retried request)."""
    token = _primary_only.set(True)
    try:
        yield
    finally:
        _primary_only.reset(token)


@contextmanager
def client_context(required_lsn):
    """A fresh read context for one request: nothing pinned, this client's last writes required."""
    tokens = [(_pinned, _pinned.set(frozenset())), (_required_lsn, _required_lsn.set(required_lsn))]
    try:
        yield
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)


def primaries():
    """Return the aliases in DATABASES that are not replicas: the ones to create, migrate and wait for."""
    return [alias for alias in connections if not is_replica(alias)]
