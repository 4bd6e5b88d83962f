"""Read replicas: which alias serves a read, so that no client reads older data than it wrote or saw.

settings.DATABASE_REPLICAS maps a primary alias to its streaming replicas (PostgreSQL), e.g.
{"app2": ["app2_replica"]}. AppLabelRouter asks read_alias() for every read of a model routed to
such a primary. A read goes to a replica only when all of these hold:

- nothing in this context (request, thread or task) wrote to the primary, or is inside a
  transaction on it, or must not read replica data (an unsafe method: primary_only());
- the replica is a standby (pg_is_in_recovery(), so never a promoted one), and it has replayed
  everything the primary had REPLICA_MAX_LAG seconds ago: its pg_last_wal_replay_lsn() is compared
  with positions read from the primary, never with what the replica itself received;
- it has replayed this client's position (the newest data the client wrote or read, from
  ReadReplicaMiddleware's cookie), and it connects.

Within one client context every read of a primary's data comes from the one alias chosen first,
so a request never reads newer data and then older. A primary and its replicas' state are asked
at most once per REPLICA_STATUS_TTL seconds per process, by one thread; a replica that fails is
left alone for REPLICA_RETRY_AFTER seconds.
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
# This client's position per primary: the WAL a replica must have replayed to serve its reads.
_required = ContextVar("replicas_required", default=MappingProxyType({}))
# The alias each primary's reads come from in this client context (none outside one).
_chosen = ContextVar("replicas_chosen", default=None)

# The primary's insert position, not pg_current_wal_lsn() (the write position): with
# synchronous_commit = off a commit is visible once inserted, before it is written. Block and
# segment sizes say where a WAL page header sits (see caught_up()).
PRIMARY_SQL = (
    "SELECT pg_current_wal_insert_lsn()::text, current_setting('wal_block_size')::int, "
    "pg_size_bytes(current_setting('wal_segment_size'))"
)
REPLICA_SQL = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text"
PROBES = frozenset({PRIMARY_SQL, REPLICA_SQL})  # the router's own statements, not a client's reads
# XLogPageHeaderData and XLogLongPageHeaderData (the first page of a segment), MAXALIGNed on 64 bits.
SHORT_PAGE_HEADER, LONG_PAGE_HEADER = 24, 40


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


def lsn_text(number):
    return f"{number >> 32:X}/{number & 0xFFFFFFFF:X}"


def caught_up(replayed, position, block=8192, segment=16 << 20):
    """True if a standby that replayed to `replayed` has every record inserted before `position`.

    pg_current_wal_insert_lsn() points where the next record goes: just past the page header when
    the last record filled a page, while the standby's replay position stops at the page's start.
    """
    if replayed >= position:
        return True
    header = LONG_PAGE_HEADER if position % segment == LONG_PAGE_HEADER else SHORT_PAGE_HEADER
    return position % block == header and replayed >= position - header


@dataclass(frozen=True)
class Status:
    """What a replica said when last asked, judged against the primary's positions."""

    healthy: bool  # answered, and is a standby (not promoted)
    replayed: int  # its replay position, as a number
    fresh_at: float  # it had replayed all the primary had at this time.monotonic(); -inf if unknown
    asked_at: float

    def serves(self, now):
        """True if it is a standby whose data is at most REPLICA_MAX_LAG seconds old at `now`."""
        return self.healthy and now - self.fresh_at <= setting("REPLICA_MAX_LAG", 5)


DOWN = Status(False, 0, float("-inf"), float("-inf"))
MIRROR = Status(True, 1 << 64, float("inf"), float("inf"))  # the primary's own database (a test MIRROR)


class Primary:
    """One primary's replicas as this process last saw them, and the primary's recent positions."""

    def __init__(self, alias):
        self.alias = alias
        self.lock = threading.Lock()
        self.statuses = {}
        # (time.monotonic(), insert position), oldest first; a tuple replaced whole, so that readers in
        # other threads iterate a snapshot while refresh() adds and drops samples.
        self.samples = ()
        self.sizes = (8192, 16 << 20)  # WAL block and segment sizes, read from the primary
        self.asked_at = float("-inf")

    def current(self):
        """Return {replica: Status}, asking again when older than REPLICA_STATUS_TTL; one thread asks."""
        if time.monotonic() - self.asked_at < setting("REPLICA_STATUS_TTL", 1):
            return self.statuses
        # Another thread asking now: use what is known (stale answers only err towards the primary).
        if self.lock.acquire(blocking=not self.statuses):
            try:
                if time.monotonic() - self.asked_at >= setting("REPLICA_STATUS_TTL", 1):
                    self.refresh()
            finally:
                self.lock.release()
        return self.statuses

    def refresh(self):
        """Read the primary's position first, then each replica's: a replica at that position was fresh then."""
        now = time.monotonic()
        try:
            with connections[self.alias].cursor() as cursor:
                cursor.execute(PRIMARY_SQL)
                position, *sizes = cursor.fetchone()
            self.samples = (*self.samples, (now, lsn_number(position)))
            self.sizes = tuple(sizes)
        except DatabaseError:
            connections[self.alias].close()  # no new sample: the replicas' freshness only ages
        horizon = now - setting("REPLICA_MAX_LAG", 5) - setting("REPLICA_STATUS_TTL", 1)
        samples = self.samples
        while len(samples) > 1 and samples[1][0] < horizon:
            samples = samples[1:]
        self.samples = samples
        statuses = dict(self.statuses)
        for alias in replicas_of(self.alias):
            known = statuses.get(alias, DOWN)
            if not known.healthy and now - known.asked_at < setting("REPLICA_RETRY_AFTER", 5):
                continue
            statuses[alias] = self.ask(alias, now)
        self.statuses, self.asked_at = statuses, now

    def ask(self, alias, now):
        """Return a replica's status now; DOWN if it fails or is no longer a standby."""
        if same_database(alias, self.alias):
            return MIRROR
        replayed = replay_position(alias)
        if replayed is None:
            return Status(False, 0, float("-inf"), now)
        return Status(True, replayed, self.fresh_at(replayed), now)

    def fresh_at(self, replayed):
        """Return the time of the newest sample of the primary that `replayed` covers, or -inf."""
        for at, position in reversed(self.samples):
            if caught_up(replayed, position, *self.sizes):
                return at
        return float("-inf")

    def seen(self, alias, replayed):
        """Note a replica's replay position read outside refresh() (it only moves forward)."""
        known = self.statuses.get(alias)
        if known is not None and known.healthy and replayed > known.replayed:
            fresh = Status(True, replayed, max(known.fresh_at, self.fresh_at(replayed)), known.asked_at)
            self.statuses = {**self.statuses, alias: fresh}


def replay_position(alias):
    """Ask a replica how far it has replayed; None if it fails or is not a standby (promoted)."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(REPLICA_SQL)
            in_recovery, replayed = cursor.fetchone()
    except DatabaseError:
        connections[alias].close()
        connections[alias].errors_occurred = False  # handled: not this request's outage
        return None
    return lsn_number(replayed) if in_recovery and replayed else None


def same_database(replica, primary):
    """True if a replica alias names the primary's own database (a test MIRROR of it)."""
    # The connections' own settings: the test runner points a mirror's at the primary's test database.
    first, second = connections[replica].settings_dict, connections[primary].settings_dict
    return all(first.get(key) == second.get(key) for key in ("HOST", "PORT", "NAME"))


_primaries = {}
_primaries_lock = threading.Lock()


def primary_state(alias):
    """Return this process's Primary for a primary alias."""
    state = _primaries.get(alias)
    if state is None:
        with _primaries_lock:
            state = _primaries.setdefault(alias, Primary(alias))
    return state


def mark_down(alias):
    """Record that a replica failed a query: leave it alone for REPLICA_RETRY_AFTER seconds."""
    state = primary_state(primary_of(alias))
    state.statuses = {**state.statuses, alias: Status(False, 0, float("-inf"), time.monotonic())}


def read_alias(primary):
    """Return the alias to read from for a model whose primary is `primary`."""
    replicas = replicas_of(primary)
    if not replicas:
        return primary
    if _primary_only.get() or primary in _pinned.get() or connections[primary].in_atomic_block:
        stay_on_primary(primary)
        return primary
    chosen = _chosen.get()
    if chosen is not None and primary in chosen:
        return chosen[primary]  # one source per client context: never newer data, then older
    alias = choose(primary, replicas)
    if chosen is not None:
        chosen[primary] = alias
    return alias


def choose(primary, replicas):
    """Return a replica that serves this client now, or the primary."""
    state = primary_state(primary)
    statuses, now = state.current(), time.monotonic()
    required = _required.get().get(primary, 0)
    candidates = [alias for alias in replicas if statuses.get(alias, DOWN).serves(now)]
    random.shuffle(candidates)  # load spreading, not secrets
    for alias in candidates:
        if statuses[alias].replayed < required:
            # This client saw or wrote newer data than this process last knew of the replica: ask it.
            replayed = replay_position(alias)
            if replayed is None:
                mark_down(alias)
                continue
            state.seen(alias, replayed)
            if replayed < required:
                continue
        if connects(alias):
            return alias
    return primary


def connects(alias):
    """Connect to a replica before the router sends a query there; mark it down if it fails."""
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError:
        connection.close()
        connection.errors_occurred = False  # handled here: not an outage for this request
        mark_down(alias)
        return False
    return True


def pin(primary):
    """Send this context's later reads of `primary` to it: it is about to be written to."""
    if replicas_of(primary) and not stay_on_primary(primary) and primary not in _pinned.get():
        _pinned.set(_pinned.get() | {primary})  # outside a client context: this thread or task from now on


def stay_on_primary(primary):
    """In a client context, read `primary` from itself for the rest of it; False outside one.

    The choice is a dict shared by the contexts copied from the request's (asyncio tasks, sync_to_async),
    so a write or a primary read in any of them moves them all.
    """
    chosen = _chosen.get()
    if chosen is None:
        return False
    chosen[primary] = primary
    return True


@contextmanager
def primary_only():
    """Read every model from its primary inside the block (unsafe methods, checks, commands, a retry)."""
    token = _primary_only.set(True)
    try:
        yield
    finally:
        _primary_only.reset(token)


@contextmanager
def client_context(required):
    """A fresh read context for one request: nothing pinned or chosen, this client's positions required.

    `required` maps a primary alias to the WAL position (a number) its replicas must have replayed.
    """
    tokens = [
        (_pinned, _pinned.set(frozenset())),
        (_required, _required.set(MappingProxyType(dict(required)))),
        (_chosen, _chosen.set({})),
    ]
    try:
        yield
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)


def primaries():
    """Return the aliases in DATABASES that are not replicas: the ones to create, migrate and wait for."""
    return [alias for alias in connections if not is_replica(alias)]
