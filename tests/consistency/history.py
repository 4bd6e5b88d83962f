"""What `make consistency` records: every client operation and every fault window, on the driver's clock.

Times are time.monotonic() of the driver process: an operation starts before its request is sent
and ends after its response is read, so anything the server did for it lies inside [start, end].
"""

import threading
from dataclasses import dataclass, field

PRIMARY = "app2"
READS = ("read", "async", "stream", "list", "visit")  # GETs; a visit is a first one, with no cookie
WRITES = ("edit", "raw", "touch")  # POSTs, and a GET that writes


def replica_alias(standby):
    """The alias the site gives a standby, by its index in APP2_REPLICA_URLS (settings/base.py)."""
    return "app2_replica" if standby == 0 else f"app2_replica_{standby + 1}"


def is_replica(alias):
    return alias.startswith(f"{PRIMARY}_replica")


@dataclass
class Op:
    """One request a client made, and what it saw."""

    client: str  # "3" for client 3; "3/v12" for its 12th one-off visitor, a client of its own
    kind: str  # one of READS or WRITES
    start: float
    end: float
    status: int = 0  # 0: no HTTP answer (connection error, timeout)
    served_by: tuple = ()
    row: int | None = None  # None for a list read
    value: int | None = None
    version: int | None = None
    rows: dict = field(default_factory=dict)  # a list read's {row id: version}
    error: str = ""  # no answer, or a body that is not the JSON the contract promises

    @property
    def ok(self):
        return self.status == 200 and not self.error

    @property
    def write(self):
        return self.kind in WRITES

    @property
    def from_replica(self):
        return any(is_replica(alias) for alias in self.served_by)

    def seen(self):
        """(row, version) pairs this operation saw: every row of a list read, else its own row."""
        if not self.ok:
            return []
        if self.kind == "list":
            return list(self.rows.items())
        return [] if self.version is None else [(self.row, self.version)]


@dataclass
class Window:
    """A fault on one standby: injected at start, in place from ready, healed (and caught up) at end."""

    kind: str  # delay, pause, cut, stop, promote
    standby: int
    start: float
    ready: float
    end: float = float("inf")  # a promotion never heals
    detail: str = ""

    def overlaps(self, op):
        return op.start <= self.end and op.end >= self.start

    @property
    def alias(self):
        return replica_alias(self.standby)


@dataclass
class History:
    """Operations and windows, appended to from many threads (list.append is atomic; the lock orders dumps)."""

    ops: list = field(default_factory=list)
    windows: list = field(default_factory=list)
    started: float = 0.0  # the clients' first moment: printed times are relative to it
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, op):
        with self.lock:
            self.ops.append(op)

    def fault(self, window):
        with self.lock:
            self.windows.append(window)
