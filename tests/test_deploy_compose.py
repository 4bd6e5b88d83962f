"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The compose file is validated against the compose specification (check-jsonschema's
vendored copy, offline), then read for what the stack relies on: healthchecks, start
order, volumes, environment. The running stack itself is not exercised here.
"""

import os
import re
import shlex
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.support.processes import BASE_DIR, run

COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
COMPOSE = YAML(typ="safe").load(COMPOSE_FILE.read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (BASE_DIR / "Dockerfile").read_text()
ENV_EXAMPLE = (BASE_DIR / ".env.example").read_text()
# ${NAME}, ${NAME:-default}, ${NAME:?error}; $$ escapes a literal $ for the container's shell.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)")


def stages():
    """Split the Dockerfile into its stages: the instructions after each FROM."""
    return re.split(r"^FROM ", DOCKERFILE, flags=re.MULTILINE)[1:]


def test_compose_file_is_valid_against_the_compose_specification():
    check = Path(sys.executable).parent / "check-jsonschema"
    result = run(check, "--builtin-schema", "vendor.compose-spec", COMPOSE_FILE, env=os.environ, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_services_and_images():
    assert set(SERVICES) == {"web", "mysql", "postgres", "postgres-replica"}
    assert SERVICES["web"]["build"] == "."
    assert SERVICES["mysql"]["image"] == "mysql:8.4"  # the 8.x LTS line
    assert re.fullmatch(r"postgres:1[5-9]", SERVICES["postgres"]["image"])
    assert SERVICES["postgres-replica"]["image"] == SERVICES["postgres"]["image"]  # a standby runs the same major
    assert "--character-set-server=utf8mb4" in SERVICES["mysql"]["command"]


@pytest.mark.parametrize("service", ["web", "mysql", "postgres", "postgres-replica"])
def test_every_service_has_a_healthcheck_and_restarts(service):
    healthcheck = SERVICES[service]["healthcheck"]
    assert healthcheck["test"][0] in {"CMD", "CMD-SHELL"}
    assert {"interval", "timeout", "retries", "start_period"} <= set(healthcheck)
    assert SERVICES[service]["restart"] == "unless-stopped"


def test_database_healthchecks_go_over_tcp():
    """The images' init servers answer on the socket only; TCP means the real server is up."""
    assert SERVICES["mysql"]["healthcheck"]["test"][1:] == [
        "mysqladmin",
        "ping",
        "-h",
        "127.0.0.1",
        "--silent",
    ]
    pg_isready = shlex.split(SERVICES["postgres"]["healthcheck"]["test"][1])
    assert pg_isready[:3] == ["pg_isready", "--host", "127.0.0.1"]
    assert SERVICES["postgres-replica"]["healthcheck"]["test"][1:] == ["pg_isready", "--host", "127.0.0.1"]


def test_web_healthcheck_calls_the_health_endpoint_script():
    test = SERVICES["web"]["healthcheck"]["test"]
    assert test == ["CMD", "python", "docker/healthcheck.py"]
    assert (BASE_DIR / test[2]).is_file()


def test_web_waits_for_healthy_databases():
    assert SERVICES["web"]["depends_on"] == {
        "mysql": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
    }


def mounts(service):
    return dict(volume.split(":", 1) for volume in SERVICES[service]["volumes"])


def test_named_volumes_keep_every_database():
    assert mounts("mysql")["mysql-data"] == "/var/lib/mysql"
    assert mounts("postgres")["postgres-data"] == "/var/lib/postgresql/data"
    # The SQLite file's directory, so its -wal and -shm files persist with it.
    sqlite_file = SERVICES["web"]["environment"]["DATABASE_URL"].removeprefix("sqlite:///")
    assert mounts("web")["sqlite-data"] == str(Path(sqlite_file).parent)
    assert mounts("postgres-replica")["postgres-replica-data"] == "/var/lib/postgresql/data"
    assert set(COMPOSE["volumes"]) == {"mysql-data", "postgres-data", "postgres-replica-data", "sqlite-data"}


def test_static_files_are_not_hidden_by_the_sqlite_volume():
    static_root = re.search(r"DJANGO_STATIC_ROOT=(\S+)", DOCKERFILE).group(1)
    assert not Path(static_root).is_relative_to(mounts("web")["sqlite-data"])


def test_mysql_init_script_is_mounted():
    source, _target = next((s, t) for s, t in mounts("mysql").items() if t.startswith("/docker-entrypoint-initdb.d"))
    script = BASE_DIR / source / "01-test-grants.sh"
    assert script.is_file()
    assert "test\\\\_%" in script.read_text()


def test_the_replica_clones_the_primary_once_it_is_healthy_and_web_reads_from_it():
    replica = SERVICES["postgres-replica"]
    assert replica["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert replica["user"] == "postgres"  # the server refuses root, and pg_basebackup writes its files
    assert mounts("postgres-replica")["./docker/postgres-replica"] == "/replica:ro"
    assert replica["entrypoint"] == ["/replica/start.sh"]
    assert (BASE_DIR / "docker" / "postgres-replica" / "start.sh").stat().st_mode & 0o111
    assert replica["environment"]["PRIMARY_HOST"] == "postgres"
    init = next(s for s, t in mounts("postgres").items() if t.startswith("/docker-entrypoint-initdb.d"))
    assert (BASE_DIR / init / "01-replication.sh").is_file()
    assert replica["environment"]["REPLICATION_PASSWORD"] == SERVICES["postgres"]["environment"]["REPLICATION_PASSWORD"]
    # web does not wait for the replica: while it is down, books are read from the primary.
    assert "postgres-replica" not in SERVICES["web"]["depends_on"]
    assert "@postgres-replica:5432/" in SERVICES["web"]["environment"]["APP2_REPLICA_URLS"]


def test_web_environment_configures_every_alias_with_secrets_from_variables():
    environment = SERVICES["web"]["environment"]
    assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "WEB_CONCURRENCY"):
        assert VARIABLE.search(environment[name]), name
    assert environment["APP1_DATABASE_URL"].startswith("mysql://${MYSQL_USER:-films}:${MYSQL_PASSWORD:-")
    assert "@mysql:3306/" in environment["APP1_DATABASE_URL"]
    assert environment["APP2_DATABASE_URL"].startswith("postgres://${POSTGRES_USER:-books}:${POSTGRES_PASSWORD")
    assert "@postgres:5432/" in environment["APP2_DATABASE_URL"]
    assert environment["PORT"] == "8000"
    assert SERVICES["web"]["ports"] == ["${WEB_PORT:-8000}:8000"]


def test_mysql_app_user_is_not_root():
    environment = SERVICES["mysql"]["environment"]
    assert environment["MYSQL_USER"] == "${MYSQL_USER:-films}"
    assert "root" not in environment["MYSQL_USER"]


def test_env_example_documents_every_compose_variable_and_nothing_unused():
    used = set(VARIABLE.findall(COMPOSE_FILE.read_text()))
    documented = set(re.findall(r"^([A-Z0-9_]+)=", ENV_EXAMPLE, flags=re.MULTILINE))
    assert used == documented


def test_dockerfile_builds_mysqlclient_in_a_build_stage_only():
    build, runtime = stages()
    assert build.startswith("python:${PYTHON_VERSION}-slim")
    assert " AS build" in build.splitlines()[0]
    assert runtime.startswith("python:${PYTHON_VERSION}-slim")
    assert "libmariadb-dev" in build
    assert "build-essential" in build
    assert "libmariadb-dev" not in runtime
    assert "build-essential" not in runtime
    assert "libmariadb3" in runtime
    assert "COPY --from=build /opt/venv /opt/venv" in runtime


def test_dockerfile_runs_as_non_root_with_collected_static_files():
    runtime = stages()[1]
    assert "manage.py collectstatic --noinput" in runtime
    assert re.search(r"^USER app$", runtime, flags=re.MULTILINE)
    assert 'ENTRYPOINT ["docker/entrypoint.sh"]' in runtime
    assert 'CMD ["gunicorn", "-c", "python:config.gunicorn", "config.wsgi"]' in runtime
    # No secret is baked into the image: only the throwaway key collectstatic needs at build time.
    assert not re.search(r"^ENV .*(PASSWORD|SECRET_KEY)", runtime, flags=re.MULTILINE)


def test_the_image_installs_the_sites_requirements_only():
    """tests/requirements.txt is for the suite; the image neither installs it nor lets `make test` try."""
    assert re.findall(r"pip install .*", DOCKERFILE) == ["pip install --no-cache-dir -r /tmp/requirements.txt"]
    assert "COPY requirements.txt /tmp/requirements.txt" in DOCKERFILE
    assert re.search(r"^    TEST_DEPS= \\$", DOCKERFILE, flags=re.MULTILINE)
    assert re.search(r"^    BROWSER_DEPS= \\$", DOCKERFILE, flags=re.MULTILINE)


def test_dockerfile_copies_paths_that_exist():
    for line in re.findall(r"^COPY (?!--from)(.+)$", DOCKERFILE, flags=re.MULTILINE):
        *sources, _target = line.split()
        for source in sources:
            assert (BASE_DIR / source).exists(), source


def test_dockerignore_keeps_secrets_and_local_state_out_and_every_package_in():
    ignored = {line.strip() for line in (BASE_DIR / ".dockerignore").read_text().splitlines()}
    ignored.discard("")
    assert {".env", ".venv", ".venv-django-*", "var", ".git"} <= ignored
    packages = {path.parent.name for path in BASE_DIR.glob("*/__init__.py")}
    assert {"config", "routers", "authapp", "app1", "app2", "pages", "health", "demo", "tests"} <= packages
    assert not packages & ignored
    assert "templates" not in ignored
    assert "docker" not in ignored


def test_entrypoint_is_executable():
    assert (BASE_DIR / "docker" / "entrypoint.sh").stat().st_mode & 0o111
