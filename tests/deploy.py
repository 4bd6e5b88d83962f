"""Helpers for the deployment tests: run manage.py and the entrypoint as the stack would."""

import contextlib
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

from django.db import connections

from routers.management.commands.create_databases import CREATE_SQL

BASE_DIR = Path(__file__).resolve().parent.parent
ENTRYPOINT = BASE_DIR / "docker" / "entrypoint.sh"
EMPTY_ENV_FILE = os.devnull  # DJANGO_ENV_FILE: a developer's .env must not change what is tested

# What the production settings require, and nothing a developer's shell might add.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "deploy-test-" + "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
    "DJANGO_ENV_FILE": EMPTY_ENV_FILE,
}


def clean_environ(**overrides):
    """Return os.environ without DJANGO_* and database URLs, with PATH leading to this Python."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "GUNICORN_", "PYTEST_"))
        and key not in {"DATABASE_URL", "APP1_DATABASE_URL", "APP2_DATABASE_URL", "PORT", "WEB_CONCURRENCY"}
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(overrides)
    return env


def manage(*args, env, timeout=60):
    """Run manage.py in a subprocess; return the CompletedProcess (never raises on failure)."""
    return python("manage.py", *args, env=env, timeout=timeout)


def python(*args, env, timeout=60):
    """Run this Python in the project directory; return the CompletedProcess (never raises on failure)."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def throwaway_name(alias, purpose):
    """test_<configured name>_<purpose>: never pytest-django's test_<name>, and allowed by test_% grants."""
    return f"test_{connections.settings[alias]['NAME'].removeprefix('test_')}_{purpose}"


def drop_database(alias, name):
    """Drop database `name` on the alias's server, if it exists (a throwaway one, never the test database)."""
    connection = connections[alias]
    force = " WITH (FORCE)" if connection.vendor == "postgresql" else ""  # gunicorn may still hold one
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}{force}")


def recreate_database(alias, name):
    """Drop and create database `name` on the alias's server, as create_databases would."""
    drop_database(alias, name)
    connection = connections[alias]
    with connection._nodb_cursor() as cursor:
        cursor.execute(CREATE_SQL[connection.vendor].format(name=connection.ops.quote_name(name)))


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict, name, *, host=None, port=None):
    """Build a URL for settings_dict's server (optionally via host:port) and database `name`."""
    scheme = {"django.db.backends.mysql": "mysql", "django.db.backends.postgresql": "postgres"}[settings_dict["ENGINE"]]
    user = quote(settings_dict["USER"], safe="")
    password = f":{quote(str(settings_dict['PASSWORD']), safe='')}" if settings_dict["PASSWORD"] else ""
    host = host or settings_dict["HOST"] or "127.0.0.1"
    port = port or settings_dict["PORT"]
    return f"{scheme}://{user}{password}@{host}:{port}/{name}"


class TcpProxy:
    """Forward 127.0.0.1:<port> to a database server; stop() makes it look like the server died.

    start() after stop() listens on the same port again, as if the server came back: clients
    configured with the proxy's port reconnect without being told anything.
    """

    def __init__(self, target_host, target_port):
        self.target = (target_host, int(target_port))
        self.port = 0  # chosen by the first start(), kept by the next ones
        self.listener = None
        self.stopped = False
        self.placeholder = None  # while stopped: bound, not listening, so nobody else takes the port
        self.sockets = []
        self.lock = threading.Lock()
        self.start()

    def start(self):
        """Listen on 127.0.0.1:<port> (a free port the first time) and forward what arrives."""
        # create_server sets SO_REUSEADDR: the port is free again at once after stop().
        with self.lock:
            if self.placeholder is not None:
                self.placeholder.close()
                self.placeholder = None
            self.listener = socket.create_server(("127.0.0.1", self.port))
            self.stopped = False
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, args=(self.listener,), daemon=True).start()

    def accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                return  # listener closed by stop()
            server.settimeout(None)
            with self.lock:
                if listener is not self.listener or self.stopped:
                    # stop() ran while this connection was being set up: it must not survive it.
                    for sock in (client, server):
                        sock.close()
                    return
                self.sockets += [client, server]
            threading.Thread(target=self.pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client), daemon=True).start()

    @staticmethod
    def pump(source, destination):
        try:
            while data := source.recv(65536):
                destination.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, destination):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def stop(self):
        """Refuse new connections and cut the open ones."""
        with self.lock:
            self.stopped = True
            # shutdown() first: on Linux a bare close() leaves the blocked accept() listening.
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            # Keep the port: on a shared machine another test's proxy could be given it and answer.
            # Bound without listen(), it refuses connections like a dead server's port.
            self.placeholder = socket.socket()
            self.placeholder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.placeholder.bind(("127.0.0.1", self.port))
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()
