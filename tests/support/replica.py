"""A private PostgreSQL primary and its streaming standbys on loopback ports, built from the machine's server binaries.

initdb, pg_basebackup -R and pg_ctl run as the `postgres` OS user when the tests run as root
(PostgreSQL refuses root). Everything lives in one temporary directory, removed by stop(). Each
standby can be put in the faults a real one meets (PITFALLS.md, "Replicas under faults"): lagging
replay, paused replay, streaming cut, a crash, a promotion.
"""

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

from tests.support.gunicorn import free_port
from tests.support.processes import PRODUCTION_ENV, clean_environ

BINARIES = ("initdb", "pg_ctl", "pg_basebackup")
WITHIN = 60  # seconds any server binary, connection or wait may take


def server_binaries():
    """Return the directory holding initdb, pg_ctl and pg_basebackup: Debian's, else the PATH's."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(Path(path).parent.name))
    on_path = shutil.which("initdb")
    for directory in [*reversed(candidates), *([str(Path(on_path).parent)] if on_path else [])]:
        if all((Path(directory) / name).exists() for name in BINARIES):
            return Path(directory)
    raise RuntimeError(
        "The replica tests need PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup): on Debian or "
        "Ubuntu, the `postgresql` package."
    )


class PostgresCluster:
    """A primary and `standbys` standbys streaming from it, each on a free 127.0.0.1 port.

    Standby methods take the standby's index (0, the first, by default); standby_port is the first's.
    """

    def __init__(self, *, host_auth="trust", standbys=1):
        self.bin = server_binaries()
        self.host_auth = host_auth  # for TCP connections; the socket (in self.root) always trusts
        self.root = Path(tempfile.mkdtemp(prefix="replica-test-"))
        self.primary_port = free_port()
        self.standby_ports = []
        while len(self.standby_ports) < standbys:
            port = free_port()
            if port not in (self.primary_port, *self.standby_ports):
                self.standby_ports.append(port)
        self.conninfo = {}  # standby index: the primary_conninfo pg_basebackup -R wrote for it
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    @property
    def standby_port(self):
        return self.standby_ports[0]

    def data(self, standby):
        """The data directory of a standby, by index ("standby" for the first, as before there were more)."""
        return self.root / ("standby" if standby == 0 else f"standby{standby + 1}")

    def standbys(self):
        """Every standby's data directory, in index order."""
        return [self.data(index) for index in range(len(self.standby_ports))]

    def run(self, *args):
        """Run a server binary (as postgres when root); raise with its output when it fails."""
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=WITHIN + 10, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self, *, standby=True):
        """initdb the primary and start it; then clone each standby with pg_basebackup -R and start it."""
        primary = self.root / "primary"
        self.run(
            "initdb", "-D", str(primary), "-U", "postgres", "--auth-local=trust",
            f"--auth-host={self.host_auth}", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.primary_port}\n"
                f"unix_socket_directories = '{self.root}'\nwal_level = replica\n"
                # Each standby's receiver, and pg_basebackup -X stream's two while cloning.
                f"max_wal_senders = {2 * len(self.standby_ports) + 4}\n"
                # A standby whose streaming was cut or that was stopped catches up from what the primary kept.
                "wal_keep_size = '512MB'\n"
                "fsync = off\n"  # a throwaway cluster: speed over durability
            )
        self.pg_ctl(primary, "start")
        if standby:
            for index in range(len(self.standby_ports)):
                self.clone(index)
        return self

    def clone(self, standby=0):
        """Copy the primary into a standby streaming from it (initdb's pg_hba.conf allows replication).

        standby: an index, or (as callers written for one standby pass it) the first standby's directory.
        """
        index = standby if isinstance(standby, int) else self.standbys().index(Path(standby))
        data = self.data(index)
        self.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
            "-D", str(data), "-R", "-X", "stream", "--checkpoint=fast",  # not a spread checkpoint's minutes
        )  # fmt: skip
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.standby_ports[index]}\n")
        self.start_standby(index)
        # What -R wrote to postgresql.auto.conf, as the server parsed it: restore_streaming() puts it back.
        (self.conninfo[index],) = self.on(index, "SHOW primary_conninfo")

    def pg_ctl(self, data, action, *options):
        self.run(
            "pg_ctl", "-D", str(data), "-l", str(data.parent / f"{data.name}.log"), "-w", "-t", str(WITHIN),
            action, *options,
        )  # fmt: skip

    def stop_standby(self, standby=0):
        """Stop a standby the hard way, as a crash would."""
        self.pg_ctl(self.data(standby), "stop", "-m", "immediate")

    def start_standby(self, standby=0):
        self.pg_ctl(self.data(standby), "start")

    def stop(self):
        """Stop every server and remove every file."""
        for data in [*self.standbys(), self.root / "primary"]:
            if (data / "postmaster.pid").exists():
                with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                    self.pg_ctl(data, "stop", "-m", "immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, port, database):
        return f"postgres://postgres@127.0.0.1:{port}/{database}"

    def connect(self, port, database="postgres"):
        """Connect over the servers' socket, which trusts postgres whatever host_auth says."""
        return psycopg.connect(
            host=str(self.root), port=port, user="postgres", dbname=database, autocommit=True, connect_timeout=10
        )

    def on(self, standby, statement, params=None):
        """Run one statement on a standby; return its first row, if it returns any."""
        with self.connect(self.standby_ports[standby]) as connection:
            cursor = connection.execute(statement, params)
            return cursor.fetchone() if cursor.description else None

    def configure(self, standby, name, value):
        """ALTER SYSTEM SET name = value on a standby, and reload it."""
        self.on(standby, sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
        self.on(standby, "SELECT pg_reload_conf()")

    def delay_replay(self, seconds, standby=0):
        """Make a standby apply each commit `seconds` after the primary made it (recovery_min_apply_delay)."""
        self.configure(standby, "recovery_min_apply_delay", f"{int(seconds * 1000)}ms")

    def pause_replay(self, standby=0):
        """Stop applying WAL on a standby; it keeps receiving it."""
        self.on(standby, "SELECT pg_wal_replay_pause()")

    def resume_replay(self, standby=0):
        self.on(standby, "SELECT pg_wal_replay_resume()")

    def cut_streaming(self, standby=0):
        """Stop a standby's WAL receiver: it keeps serving what it has, its receive and replay positions equal."""
        self.configure(standby, "primary_conninfo", "")
        # The reload stops the receiver a moment later: until then it may still stream a commit or two.
        if not self.wait(lambda: not self.on(standby, "SELECT count(*) FROM pg_stat_wal_receiver")[0]):
            raise RuntimeError(f"standby {standby} still streams {WITHIN} s after its primary_conninfo was emptied")

    def restore_streaming(self, standby=0):
        self.configure(standby, "primary_conninfo", self.conninfo[standby])

    def promote(self, standby=0):
        """Make a standby a primary of its own (it diverges from the real one from then on); wait until it is."""
        (promoted,) = self.on(standby, "SELECT pg_promote(true, %s)", [WITHIN])
        if not promoted:
            raise RuntimeError(f"standby {standby} was not promoted within {WITHIN} s")

    def replayed(self, standby, within=WITHIN):
        """Wait until a standby has replayed everything the primary has written now; False if it did not in time."""
        with self.connect(self.primary_port) as primary:
            # The write position, not the insert one: that may point past a page header replay never reaches.
            (position,) = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
        caught_up = "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn"
        return self.wait(lambda: self.on(standby, caught_up, [position])[0], within)

    def wait(self, condition, within=WITHIN):
        """Poll condition() every 0.05 s (a connection error counts as no); return whether it held in time."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with contextlib.suppress(psycopg.OperationalError):
                if condition():
                    return True
            time.sleep(0.05)
        return False


def site_environ(cluster, *, settings, users, app1_url, max_lag, static_root, database="books", **extra):
    """The production site's environment on this cluster: app2 on the primary, each standby one of its replicas."""
    return clean_environ(
        **{**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": settings},
        DJANGO_HTTPS="false",
        DJANGO_STATIC_ROOT=str(static_root),
        DATABASE_URL=f"sqlite:///{users}",
        APP1_DATABASE_URL=app1_url,
        APP2_DATABASE_URL=cluster.url(cluster.primary_port, database),
        APP2_REPLICA_URLS=",".join(cluster.url(port, database) for port in cluster.standby_ports),
        DB_REPLICA_MAX_LAG=str(max_lag),
        **extra,
    )
