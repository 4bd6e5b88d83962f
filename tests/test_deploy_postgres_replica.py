"""The compose stack's replica scripts, run for real against a private PostgreSQL server.

docker/postgres-init/01-replication.sh runs on the primary's first start (as the image would: over
its socket, as the postgres user); docker/postgres-replica/start.sh then clones it with the
replication role's password and the copy streams as a standby. No Docker engine is needed.
"""

import os
import shutil

import pytest

from tests.support.processes import BASE_DIR, run
from tests.support.replica import PostgresCluster

INIT = BASE_DIR / "docker" / "postgres-init" / "01-replication.sh"
START = BASE_DIR / "docker" / "postgres-replica" / "start.sh"
PASSWORD = "replication-test-only"


@pytest.fixture
def primary():
    """A private primary that asks TCP clients for a password, as the postgres image does."""
    cluster = PostgresCluster(host_auth="scram-sha-256").start(standby=False)
    try:
        yield cluster
    finally:
        cluster.stop()


def as_postgres(*command):
    """The command, run as the postgres OS user when the tests run as root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


def test_the_replica_clones_the_primary_with_the_replication_role_and_streams(primary):
    path = f"{primary.bin}{os.pathsep}{os.environ['PATH']}"
    init_env = {
        "PATH": path,
        "POSTGRES_USER": "postgres",
        "POSTGRES_DB": "postgres",
        "PGDATA": str(primary.root / "primary"),
        "PGHOST": str(primary.root),  # the socket, as in the image
        "PGPORT": str(primary.primary_port),
        "REPLICATION_PASSWORD": PASSWORD,
    }
    result = run(*as_postgres(INIT), env=init_env, timeout=30)
    assert result.returncode == 0, result.stderr
    primary.pg_ctl(primary.root / "primary", "reload")  # the image restarts its server after init

    replica = primary.root / "standby"
    replica.mkdir()
    if os.geteuid() == 0:
        shutil.chown(replica, "postgres", "postgres")
    start_env = {
        "PATH": path,
        "PGDATA": str(replica),
        "PRIMARY_HOST": "127.0.0.1",
        "PRIMARY_PORT": str(primary.primary_port),
    }
    refused = run(*as_postgres(START, "true"), env={**start_env, "REPLICATION_PASSWORD": "wrong"}, timeout=60)
    assert refused.returncode != 0
    assert "password authentication failed" in refused.stderr
    cloned = run(*as_postgres(START, "true"), env={**start_env, "REPLICATION_PASSWORD": PASSWORD}, timeout=60)
    assert cloned.returncode == 0, cloned.stderr
    assert (replica / "standby.signal").exists()

    with (replica / "postgresql.conf").open("a") as conf:
        conf.write(f"port = {primary.standby_port}\n")
    primary.start_standby()
    with primary.connect(primary.standby_port) as standby:
        assert standby.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        (sender,) = standby.execute("SELECT sender_host FROM pg_stat_wal_receiver").fetchone()
    assert sender == "127.0.0.1"
    again = run(*as_postgres(START, "true"), env={**start_env, "REPLICATION_PASSWORD": "wrong"}, timeout=30)
    assert again.returncode == 0  # a copy exists: later starts keep it, and never ask the primary again
