"""make consistency, short: the randomized history checker against the test site, and the checker on its own.

Each run builds its own PostgreSQL primary and two standbys, a throwaway MySQL database and a SQLite
file (tests/consistency/run.py), faults the standbys under six clients, and removes it all. The
checker's tests judge small hand-made histories: each guarantee finds the violation a history was
made to have, and only that one; a clean history has none.
"""

import os
import re

import pytest

from tests.consistency import checker
from tests.consistency.history import History, Op, Window
from tests.support.processes import python

MAX_LAG = 3
SHARE = re.compile(r"Reads served by replicas: [\d.]+ % overall \(\d+ of \d+\), ([\d.]+) % outside fault windows")


@pytest.mark.parametrize(("server", "seed", "duration"), [("wsgi", 2, 29), ("asgi", 4, 18)])
def test_a_short_run_keeps_every_guarantee(server, seed, duration):
    arguments = ["--seed", str(seed), "--duration", str(duration), *(["--asgi"] if server == "asgi" else [])]
    result = python("-m", "tests.consistency.run", *arguments, env=dict(os.environ), timeout=duration + 90)
    assert result.returncode == 0, result.stdout + result.stderr
    share = SHARE.search(result.stdout)
    assert share, result.stdout
    assert float(share.group(1)) >= 50, share.group(0)  # the goal with the default mix


def op(client, kind, start, *, row=1, version=None, served_by=("app2",), status=200, rows=None):
    """An operation that took a tenth of a second."""
    row = None if kind == "list" else row
    return Op(client, kind, start, start + 0.1, status, tuple(served_by), row, 0, version, rows or {})


CLEAN = [
    op(0, "edit", 0, version=1),
    op(0, "read", 1, version=1, served_by=["app2_replica"]),  # the replica had replayed the write
    op(1, "read", 1.5, version=0, served_by=["app2_replica_2"]),  # another client, within the lag bound
    op(1, "list", 5, rows={1: 1}, served_by=["app2_replica"]),
    op(1, "raw", 6, version=2),
    op(0, "edit", 7, version=3),
    op(1, "stream", 8, version=3),
    op(1, "async", 9, version=3, served_by=["app2_replica_2"]),
    op(0, "read", 20, version=3, served_by=["app2_replica_2"]),  # long after the promotion of the other
]
PROMOTED = Window("promote", 0, 9.5, 10)
BROKEN = {
    "read-your-writes": [
        op(0, "edit", 0, version=1),
        op(0, "read", 1, version=0),  # its own write missing
    ],
    "read-your-writes, a write's answer": [
        op(0, "read", 0, version=4),
        op(0, "raw", 1, version=4),  # the raw write's answer read before the write
    ],
    "monotonic reads": [
        op(0, "list", 0, rows={1: 2}, served_by=["app2_replica"]),
        op(0, "read", 1, version=1, served_by=["app2_replica_2"]),  # back in time
    ],
    "bounded staleness (3 s)": [
        op(0, "raw", 0, version=1),
        op(1, "read", 3.5, version=0, served_by=["app2_replica"]),  # v1 ended 3.4 s before
    ],
    "no read-modify-write on replica data": [
        op(0, "edit", 0, version=1, served_by=["app2", "app2_replica"]),
    ],
    "no read-modify-write on replica data, sequential": [
        op(0, "raw", 0, version=1),
        op(1, "edit", 1, version=1),  # read v0 after v1 was written: v1 lost
    ],
    "no read-modify-write on replica data, concurrent": [
        op(0, "edit", 0, version=1),
        op(1, "edit", 0.05, version=1),
    ],
    "no 5xx": [op(0, "read", 0, status=503)],
    "no 5xx, no answer": [op(0, "edit", 0, status=0)],
    "no 5xx, not the promised JSON": [Op(0, "read", 0, 0.1, 200, (), 1, error="unreadable answer")],
    "no read from a promoted standby": [op(0, "read", 12.5, version=0, served_by=["app2_replica"])],
}


def verdicts(ops, windows=(PROMOTED,)):
    return {verdict.name: verdict for verdict in checker.check(History(ops, list(windows)), MAX_LAG)}


def test_a_clean_history_breaks_no_guarantee():
    found = verdicts(CLEAN)
    assert {name: verdict.violations for name, verdict in found.items()} == {name: [] for name in found}
    assert all(verdict.checked for verdict in found.values())  # each guarantee judged something


@pytest.mark.parametrize("case", BROKEN)
def test_each_guarantee_finds_the_violation_made_for_it_and_only_it(case):
    found = verdicts(BROKEN[case])
    assert [name for name, verdict in found.items() if verdict.violations] == [case.split(",")[0]]


def test_the_report_says_what_broke_and_fails():
    lines = []
    assert checker.report(History(CLEAN, [PROMOTED]), MAX_LAG, print=lines.append)
    share = "Reads served by replicas: 83.3 % overall (5 of 6), 80.0 % outside fault windows (4 of 5)"
    assert share in "\n".join(lines)
    lines = []
    assert not checker.report(History(BROKEN["monotonic reads"], []), MAX_LAG, print=lines.append)
    text = "\n".join(lines)
    assert "monotonic reads: first 1 of 1\n  row 1: read v1 after reading v2\n    client 0 read" in text
