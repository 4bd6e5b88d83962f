"""The guarantees a client of the replica-routed site relies on, judged on a recorded History.

Each check returns a Verdict: how many operations (or row readings) it judged, and the violations,
each a sentence and the operations that show it. report() prints them all and the share of reads
the replicas served; it returns whether every guarantee held.

Versions only grow on the primary: every write adds one, and the clients never write one row at
once (clients.py), so a version stands for "this write and every one before it". A lost update
breaks that; it is reported as such, and may show under other guarantees too, as a client sees it.
"""

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .history import READS, WRITES

SHOWN = 3  # offending cases printed in full per guarantee
PROMOTION_GRACE = 2.0  # seconds: a worker asks a replica's state once a second (REPLICA_STATUS_TTL) and may use it


@dataclass
class Verdict:
    """One guarantee's judgement: what it looked at, and every violation with the operations that show it."""

    name: str
    checked: int = 0
    violations: list = field(default_factory=list)  # (sentence, [ops])

    def violate(self, sentence, *ops):
        self.violations.append((sentence, list(ops)))


def by_client(ops):
    """Each client's operations in the order it made them (a client waits for each answer)."""
    clients = defaultdict(list)
    for op in sorted(ops, key=lambda op: op.start):
        clients[op.client].append(op)
    return clients


def read_your_writes(ops):
    """A client's read of a row after its own write sees that write; a write's answer shows the write."""
    verdict = Verdict("read-your-writes")
    for client_ops in by_client(ops).values():
        written, seen = {}, {}  # row: (version, op), the client's newest write / highest version seen
        for op in client_ops:
            if op.kind in READS:
                for row, version in op.seen():
                    if row in written:
                        verdict.checked += 1
                        wrote, write = written[row]
                        if version < wrote:
                            verdict.violate(f"row {row}: read v{version} after writing v{wrote}", op, write)
            elif op.ok and op.version is not None:
                verdict.checked += 1
                saw, where = seen.get(op.row, (-1, None))
                if op.version <= saw:
                    # The write added one to the newest version, which was at least the one the client had seen.
                    verdict.violate(
                        f"row {op.row}: {op.kind} answered v{op.version}, the client had seen v{saw}", op, where
                    )
                if op.row not in written or op.version > written[op.row][0]:
                    written[op.row] = (op.version, op)
            for row, version in op.seen():
                if row not in seen or version > seen[row][0]:
                    seen[row] = (version, op)
    return verdict


def monotonic_reads(ops):
    """Per client and row, the versions its reads see never go down (a list read counts for every row)."""
    verdict = Verdict("monotonic reads")
    for client_ops in by_client(ops).values():
        highest = {}  # row: (version, op)
        for op in client_ops:
            if op.kind not in READS:
                continue
            for row, version in op.seen():
                if row in highest:
                    verdict.checked += 1
                    saw, where = highest[row]
                    if version < saw:
                        verdict.violate(f"row {row}: read v{version} after reading v{saw}", op, where)
                if row not in highest or version > highest[row][0]:
                    highest[row] = (version, op)
    return verdict


class Newest:
    """The successful writes of each row by end time, to ask: the highest version written before time t?"""

    def __init__(self, ops):
        self.ends, self.writes = defaultdict(list), defaultdict(list)  # row: ends in order; highest write up to each
        for op in sorted((op for op in ops if op.write and op.ok and op.version is not None), key=lambda op: op.end):
            highest = self.writes[op.row][-1] if self.writes[op.row] else None
            self.ends[op.row].append(op.end)
            self.writes[op.row].append(op if highest is None or op.version > highest.version else highest)

    def before(self, row, moment):
        """The write of `row` with the highest version among those that ended before `moment`, or None."""
        count = bisect.bisect_left(self.ends[row], moment)
        return self.writes[row][count - 1] if count else None


def bounded_staleness(ops, max_lag):
    """A replica's answer at t has every write that ended before t - max_lag (by any client)."""
    verdict = Verdict(f"bounded staleness ({max_lag:g} s)")
    newest = Newest(ops)
    for op in ops:
        if op.kind not in READS or not op.from_replica:
            continue
        for row, version in op.seen():
            verdict.checked += 1
            write = newest.before(row, op.start - max_lag)
            if write is not None and version < write.version:
                late = op.start - write.end
                sentence = f"row {row}: a replica answered v{version}, {late:.1f} s after v{write.version} was written"
                verdict.violate(sentence, op, write)
    return verdict


def no_read_modify_write_on_replicas(ops):
    """No POST reads a replica, and no edit builds on older data than a write that had ended (a lost update).

    An edit answers the version it read plus one; the clients never write one row at once, so it
    read at least the version of every write of the row that ended before it started.
    """
    verdict = Verdict("no read-modify-write on replica data")
    newest, edits = Newest(ops), defaultdict(list)  # (row, version): the edits that answered it
    for op in sorted(ops, key=lambda op: op.start):
        if not op.write:
            continue
        verdict.checked += 1
        if op.from_replica:
            verdict.violate(f"{op.kind} of row {op.row} was served by {', '.join(op.served_by)}", op)
        if op.kind != "edit" or not op.ok or op.version is None:
            continue
        earlier, same = newest.before(op.row, op.start), edits[op.row, op.version]
        if earlier is not None and op.version <= earlier.version:
            done = f"a {earlier.kind} had answered v{earlier.version}"
            verdict.violate(f"row {op.row}: an edit answered v{op.version} after {done}: a lost update", op, earlier)
        elif same:  # edits at the same time: nothing kept them apart
            verdict.violate(f"row {op.row}: two edits each answered v{op.version}: a lost update", same[0], op)
        same.append(op)
    return verdict


def no_server_errors(ops):
    """Every request is answered, below 500, with the JSON the contract promises."""
    verdict = Verdict("no 5xx")
    for op in ops:
        verdict.checked += 1
        if op.status == 0 or op.status >= 500 or op.error:
            verdict.violate(f"{op.kind}: {op.status or 'no answer'} {op.error}".rstrip(), op)
    return verdict


def promoted_unread(ops, windows):
    """No read is served by a promoted standby once the site has had time to notice it is one."""
    verdict = Verdict("no read from a promoted standby")
    promotions = [window for window in windows if window.kind == "promote"]
    for op in ops:
        if op.kind not in READS or not op.ok:
            continue
        for window in promotions:
            if op.start > window.ready + PROMOTION_GRACE:
                verdict.checked += 1
                if window.alias in op.served_by:
                    after = op.start - window.ready
                    verdict.violate(f"{window.alias} served a read {after:.1f} s after its promotion", op)
    return verdict


def check(history, max_lag):
    """Every guarantee's Verdict, in the order report() prints them."""
    return [
        read_your_writes(history.ops),
        monotonic_reads(history.ops),
        bounded_staleness(history.ops, max_lag),
        no_read_modify_write_on_replicas(history.ops),
        no_server_errors(history.ops),
        promoted_unread(history.ops, history.windows),
    ]


def replica_share(history):
    """(replica reads, reads) among successful reads: all of them, and those outside every fault window."""
    reads = [op for op in history.ops if op.kind in READS and op.ok]
    quiet = [op for op in reads if not any(window.overlaps(op) for window in history.windows)]
    return [(sum(op.from_replica for op in group), len(group)) for group in (reads, quiet)]


def percent(part, whole):
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def describe(op, history):
    """One operation in full, with its times relative to the run's start and the faults it overlapped."""
    at = f"{op.start - history.started:8.3f}-{op.end - history.started:.3f} s"
    row = "all rows" if op.row is None else f"row {op.row}"
    seen = f"rows {op.rows}" if op.kind == "list" else f"value {op.value} v{op.version}"
    faults = [f"{w.kind} standby {w.standby}" for w in history.windows if w.overlaps(op)]
    line = f"client {op.client} {op.kind:6} {row:8} {at} status {op.status} served_by {list(op.served_by)} {seen}"
    return line + (f" during {', '.join(faults)}" if faults else "") + (f" error {op.error}" if op.error else "")


def report(history, max_lag, print=print):  # a test passes its own printer
    """Print what the run did, each guarantee's verdict and its first offences, the replicas' share; return ok."""
    ops, windows = history.ops, history.windows
    span = max((op.end for op in ops), default=history.started) - history.started
    kinds = Counter(op.kind for op in ops)
    faults = Counter(window.kind for window in windows)
    print(f"History: {len(ops)} operations by {len({op.client for op in ops})} clients in {span:.1f} s")
    print("  " + ", ".join(f"{kind} {kinds[kind]}" for kind in (*READS, *WRITES)))
    print(f"  fault windows: {len(windows)} (" + ", ".join(f"{k} {n}" for k, n in sorted(faults.items())) + ")")
    verdicts = check(history, max_lag)
    print(f"\n{'guarantee':40} {'checked':>9} {'violations':>11}")
    for verdict in verdicts:
        print(f"{verdict.name:40} {verdict.checked:9} {len(verdict.violations):11}")
    for verdict in verdicts:
        if verdict.violations:
            print(f"\n{verdict.name}: first {min(SHOWN, len(verdict.violations))} of {len(verdict.violations)}")
            earliest = sorted(verdict.violations, key=lambda violation: violation[1][0].start)
            for sentence, offenders in earliest[:SHOWN]:
                print(f"  {sentence}")
                for op in offenders:
                    print(f"    {describe(op, history)}")
    (overall, reads), (quiet, quiet_reads) = replica_share(history)
    print(
        f"\nReads served by replicas: {percent(overall, reads)} overall ({overall} of {reads}), "
        f"{percent(quiet, quiet_reads)} outside fault windows ({quiet} of {quiet_reads})"
    )
    return all(not verdict.violations for verdict in verdicts)
