"""The production gunicorn (config/gunicorn.py), or `make run`'s runserver, on a free loopback port."""

import atexit
import contextlib
import http.client
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.support.http import exchange
from tests.support.processes import BASE_DIR

START_WITHIN = 30  # seconds for /health/live/ to answer 200 (the entrypoint migrates first)
STOP_WITHIN = 15  # seconds from SIGTERM to SIGKILL: config/gunicorn.py's graceful_timeout is 10


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """Start gunicorn on entry, once /health/live/ answers; stop it on exit (and at interpreter exit).

    launcher runs `gunicorn ...`: this Python's `-m` by default, or the image's entrypoint, which
    waits for the databases and migrates first. self.env is what it ran with, PORT included.
    """

    def __init__(self, env, *, log_path, workers=2, launcher=(sys.executable, "-m")):
        self.port = free_port()
        self.env = {**env, "GUNICORN_HOST": "127.0.0.1", "PORT": str(self.port), "WEB_CONCURRENCY": str(workers)}
        self.command = [*launcher, "gunicorn", "-c", "python:config.gunicorn", "config.wsgi"]
        self.log_path = Path(log_path)
        self.process = None

    def __enter__(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                self.command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        atexit.register(self.stop)
        deadline = time.monotonic() + START_WITHIN
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_path.read_text()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.get("/health/live/")[0] == 200:
                    return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not answer within {START_WITHIN} s:\n{self.log_path.read_text()}")
            time.sleep(0.1)

    def __exit__(self, *exc_info):
        self.stop()

    def stop(self):
        """SIGTERM, then SIGKILL after STOP_WITHIN seconds; safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def connection(self, timeout=10):
        """A connection to this gunicorn (http.client reopens it when gunicorn closes it)."""
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, path, headers=None, timeout=10):
        """GET path on a new connection; return (status, headers, body)."""
        connection = self.connection(timeout)
        try:
            return exchange(connection, "GET", path, headers=headers)
        finally:
            connection.close()


class Runserver(Gunicorn):
    """`manage.py runserver` as `make run` starts it (without the autoreloader), started and stopped as gunicorn is."""

    def __init__(self, env, *, log_path):
        super().__init__(env, log_path=log_path, workers=1)
        self.command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"]
