"""A private PostgreSQL primary and streaming standby on loopback ports, built from the machine's server binaries.

initdb, pg_basebackup -R and pg_ctl run as the `postgres` OS user when the tests run as root
(PostgreSQL refuses root). Everything lives in one temporary directory, removed by stop().
"""

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tests.support.gunicorn import free_port

BINARIES = ("initdb", "pg_ctl", "pg_basebackup")


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
    """A primary and one standby streaming from it, each on a free 127.0.0.1 port."""

    def __init__(self, *, host_auth="trust"):
        self.bin = server_binaries()
        self.host_auth = host_auth  # for TCP connections; the socket (in self.root) always trusts
        self.root = Path(tempfile.mkdtemp(prefix="replica-test-"))
        self.primary_port, self.standby_port = free_port(), free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    def run(self, *args):
        """Run a server binary (as postgres when root); raise with its output when it fails."""
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self, *, standby=True):
        """initdb the primary and start it; then clone the standby with pg_basebackup -R and start it."""
        primary = self.root / "primary"
        self.run(
            "initdb", "-D", str(primary), "-U", "postgres", "--auth-local=trust",
            f"--auth-host={self.host_auth}", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.primary_port}\n"
                f"unix_socket_directories = '{self.root}'\nwal_level = replica\nmax_wal_senders = 4\n"
                "fsync = off\n"  # a throwaway cluster: speed over durability
            )
        self.pg_ctl(primary, "start")
        if standby:
            self.clone(self.root / "standby")
        return self

    def clone(self, standby):
        """Copy the primary into a standby streaming from it (initdb's pg_hba.conf allows replication)."""
        self.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
            "-D", str(standby), "-R", "-X", "stream", "--checkpoint=fast",  # not a spread checkpoint's minutes
        )  # fmt: skip
        with (standby / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.standby_port}\n")
        self.start_standby()

    def pg_ctl(self, data, action, *options):
        self.run("pg_ctl", "-D", str(data), "-l", str(data.parent / f"{data.name}.log"), "-w", action, *options)

    def stop_standby(self):
        """Stop the standby the hard way, as a crash would."""
        self.pg_ctl(self.root / "standby", "stop", "-m", "immediate")

    def start_standby(self):
        self.pg_ctl(self.root / "standby", "start")

    def stop(self):
        """Stop both servers and remove every file."""
        for name in ("standby", "primary"):
            if (self.root / name / "postmaster.pid").exists():
                with contextlib.suppress(RuntimeError):
                    self.pg_ctl(self.root / name, "stop", "-m", "immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, port, database):
        return f"postgres://postgres@127.0.0.1:{port}/{database}"

    def connect(self, port, database="postgres"):
        """Connect over the servers' socket, which trusts postgres whatever host_auth says."""
        return psycopg.connect(host=str(self.root), port=port, user="postgres", dbname=database, autocommit=True)

    def delay_replay(self, seconds):
        """Make the standby apply each commit `seconds` after the primary made it (recovery_min_apply_delay)."""
        with self.connect(self.standby_port) as standby:
            standby.execute(f"ALTER SYSTEM SET recovery_min_apply_delay = '{int(seconds * 1000)}ms'")
            standby.execute("SELECT pg_reload_conf()")
