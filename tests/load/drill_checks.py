"""What the fault drill's records must show: the outages, the per-phase table, the checks and the report.

tests/load/drill.py runs the load and records every request (Record) and acknowledged write (Ack);
summarize() turns them into the table and the checks, print_report() prints both.
"""

from collections import Counter
from dataclasses import dataclass

OUTAGE_503_WITHIN = 2.0  # seconds: a page on a database that is down answers 503 within this
RECOVERY_WITHIN = 10.0  # seconds: after the server is back, its pages answer 200 again within this


@dataclass(frozen=True)
class Outage:
    """One server cut off: its alias, the phases around the cut, the reads it takes down and those it keeps."""

    alias: str
    down: str  # the phase while the proxy is stopped
    back: str  # the phase after it listens again
    lost: str  # the request kind that needs this server
    kept: str  # the other server's reads, which must keep answering
    cut: tuple = ()  # the aliases whose proxies stop (default: alias alone)
    replica: bool = False  # a replica: its reads move to the primary, and nothing may fail

    @property
    def proxies(self):
        return self.cut or (self.alias,)

    @property
    def lost_pages(self):
        return self.lost.split()[0]

    @property
    def kept_pages(self):
        return self.kept.split()[0]


OUTAGES = (
    Outage("app1", "mysql down", "mysql back", lost="film read", kept="book read"),
    # The PostgreSQL server, primary and replica: reads cannot move anywhere.
    Outage("app2", "postgres down", "postgres back", lost="book read", kept="film read", cut=("app2", "app2_replica")),
    Outage("app2_replica", "replica down", "replica back", lost="book read", kept="film read", replica=True),
)
PHASES = ("steady", *(phase for outage in OUTAGES for phase in (outage.down, outage.back)), "sqlite writers")


@dataclass
class Record:
    """One request: its phase and kind, when it started, how it was answered."""

    phase: str
    kind: str
    status: int  # 0: no HTTP answer (connection error or timeout)
    started: float
    latency: float
    named: tuple = ()  # the aliases a 503 page or /health/ names as down
    detail: str = ""  # the path, and the exception when there was no answer


@dataclass
class Ack:
    """A write the server acknowledged, and what it should have stored."""

    phase: str
    kind: str  # film, book, session
    key: str  # title or session key
    authors: frozenset = frozenset()


def is_success(record):
    """A write or a login answered 302, anything else 200."""
    wanted = 302 if record.kind in {"login", "film write", "book write"} else 200
    return record.status == wanted


def examples(records):
    """A few failed requests, to say what went wrong."""
    return [(r.status, r.named, r.detail, round(r.latency, 2)) for r in records][:3] or ""


def slowest(records):
    """The longest latency among the records, 0 for none."""
    return max((record.latency for record in records), default=0)


def stored(ack, found):
    """The acknowledged write is on its server (a book with exactly its authors)."""
    if ack.kind == "book":
        return ack.key in found["book"] and found["book"][ack.key] == ack.authors
    return ack.key in found[ack.kind]


def phase_table(load, found):
    """One row per phase: requests, how they were answered, writes acknowledged and found."""
    table = []
    for phase in PHASES:
        records = [r for r in load.records if r.phase == phase]
        acks = [a for a in load.acks if a.phase == phase]
        table.append(
            {
                "phase": phase,
                "requests": len(records),
                "successes": sum(map(is_success, records)),
                "503s": sum(r.status == 503 for r in records),
                "other errors": sum(not is_success(r) and r.status != 503 for r in records),
                "max latency s": round(max((r.latency for r in records), default=0), 2),
                "acknowledged": len(acks),
                "found": sum(stored(a, found) for a in acks),
            }
        )
    return table


# The checks: each returns one row, {"check": name, "ok": bool, "detail": text}.


def check_row(name, ok, detail=""):
    return {"check": name, "ok": bool(ok), "detail": detail}


def answered_while_down(load, outage, window):
    """Requests of the down phase answered while the path was still cut (see cut_off in drill.py)."""
    restored_at = window[1]
    return [r for r in load.records if r.phase == outage.down and r.started + r.latency < restored_at]


def lost_pages_turn_503(load, outage, window):
    """From the first 503 on, every page on the lost database is a 503 naming it, none slower than the limit."""
    # The first 503 comes within 2 s of the cut. Answers before it (requests already past their
    # database when the path was cut) are counted in the detail.
    gone = sorted(
        (r for r in answered_while_down(load, outage, window) if r.kind == outage.lost), key=lambda r: r.started
    )
    # Latency counts for every request of the phase, answered before the restore or not.
    waited = [r for r in load.records if r.phase == outage.down and r.kind == outage.lost]
    first = next((r for r in gone if r.status == 503 and outage.alias in r.named), None)
    turned = first.started + first.latency - window[0] if first else None
    after = gone[gone.index(first) :] if first else []
    wrong = [r for r in after if r.status != 503 or outage.alias not in r.named or r.latency > OUTAGE_503_WITHIN]
    return check_row(
        f"{outage.down}: {outage.lost_pages} pages 503 naming {outage.alias} within {OUTAGE_503_WITHIN:g} s, "
        "each answer too",
        first and turned <= OUTAGE_503_WITHIN and not wrong and slowest(waited) <= OUTAGE_503_WITHIN,
        f"{len(gone)} requests; first 503 {turned if turned is None else round(turned, 2)} s after the cut, "
        f"{len(gone) - len(after)} answered before it; {len(wrong)} not 503 after it {examples(wrong)}; "
        f"slowest {slowest(waited):.2f} s",
    )


def kept_pages_answer(load, outage, window):
    """The other server's pages, user pages and logins keep answering."""
    kept = [r for r in answered_while_down(load, outage, window) if r.kind in {outage.kept, "user read", "login"}]
    failed = [r for r in kept if not is_success(r)]
    return check_row(
        f"{outage.down}: {outage.kept_pages} pages, user pages and logins answer",
        kept and not failed,
        f"{len(kept)} requests, {len(failed)} failed",
    )


def health_names_the_server(load, outage, window):
    """/health/ names the server alone: 503 with it down, or 200 with a replica merely degraded."""
    status, says = (
        (200, f"answers 200, {outage.alias} degraded") if outage.replica else (503, f"names {outage.alias} alone")
    )
    health = [r for r in answered_while_down(load, outage, window) if r.kind == "health"]
    wrong = [r for r in health if r.status != status or r.named != (outage.alias,)]
    return check_row(
        f"{outage.down}: /health/ {says}", health and not wrong, f"{len(health)} requests {examples(wrong)}"
    )


def replica_outage_costs_nothing(load, outage, window):
    """While only the replica is down, every request answers as usual: its reads run on the primary."""
    answered = answered_while_down(load, outage, window)
    failed = [r for r in answered if not is_success(r)]
    return check_row(
        f"{outage.down}: every page, write and login answers (reads on the primary)",
        answered and not failed,
        f"{len(answered)} requests, {len(failed)} failed {examples(failed)}",
    )


def replica_serves_again(outage, seconds):
    """Clients connect through the replica again soon after it is back, without restarting gunicorn."""
    return check_row(
        f"{outage.back}: reads on {outage.alias} again within {RECOVERY_WITHIN:g} s, gunicorn not restarted",
        seconds is not None and seconds <= RECOVERY_WITHIN,
        f"after {seconds:.2f} s" if seconds is not None else "never",
    )


def pages_recover(outage, seconds):
    """The lost pages answer 200 again soon after the server is back, without restarting gunicorn."""
    return check_row(
        f"{outage.back}: {outage.lost_pages} pages 200 again within {RECOVERY_WITHIN:g} s, gunicorn not restarted",
        seconds is not None and seconds <= RECOVERY_WITHIN,
        f"after {seconds:.2f} s" if seconds is not None else "never",
    )


def sqlite_never_locked(locked, writers_result, locked_in_log):
    """Neither the concurrent writers nor gunicorn saw "database is locked"."""
    return check_row(
        "sqlite writers: zero 'database is locked'",
        locked == 0 and writers_result.get("other_errors", 1) == 0,
        f"sqlite_writers {writers_result}; {locked_in_log} in gunicorn's log",
    )


def concurrent_logins_succeed(load):
    """Every login beside the SQLite writers got in."""
    logins = [r for r in load.records if r.phase == "sqlite writers" and r.kind == "login"]
    return check_row(
        "sqlite writers: every concurrent login answered 302",
        logins and all(is_success(r) for r in logins),
        f"{len(logins)} logins",
    )


def no_server_errors(load):
    """No answer was a 5xx other than the 503 of a database that is down."""
    server_errors = [r for r in load.records if r.status >= 500 and r.status != 503]
    return check_row(
        "no 500 anywhere",
        not server_errors,
        f"{len(server_errors)} responses {[(r.phase, r.kind, r.detail) for r in server_errors][:3] or ''}",
    )


def nothing_lost(load, lost):
    return check_row("nothing acknowledged is lost", not lost, f"{len(load.acks)} acknowledged, {len(lost)} missing")


def no_book_half_written(wrong_authors):
    return check_row(
        "no book half-written (authors exactly as posted)", not wrong_authors, f"{len(wrong_authors)} differ"
    )


def summarize(load, found, recovery, windows, writers_result, locked_in_log):
    """Build the per-phase table and the checks from the records."""
    lost = [a for a in load.acks if not stored(a, found)]
    wrong_authors = [
        a for a in load.acks if a.kind == "book" and a.key in found["book"] and found["book"][a.key] != a.authors
    ]
    locked = writers_result.get("locked", 0) + locked_in_log
    checks = []
    for outage in OUTAGES:
        window = windows[outage.alias]
        if outage.replica:
            checks += [
                replica_outage_costs_nothing(load, outage, window),
                health_names_the_server(load, outage, window),
                replica_serves_again(outage, recovery.get(outage.alias)),
            ]
            continue
        checks += [
            lost_pages_turn_503(load, outage, window),
            kept_pages_answer(load, outage, window),
            health_names_the_server(load, outage, window),
            pages_recover(outage, recovery.get(outage.alias)),
        ]
    checks += [
        sqlite_never_locked(locked, writers_result, locked_in_log),
        concurrent_logins_succeed(load),
        no_server_errors(load),
        nothing_lost(load, lost),
        no_book_half_written(wrong_authors),
    ]
    acked = {(a.kind, a.key) for a in load.acks}
    return {
        "table": phase_table(load, found),
        "checks": checks,
        "lost": len(lost),
        "locked": locked,
        "wrong_authors": len(wrong_authors),
        "unacknowledged_but_stored": sum(
            (kind, key) not in acked and key in found[kind] for kind, key in load.attempts
        ),
        "recovery": recovery,
        "sqlite_writers": writers_result,
        "records": load.records,
    }


def print_report(result):
    """Print the per-phase table, the other errors and a PASS or FAIL line per check."""
    columns = ["phase", "requests", "successes", "503s", "other errors", "max latency s", "acknowledged", "found"]
    widths = [16, 9, 10, 6, 13, 14, 13, 6]
    print(" ".join(f"{c:>{w}}" if i else f"{c:<{w}}" for i, (c, w) in enumerate(zip(columns, widths, strict=True))))
    for row in result["table"]:
        cells = [row[c] for c in columns]
        print(" ".join(f"{v:>{w}}" if i else f"{v:<{w}}" for i, (v, w) in enumerate(zip(cells, widths, strict=True))))
    print(
        f"acknowledged = writes answered 302 (films, books, logins' sessions); found = of those, on their server "
        f"afterwards (books with exactly their authors). Stored without an acknowledgement: "
        f"{result['unacknowledged_but_stored']}."
    )
    failures = Counter((r.phase, r.kind, r.status) for r in result["records"] if not is_success(r) and r.status != 503)
    if failures:
        print("other errors (phase, kind, status): " + ", ".join(f"{k}: {n}" for k, n in failures.items()))
        print("no answer: " + "; ".join({r.detail for r in result["records"] if r.status == 0}))
    print()
    for check in result["checks"]:
        print(f"{'PASS' if check['ok'] else 'FAIL'}  {check['check']}: {check['detail']}")
