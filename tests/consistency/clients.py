"""The checker's clients: each a browser with its own cookies, running a seeded mix of reads and writes.

Every request is recorded as an Op (history.py), answered or not. A client waits for each answer
before its next request, so its operations are ordered, as a person's clicks are.

No two clients write one row at the same time (a lock per row, in this process). Two concurrent
UpdateViews lose an update on the primary alone, no replica involved (Django's save() takes no lock):
that would make a row's version go down and hide what the checker looks for. One at a time, every
write of a row adds one to the version the previous write left, unless it read older data.
"""

import contextlib
import http.client
import json
import time
from urllib.parse import urlencode

from tests.support.http import cookie_header, exchange, response_cookies

from .history import WRITES, Op

TIMEOUT = 10  # seconds per request: gunicorn's worker timeout is 30, a replica's connect timeout 2
# The default mix, by weight: reads (some through the async view), edits, raw writes, streams, lists;
# visits, reads by a newcomer with no cookie (nothing but the lag bound keeps them from old data);
# touches, GETs that write with raw SQL and read the row back.
MIX = {"read": 25, "async": 10, "stream": 10, "list": 10, "visit": 10, "edit": 15, "raw": 10, "touch": 5}
PATHS = {
    "read": "/registers/{row}/",
    "async": "/registers/{row}/async/",
    "stream": "/registers/{row}/stream/",
    "list": "/registers/",
    "edit": "/registers/{row}/edit/",
    "raw": "/registers/{row}/raw/",
    "touch": "/registers/{row}/touch/",
    "visit": "/registers/{row}/",
}


class Client:
    """One browser: its own connection and cookie jar, a seeded random.Random, every request recorded."""

    def __init__(self, number, port, rows, rng, history, *, writing, mix=MIX):
        """rows: the register ids; writing: {row: threading.Lock}, shared by all clients."""
        self.number, self.port, self.rows, self.rng, self.history = number, port, rows, rng, history
        self.writing = writing
        self.kinds, self.weights = list(mix), list(mix.values())
        self.cookies, self.visits = {}, 0
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)

    def run(self, stop, pause=0.02):
        """Make requests until stop is set, with a random pause of up to `pause` seconds between them."""
        try:
            while not stop.is_set():
                kind = self.rng.choices(self.kinds, self.weights)[0]
                row = None if kind == "list" else self.rng.choice(self.rows)
                self.request(kind, row)
                time.sleep(self.rng.uniform(0, pause))
        finally:
            self.connection.close()

    def request(self, kind, row):
        """Make one request of this kind on this row; record and return its Op."""
        path = PATHS[kind].format(row=row)
        visitor = kind == "visit"
        headers = {"Cookie": cookie_header(self.cookies)} if self.cookies and not visitor else {}
        body = None
        if kind in ("edit", "raw"):
            body = urlencode({"value": self.rng.randrange(1000)})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        client = str(self.number)
        if visitor:
            self.visits += 1
            client = f"{self.number}/v{self.visits}"
        with self.writing[row] if kind in WRITES else contextlib.nullcontext():
            op = Op(client, kind, time.monotonic(), 0.0, row=row)
            try:
                op.status, response_headers, raw = exchange(
                    self.connection, "POST" if body else "GET", path, body=body, headers=headers
                )
            except (OSError, http.client.HTTPException) as exc:
                self.connection.close()  # http.client opens a new one for the next request
                op.error = repr(exc)
            else:
                if not visitor:  # a visitor's cookie leaves with it
                    self.cookies.update(response_cookies(response_headers))
                if op.status == 200:
                    read_answer(op, raw)
            op.end = time.monotonic()
        self.history.add(op)
        return op


def read_answer(op, raw):
    """Fill op from a 200 answer's JSON; note an answer that is not what the contract promises."""
    try:
        answer = json.loads(raw)
        op.served_by = tuple(answer["served_by"])
        if op.kind == "list":
            op.rows = {row["id"]: row["version"] for row in answer["rows"]}
        else:
            op.value, op.version = answer["value"], answer["version"]
    except (ValueError, KeyError, TypeError) as exc:
        op.error = f"unreadable answer ({exc!r}): {raw[:200]!r}"
